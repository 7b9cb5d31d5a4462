"""Builds an enterprise's asset model through the services, for tests to act on."""

from __future__ import annotations

from dataclasses import dataclass

from tests.conftest import World
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.telemetry import assets, devices
from zhizao.telemetry.kinds import EquipmentType, NodeLevel, Protocol, SignalKind
from zhizao.telemetry.schemas import DeviceCreate, EquipmentCreate, NodeCreate, SignalCreate


@dataclass(frozen=True)
class Plant:
    enterprise_id: int
    site_id: int
    area_id: int
    line_id: int
    equipment_id: int
    robot_id: int
    device_id: int
    signal_id: int
    state_signal_id: int


def build_plant(world: World, enterprise_id: int | None = None) -> Plant:
    enterprise_id = enterprise_id or world.organisation()
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    with world.database.session() as session:
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
        line = assets.create_node(
            session,
            actor,
            NodeCreate(enterprise_id=enterprise_id, parent_id=area.id, level=NodeLevel.LINE, code="L1", name="缸体线"),
        )
        cnc = assets.create_equipment(
            session,
            actor,
            EquipmentCreate(
                enterprise_id=enterprise_id,
                node_id=line.id,
                code="L1-CNC-01",
                name="加工中心 1",
                equipment_type=EquipmentType.CNC_MACHINE_TOOL,
            ),
        )
        robot = assets.create_equipment(
            session,
            actor,
            EquipmentCreate(
                enterprise_id=enterprise_id,
                node_id=line.id,
                code="L1-RB-01",
                name="上下料机器人",
                equipment_type=EquipmentType.INDUSTRIAL_ROBOT,
            ),
        )
        device = devices.create_device(
            session,
            actor,
            DeviceCreate(
                enterprise_id=enterprise_id,
                equipment_id=cnc.id,
                code="L1-CNC-01",
                name="CNC gateway",
                protocol=Protocol.MQTT_JSON,
            ),
        )
        signal = devices.create_signal(
            session, actor, SignalCreate(device_id=device.id, name="spindle_speed_rpm", unit="rpm")
        )
        state = devices.create_signal(
            session, actor, SignalCreate(device_id=device.id, name="machinery_item_state", kind=SignalKind.STATE)
        )
    return Plant(enterprise_id, site.id, area.id, line.id, cnc.id, robot.id, device.id, signal.id, state.id)
