"""The asset model (ISA-95), devices and their signals, ingest policy and the dead-letter table.

Samples and roll-ups are not ORM models: they are Core tables in ``tables.py``, written in bulk by the stores.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.telemetry.kinds import DataType, EquipmentType, NodeLevel, Protocol, SignalKind


class AssetNode(Base):
    """A site, area, line or cell of one enterprise."""

    __tablename__ = "asset_node"
    __table_args__ = (UniqueConstraint("enterprise_id", "code", name="uq_asset_node_enterprise_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("asset_node.id", ondelete="RESTRICT"), index=True)
    level: Mapped[NodeLevel] = mapped_column(str_enum(NodeLevel, "asset_level"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[AssetNode | None] = relationship(remote_side="AssetNode.id")


class Equipment(Base):
    __tablename__ = "equipment"
    __table_args__ = (UniqueConstraint("enterprise_id", "code", name="uq_equipment_enterprise_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    node_id: Mapped[int | None] = mapped_column(ForeignKey("asset_node.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    equipment_type: Mapped[EquipmentType] = mapped_column(str_enum(EquipmentType, "equipment_type"))
    manufacturer: Mapped[str | None] = mapped_column(String(200))
    model: Mapped[str | None] = mapped_column(String(200))
    serial_number: Mapped[str | None] = mapped_column(String(100))
    year: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    node: Mapped[AssetNode | None] = relationship()


class Device(Base):
    """A data source (gateway, PLC, controller) that publishes the signals of one or more pieces of equipment."""

    __tablename__ = "device"
    __table_args__ = (UniqueConstraint("enterprise_id", "code", name="uq_device_enterprise_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="SET NULL"), index=True)
    # Used in MQTT topics and as the Sparkplug edge node id: letters, digits, '-' and '_'.
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    protocol: Mapped[Protocol] = mapped_column(str_enum(Protocol, "device_protocol"))
    # The device's own credential (MQTT password / HTTP token): SHA-256 only; shown once when issued.
    secret_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    last_seen_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    equipment: Mapped[Equipment | None] = relationship()


class Signal(Base):
    """A data point (数据点位) of a device, bound to the equipment it measures."""

    __tablename__ = "signal"
    __table_args__ = (UniqueConstraint("device_id", "name", name="uq_signal_device_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id", ondelete="CASCADE"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="SET NULL"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str | None] = mapped_column(String(32))
    kind: Mapped[SignalKind] = mapped_column(str_enum(SignalKind, "signal_kind"))
    data_type: Mapped[DataType] = mapped_column(str_enum(DataType, "signal_data_type"))
    expected_rate_hz: Mapped[float | None]
    # The engineering range: a remote command outside it is refused; alarm thresholds must lie inside it.
    range_min: Mapped[float | None]
    range_max: Mapped[float | None]
    # Whether remote commands may set it (a setpoint, an override); measurements never are.
    writable: Mapped[bool] = mapped_column(default=False, server_default="0")
    auto_registered: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    device: Mapped[Device] = relationship()


class IngestPolicy(Base):
    """Per enterprise: whether unknown devices and signals are registered on first sight, and data retention."""

    __tablename__ = "ingest_policy"

    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True)
    auto_register: Mapped[bool] = mapped_column(default=False)
    raw_retention_days: Mapped[int] = mapped_column(default=90)
    rollup_retention_days: Mapped[int] = mapped_column(default=1095)
    # Raw retention for signals of kind `text` and `state` (events are small and kept longer).
    event_retention_days: Mapped[int] = mapped_column(default=365)


class DeadLetter(Base):
    """A message, or the part of one, that was not stored, with the reason; never silently dropped."""

    __tablename__ = "dead_letter"
    __table_args__ = (Index("ix_dead_letter_received_at", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"), index=True)
    source: Mapped[str] = mapped_column(String(32))  # mqtt_json, sparkplug_b, http
    topic: Mapped[str | None] = mapped_column(String(512))
    reason: Mapped[str] = mapped_column(String(40), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # first MAX_DEAD_LETTER_BYTES of it
