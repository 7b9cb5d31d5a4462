"""Which Sparkplug edge node a device's metrics come through, so that its commands go out as DCMD on the right
topic. Set by the owner (API) or recorded by whatever sees the births (``record_seen``, in the caller's
transaction); a device without one is addressed as an edge node itself (NCMD)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.telemetry.commands.models import SparkplugEdge
from zhizao.telemetry.commands.mqtt import sparkplug_topic
from zhizao.telemetry.commands.schemas import SparkplugEdgeRead
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.models import Device
from zhizao.telemetry.scope import get_scoped


def _read(device: Device, edge: SparkplugEdge | None) -> SparkplugEdgeRead:
    edge_node_id = edge.edge_node_id if edge else None
    return SparkplugEdgeRead(
        device_id=device.id,
        edge_node_id=edge_node_id,
        command_topic=sparkplug_topic(device.enterprise_id, device.code, edge_node_id),
    )


def read_edge(session: Session, actor: Principal, device_id: int) -> SparkplugEdgeRead:
    device = get_scoped(session, actor, Device, device_id, "device")
    return _read(device, session.get(SparkplugEdge, device.id))


def set_edge(session: Session, actor: Principal, device_id: int, edge_node_id: str | None) -> SparkplugEdgeRead:
    with session.begin():
        device = get_scoped(session, actor, Device, device_id, "device")
        if device.protocol is not Protocol.SPARKPLUG_B:
            raise InputError.for_field("body.edge_node_id", f"data source {device.code} does not speak Sparkplug B")
        edge = session.get(SparkplugEdge, device.id)
        before = {"edge_node_id": edge.edge_node_id if edge else None}
        if edge_node_id is None or edge_node_id == device.code:
            if edge is not None:
                session.delete(edge)
            edge = None
        elif edge is None:
            edge = SparkplugEdge(device_id=device.id, enterprise_id=device.enterprise_id, edge_node_id=edge_node_id)
            session.add(edge)
        else:
            edge.edge_node_id = edge_node_id
        audit.record(
            session, actor, action="sparkplug_edge.set", entity_type="device", entity_id=device.id,
            organisation_id=device.enterprise_id, before=before,
            after={"edge_node_id": edge.edge_node_id if edge else None},
        )  # fmt: skip
        return _read(device, edge)


def record_seen(session: Session, enterprise_id: int, device_code: str, edge_node_id: str) -> None:
    """A DBIRTH showed ``device_code`` behind ``edge_node_id`` (for the ingest side; no audit, caller's transaction)."""
    device = session.scalar(select(Device).where(Device.enterprise_id == enterprise_id, Device.code == device_code))
    if device is None or device.protocol is not Protocol.SPARKPLUG_B or edge_node_id == device_code:
        return
    edge = session.get(SparkplugEdge, device.id)
    if edge is None:
        session.add(SparkplugEdge(device_id=device.id, enterprise_id=enterprise_id, edge_node_id=edge_node_id))
    elif edge.edge_node_id != edge_node_id:
        edge.edge_node_id = edge_node_id
