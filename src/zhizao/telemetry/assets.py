"""The ISA-95 asset model of an enterprise: sites, areas, lines, cells and the equipment in them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.telemetry.kinds import PARENT_LEVEL, EquipmentType
from zhizao.telemetry.models import AssetNode, Device, Equipment, Signal
from zhizao.telemetry.schemas import (
    AssetSummary,
    EquipmentCount,
    EquipmentCreate,
    EquipmentUpdate,
    NodeCreate,
    NodeUpdate,
)
from zhizao.telemetry.scope import enterprise_for_write, get_scoped, same_enterprise, tenant_clauses

NODE_FIELDS = ("enterprise_id", "parent_id", "level", "code", "name")
EQUIPMENT_FIELDS = (
    "enterprise_id", "node_id", "code", "name", "equipment_type", "manufacturer", "model", "serial_number", "year",
)  # fmt: skip


def flush_unique(session: Session, field: str, message: str) -> None:
    """Flush, turning a unique-constraint violation into a 409 that names the field."""
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message, fields=[FieldProblem(field, message)]) from exc


# --- nodes -------------------------------------------------------------------------------------------------


def list_nodes(session: Session, actor: Principal, enterprise_id: int | None = None) -> Sequence[AssetNode]:
    query = select(AssetNode).where(*tenant_clauses(actor, AssetNode.enterprise_id, enterprise_id))
    return session.scalars(query.order_by(AssetNode.enterprise_id, AssetNode.code)).all()


def create_node(session: Session, actor: Principal, data: NodeCreate) -> AssetNode:
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        expected_parent = PARENT_LEVEL[data.level]
        if expected_parent is None and data.parent_id is not None:
            raise InputError.for_field("body.parent_id", "a site sits directly under the enterprise: leave it empty")
        if expected_parent is not None:
            if data.parent_id is None:
                raise InputError.for_field("body.parent_id", f"a {data.level.value} needs a {expected_parent.value}")
            parent = session.get(AssetNode, data.parent_id)
            if parent is None or parent.enterprise_id != enterprise_id:
                raise InputError.for_field("body.parent_id", f"{data.parent_id} is not a node of this enterprise")
            if parent.level != expected_parent:
                raise InputError.for_field(
                    "body.parent_id",
                    f"a {data.level.value} sits under a {expected_parent.value}, not a {parent.level.value}",
                )
        node = AssetNode(
            enterprise_id=enterprise_id, parent_id=data.parent_id, level=data.level, code=data.code, name=data.name
        )
        session.add(node)
        flush_unique(session, "body.code", f"code {data.code!r} is already used in this enterprise")
        audit.record(
            session, actor, action="asset_node.create", entity_type="asset_node", entity_id=node.id,
            organisation_id=enterprise_id, after=audit.snapshot(node, NODE_FIELDS),
        )  # fmt: skip
    return node


def update_node(session: Session, actor: Principal, node_id: int, data: NodeUpdate) -> AssetNode:
    with session.begin():
        node = get_scoped(session, actor, AssetNode, node_id, "asset node")
        before = audit.snapshot(node, NODE_FIELDS)
        if data.name is not None:
            node.name = data.name
        audit.record(
            session, actor, action="asset_node.update", entity_type="asset_node", entity_id=node.id,
            organisation_id=node.enterprise_id, before=before, after=audit.snapshot(node, NODE_FIELDS),
        )  # fmt: skip
    return node


def delete_node(session: Session, actor: Principal, node_id: int) -> None:
    with session.begin():
        node = get_scoped(session, actor, AssetNode, node_id, "asset node")
        children = session.scalar(select(func.count()).where(AssetNode.parent_id == node_id)) or 0
        equipment = session.scalar(select(func.count()).where(Equipment.node_id == node_id)) or 0
        if children or equipment:
            raise Conflict(f"asset node {node_id} still holds {children} nodes and {equipment} pieces of equipment")
        audit.record(
            session, actor, action="asset_node.delete", entity_type="asset_node", entity_id=node.id,
            organisation_id=node.enterprise_id, before=audit.snapshot(node, NODE_FIELDS),
        )  # fmt: skip
        session.delete(node)


# --- equipment ---------------------------------------------------------------------------------------------


def list_equipment(
    session: Session,
    actor: Principal,
    *,
    enterprise_id: int | None = None,
    node_id: int | None = None,
    equipment_type: EquipmentType | None = None,
) -> Sequence[Equipment]:
    clauses = tenant_clauses(actor, Equipment.enterprise_id, enterprise_id)
    if node_id is not None:
        clauses.append(Equipment.node_id == node_id)
    if equipment_type is not None:
        clauses.append(Equipment.equipment_type == equipment_type)
    query = select(Equipment).where(*clauses)
    return session.scalars(query.order_by(Equipment.enterprise_id, Equipment.code)).all()


def create_equipment(session: Session, actor: Principal, data: EquipmentCreate) -> Equipment:
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        same_enterprise(session, AssetNode, data.node_id, enterprise_id, "body.node_id")
        equipment = Equipment(**data.model_dump(exclude={"enterprise_id"}), enterprise_id=enterprise_id)
        session.add(equipment)
        flush_unique(session, "body.code", f"code {data.code!r} is already used in this enterprise")
        audit.record(
            session, actor, action="equipment.create", entity_type="equipment", entity_id=equipment.id,
            organisation_id=enterprise_id, after=audit.snapshot(equipment, EQUIPMENT_FIELDS),
        )  # fmt: skip
    return equipment


def update_equipment(session: Session, actor: Principal, equipment_id: int, data: EquipmentUpdate) -> Equipment:
    with session.begin():
        equipment = get_scoped(session, actor, Equipment, equipment_id, "equipment")
        before = audit.snapshot(equipment, EQUIPMENT_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        for required in ("name", "equipment_type"):
            if required in changes and changes[required] is None:
                raise InputError.for_field(f"body.{required}", "must not be null")
        same_enterprise(session, AssetNode, changes.get("node_id"), equipment.enterprise_id, "body.node_id")
        for name, value in changes.items():
            setattr(equipment, name, value)
        audit.record(
            session, actor, action="equipment.update", entity_type="equipment", entity_id=equipment.id,
            organisation_id=equipment.enterprise_id, before=before, after=audit.snapshot(equipment, EQUIPMENT_FIELDS),
        )  # fmt: skip
    return equipment


def delete_equipment(session: Session, actor: Principal, equipment_id: int) -> None:
    with session.begin():
        equipment = get_scoped(session, actor, Equipment, equipment_id, "equipment")
        audit.record(
            session, actor, action="equipment.delete", entity_type="equipment", entity_id=equipment.id,
            organisation_id=equipment.enterprise_id, before=audit.snapshot(equipment, EQUIPMENT_FIELDS),
        )  # fmt: skip
        session.delete(equipment)


def summary(session: Session, actor: Principal, enterprise_id: int | None = None) -> AssetSummary:
    """Equipment per type within scope; robots counted from the asset model feed the programme's robot target."""
    equipment_filter = tenant_clauses(actor, Equipment.enterprise_id, enterprise_id)
    rows = session.execute(
        select(Equipment.equipment_type, func.count()).where(*equipment_filter).group_by(Equipment.equipment_type)
    ).all()
    counts = {EquipmentType(row[0]): int(row[1]) for row in rows}
    device_filter = tenant_clauses(actor, Device.enterprise_id, enterprise_id)
    signal_filter = tenant_clauses(actor, Signal.enterprise_id, enterprise_id)
    devices = session.scalar(select(func.count()).select_from(Device).where(*device_filter)) or 0
    signals = session.scalar(select(func.count()).select_from(Signal).where(*signal_filter)) or 0
    return AssetSummary(
        enterprise_id=enterprise_id if actor.sees_all_tenants else actor.organisation_id,
        equipment=[EquipmentCount(equipment_type=kind, count=counts[kind]) for kind in EquipmentType if kind in counts],
        robots=counts.get(EquipmentType.INDUSTRIAL_ROBOT, 0),
        devices=devices,
        signals=signals,
    )
