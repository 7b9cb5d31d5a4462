"""Demo seeder: the virtual factory's plant registered in the asset model of the demo enterprise.

Site 临港工厂 > workshop 机加工车间 > lines L1, L2, each machine as equipment with one device (its gateway) and
every signal of the simulator's catalogue, so that ingest needs no auto-registration.
"""

from __future__ import annotations

from sqlalchemy import select

from zhizao.accounts.auth import principal_of
from zhizao.accounts.demo import DEMO_ORGANISATIONS
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.seeding import SeedReport
from zhizao.settings import Settings
from zhizao.simulator.calendar import Shift, ShiftCalendar
from zhizao.simulator.model import FactorySpec, default_factory, device_catalogue
from zhizao.telemetry import assets, devices
from zhizao.telemetry.kinds import NodeLevel, Protocol
from zhizao.telemetry.schemas import DeviceCreate, EquipmentCreate, NodeCreate, SignalCreate

DEMO_LINES = 2
DEMO_ENTERPRISE = next(org.name for org in DEMO_ORGANISATIONS if org.key == "enterprise")
LINE_NAMES = {"L1": "缸体加工线", "L2": "总装线"}


# Three shifts, seven days: whoever opens the demo, whenever, finds the lines running (a real plant's calendar
# has nights and Sundays off, which the simulator models by default).
DEMO_CALENDAR = ShiftCalendar(
    shifts=(Shift.of("A", "00:00", "08:00"), Shift.of("B", "08:00", "16:00"), Shift.of("C", "16:00", "24:00")),
    work_days=frozenset(range(7)),
)
MACHINE_NAMES = {"CNC": "数控加工中心", "ROB": "上下料机器人", "PKG": "自动包装机"}


def demo_factory(*, upgrade_at_ms: int | None = None) -> FactorySpec:
    """The demo plant; run conventionally until ``upgrade_at_ms`` (None: smart throughout)."""
    return default_factory(DEMO_LINES, calendar=DEMO_CALENDAR, upgrade_at_ms=upgrade_at_ms)


def machine_name(code: str) -> str:
    """L1-CNC-02 → 数控加工中心 2 号."""
    _line, kind, number = code.split("-")
    return f"{MACHINE_NAMES.get(kind, kind)} {int(number)} 号"


def demo_enterprise_id(database: Database) -> int:
    with database.session() as session:
        found = session.scalar(select(Organisation.id).where(Organisation.name == DEMO_ENTERPRISE))
    if found is None:
        raise LookupError(f"the demo enterprise {DEMO_ENTERPRISE!r} is not seeded")
    return found


def seed(database: Database, settings: Settings) -> SeedReport:
    enterprise_id = demo_enterprise_id(database)
    spec = demo_factory()
    with database.session() as session:
        admin = session.scalar(select(User).where(User.role == Role.ADMIN).order_by(User.id))
        assert admin is not None, "accounts are seeded first"
        actor = principal_of(admin)
        session.rollback()
        site = assets.create_node(
            session, actor, NodeCreate(enterprise_id=enterprise_id, level=NodeLevel.SITE, code="S1", name="临港工厂")
        )
        area = assets.create_node(
            session,
            actor,
            NodeCreate(
                enterprise_id=enterprise_id, parent_id=site.id, level=NodeLevel.AREA, code="A1", name="机加工车间"
            ),
        )
        lines = {
            line.code: assets.create_node(
                session,
                actor,
                NodeCreate(
                    enterprise_id=enterprise_id,
                    parent_id=area.id,
                    level=NodeLevel.LINE,
                    code=line.code,
                    name=LINE_NAMES.get(line.code, line.name),
                ),
            )
            for line in spec.lines
        }
        signal_count = 0
        for info in device_catalogue(spec):
            equipment = assets.create_equipment(
                session,
                actor,
                EquipmentCreate(
                    enterprise_id=enterprise_id,
                    node_id=lines[info.line_code].id,
                    code=info.code,
                    name=machine_name(info.code),
                    equipment_type=info.equipment_type,
                    manufacturer="虚拟工厂",
                    model="SIM",
                    year=2021,
                ),
            )
            device = devices.create_device(
                session,
                actor,
                DeviceCreate(
                    enterprise_id=enterprise_id,
                    equipment_id=equipment.id,
                    code=info.code,
                    name=f"{machine_name(info.code)} 数据网关",
                    protocol=Protocol.MQTT_JSON,
                ),
            )
            for signal in info.signals:
                devices.create_signal(
                    session,
                    actor,
                    SignalCreate(
                        device_id=device.id,
                        name=signal.name,
                        unit=signal.unit,
                        kind=signal.kind,
                        data_type=signal.data_type,
                        expected_rate_hz=signal.expected_rate_hz,
                    ),
                )
                signal_count += 1
    machines = device_catalogue(spec)
    return SeedReport(
        title="Virtual factory (simulated, ingested live)",
        headers=("enterprise", "lines", "machines", "signals"),
        rows=[(DEMO_ENTERPRISE, str(len(spec.lines)), str(len(machines)), str(signal_count))],
    )
