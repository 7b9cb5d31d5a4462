"""Demo seeder: a flexible cell whose machines speak OPC UA and Modbus TCP, alarm rules, and a remote-command consent.

Lines L1 and L2 publish over MQTT. The cell L3 (柔性加工单元) adds two CNC machines served by the simulator at run
time: L3-CNC-01 over OPC UA (40001/40501-style nodes) and L3-CNC-02 over Modbus TCP, each read by a connector of the
demo enterprise, so `zhizao demo` shows all three protocols. Their feed overrides are writable within 0–150 %, for
remote commands; the platform operator holds the owner's consents (remote maintenance and commands) for L3-CNC-01.
A few alarm rules watch the plant: motor temperature, vibration, a machine out of service, and stale data from the
connected cell.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.auth import principal_of
from zhizao.accounts.demo import DEMO_ORGANISATIONS
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.connectors import service as connector_service
from zhizao.connectors.drivers import default_drivers
from zhizao.connectors.schemas import ConnectorCreate
from zhizao.db.engine import Database
from zhizao.seeding import SeedReport
from zhizao.settings import Settings
from zhizao.simulator import modbus_server, opcua_server
from zhizao.simulator.model import FactoryRun, FactorySpec, LineSpec, MachineSpec, device_catalogue
from zhizao.simulator.seed import DEMO_CALENDAR, demo_enterprise_id, machine_name
from zhizao.telemetry import assets, devices
from zhizao.telemetry.alarms import service as alarm_service
from zhizao.telemetry.commands import consent
from zhizao.telemetry.commands.models import ConsentScope
from zhizao.telemetry.commands.schemas import ConsentCreate
from zhizao.telemetry.kinds import DataType, EquipmentType, NodeLevel, Protocol, SignalKind
from zhizao.telemetry.machinery import STATE_SIGNAL, MachineryItemState
from zhizao.telemetry.models import AssetNode, Equipment, Signal
from zhizao.telemetry.schemas import DeviceCreate, EquipmentCreate, NodeCreate, SignalCreate

OPCUA_PORT = 48400
MODBUS_PORT = 15020
OPCUA_MACHINE = "L3-CNC-01"
MODBUS_MACHINE = "L3-CNC-02"
OPCUA_PATH = "/zhizao/simulator"
# With this seed and L3-CNC-01's short healthy life the demo tells a maintenance story: the cell's run starts
# HISTORY_MS before the demo (those healthy hours are its health baseline), L3-CNC-01 starts to wear about 16 min
# after the demo starts (up to 39 min when a shift changeover falls in between), fails 3.3–4.1 h in and is repaired
# by 7.2 h; L3-CNC-02 stays healthy (pinned in tests/demo/test_maintenance_demo.py).
CELL_SEED = 3089
DEGRADING_MTBF_H = 4.2
HISTORY_MS = 2 * 3_600_000
OVERRIDE_RANGE = (0.0, 150.0)  # % of the programmed feed; machine tools typically allow 0–150 %
WRITABLE = {
    OPCUA_MACHINE: ("feed_override_pct", "spindle_override_pct"),
    MODBUS_MACHINE: ("feed_override_pct",),
}
PLATFORM = next(org.name for org in DEMO_ORGANISATIONS if org.key == "platform")


def cell_spec() -> FactorySpec:
    machines = tuple(
        MachineSpec(
            code=code,
            name=f"L3 CNC {n}",
            equipment_type=EquipmentType.CNC_MACHINE_TOOL,
            mtbf_h=DEGRADING_MTBF_H if code == OPCUA_MACHINE else None,
        )
        for n, code in enumerate((OPCUA_MACHINE, MODBUS_MACHINE), start=1)
    )
    return FactorySpec(lines=(LineSpec(code="L3", name="Cell 3", machines=machines),), calendar=DEMO_CALENDAR)


def cell_run(start_ms: int | None = None) -> FactoryRun:
    return FactoryRun(cell_spec(), seed=CELL_SEED, start_ms=start_ms if start_ms is not None else _now_ms())


def cell_start_ms(now_ms: int) -> int:
    """Where the cell's run starts for a demo seeded at ``now_ms``: ``HISTORY_MS`` before, on a whole minute (the
    health windows are whole minutes, so the baseline period starts with a complete one)."""
    return (now_ms - HISTORY_MS) // 60_000 * 60_000


def opcua_url(host: str = "127.0.0.1", port: int | None = None) -> str:
    return f"opc.tcp://{host}:{port or OPCUA_PORT}{OPCUA_PATH}"


def seed(database: Database, settings: Settings) -> SeedReport:
    enterprise_id = demo_enterprise_id(database)
    run = cell_run()
    with database.session() as session:
        owner = session.scalar(
            select(User).where(User.role == Role.ENTERPRISE, User.organisation_id == enterprise_id).order_by(User.id)
        )
        assert owner is not None, "accounts are seeded first"
        actor = principal_of(owner)
        session.rollback()
        equipment_ids = _register_cell(session, actor, enterprise_id)
        drivers = default_drivers()
        for name, protocol, settings_model in (
            (
                "L3 OPC UA 采集通道",
                Protocol.OPCUA,
                opcua_server.connector_settings_for(opcua_url(), [OPCUA_MACHINE], run),
            ),
            (
                "L3 Modbus 采集通道",
                Protocol.MODBUS,
                modbus_server.connector_settings_for("127.0.0.1", MODBUS_PORT, [MODBUS_MACHINE], run),
            ),
        ):
            settings_json = settings_model.model_dump(mode="json", context={"reveal_secrets": True})
            connector_service.create_connector(
                session, actor, drivers, ConnectorCreate(name=name, protocol=protocol, settings=settings_json)
            )
        rules = _alarm_rules(session, actor, enterprise_id)
        platform_id = session.scalar(select(Organisation.id).where(Organisation.name == PLATFORM))
        session.rollback()
        if platform_id is not None:
            for scope in (ConsentScope.REMOTE_MAINTENANCE, ConsentScope.REMOTE_COMMAND):
                grant = ConsentCreate(
                    grantee_id=platform_id, scope=scope, equipment_id=equipment_ids[OPCUA_MACHINE], note="远程运维试点"
                )
                consent.grant(session, actor, grant)
    return SeedReport(
        title="Connected cell (OPC UA, Modbus TCP), alarm rules",
        headers=("machines", "connectors", "alarm rules"),
        rows=[(f"{OPCUA_MACHINE} (OPC UA), {MODBUS_MACHINE} (Modbus TCP)", "2", str(rules))],
    )


def _register_cell(session: Session, actor: Principal, enterprise_id: int) -> dict[str, int]:
    area_id = session.scalar(
        select(AssetNode.id).where(AssetNode.enterprise_id == enterprise_id, AssetNode.level == NodeLevel.AREA)
    )
    session.rollback()
    assert area_id is not None, "the virtual factory is seeded first"
    line = assets.create_node(
        session,
        actor,
        NodeCreate(parent_id=area_id, level=NodeLevel.LINE, code="L3", name="柔性加工单元"),
    )
    protocols = {OPCUA_MACHINE: Protocol.OPCUA, MODBUS_MACHINE: Protocol.MODBUS}
    equipment_ids: dict[str, int] = {}
    for info in device_catalogue(cell_spec()):
        protocol = protocols[info.code]
        equipment = assets.create_equipment(
            session,
            actor,
            EquipmentCreate(
                node_id=line.id,
                code=info.code,
                name=machine_name(info.code),
                equipment_type=info.equipment_type,
                manufacturer="虚拟工厂",
                model="SIM-OPCUA" if protocol is Protocol.OPCUA else "SIM-MODBUS",
                year=2022,
            ),
        )
        equipment_ids[info.code] = equipment.id
        device = devices.create_device(
            session,
            actor,
            DeviceCreate(
                equipment_id=equipment.id,
                code=info.code,
                name=f"{machine_name(info.code)} {'OPC UA 服务器' if protocol is Protocol.OPCUA else 'Modbus 控制器'}",
                protocol=protocol,
            ),
        )
        for spec in info.signals:
            devices.create_signal(
                session,
                actor,
                SignalCreate(
                    device_id=device.id,
                    name=spec.name,
                    unit=spec.unit,
                    kind=spec.kind,
                    data_type=spec.data_type,
                    expected_rate_hz=spec.expected_rate_hz,
                ),
            )
        for name in WRITABLE[info.code]:
            devices.create_signal(
                session,
                actor,
                SignalCreate(
                    device_id=device.id,
                    name=name,
                    unit="%",
                    kind=SignalKind.MEASUREMENT,
                    data_type=DataType.FLOAT,
                    range_min=OVERRIDE_RANGE[0],
                    range_max=OVERRIDE_RANGE[1],
                    writable=True,
                ),
            )
    return equipment_ids


def _alarm_rules(session: Session, actor: Principal, enterprise_id: int) -> int:
    signals = {
        (code, name): signal_id
        for code, name, signal_id in session.execute(
            select(Equipment.code, Signal.name, Signal.id)
            .join(Signal, Signal.equipment_id == Equipment.id)
            .where(Equipment.enterprise_id == enterprise_id)
        )
    }
    session.rollback()
    bodies: list[dict[str, Any]] = []
    for code in ("L1-CNC-01", "L1-CNC-02", OPCUA_MACHINE, MODBUS_MACHINE):
        bodies += [
            {"id": f"{code}.temp.high", "kind": "threshold", "signal": (code, "temperature_c"), "limit": "high",
             "setpoint": 75.0, "deadband": 2.0, "on_delay_s": 10.0, "severity": "high",
             "message": f"{machine_name(code)} 主电机温度过高"},
            {"id": f"{code}.vibration.high", "kind": "threshold", "signal": (code, "vibration_rms_mm_s"),
             "limit": "high", "setpoint": 7.1, "deadband": 0.5, "on_delay_s": 5.0, "severity": "medium",
             "message": f"{machine_name(code)} 振动超过 ISO 10816 C 区"},
            {"id": f"{code}.out_of_service", "kind": "state_equals", "signal": (code, STATE_SIGNAL),
             "values": [int(MachineryItemState.OUT_OF_SERVICE)], "severity": "critical",
             "message": f"{machine_name(code)} 故障停机"},
        ]  # fmt: skip
    for code in (OPCUA_MACHINE, MODBUS_MACHINE):
        bodies.append(
            {"id": f"{code}.stale", "kind": "stale", "signal": (code, "power_kw"), "stale_after_s": 30.0,
             "severity": "high", "message": f"{machine_name(code)} 数据中断（采集通道）"}
        )  # fmt: skip
    created = 0
    for body in bodies:
        signal_id = signals.get(body.pop("signal"))
        if signal_id is None:
            continue
        alarm_service.create_rule(session, actor, {**body, "signal_id": signal_id})
        created += 1
    return created


def _now_ms() -> int:
    return int(time.time() * 1000)
