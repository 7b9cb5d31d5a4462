"""C2M tables: versioned product models, the maker's work centres, consumer orders with their timeline, the orders'
operations as scheduled on the maker's equipment, and the runs of the scheduler.

A product model version is immutable once released (``definition`` holds :class:`zhizao.c2m.product.model.
ProductModel` as JSON); an order names the exact version it was configured on, so a later version never changes
what was ordered. Work centres map a routing's equipment kind ("press", "paint", …) to pieces of equipment of the
asset model; the scheduler assigns each operation to one of them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow


class ModelStatus(StrEnum):
    DRAFT = "draft"
    RELEASED = "released"  # orderable; the latest released version is the one consumers configure
    RETIRED = "retired"  # no longer orderable; its orders keep it


class ProductModelRow(Base):
    __tablename__ = "c2m_product_model"
    __table_args__ = (UniqueConstraint("enterprise_id", "code", "version", name="uq_c2m_product_model_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)  # the maker
    code: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[ModelStatus] = mapped_column(str_enum(ModelStatus, "c2m_model_status"), default=ModelStatus.DRAFT)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    release_report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    released_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    released_at: Mapped[datetime | None]


class WorkCentre(Base):
    """One piece of the maker's equipment that performs operations of routing kind ``kind``."""

    __tablename__ = "c2m_work_centre"
    __table_args__ = (UniqueConstraint("enterprise_id", "equipment_id", name="uq_c2m_work_centre_equipment"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    station: Mapped[str] = mapped_column(String(100))  # shown to the consumer: "总装 2 号工位"


class OrderStatus(StrEnum):
    """The consumer's timeline, in order."""

    CONFIRMED = "confirmed"  # placed from a valid configuration; exploded into BOM and routing
    SCHEDULED = "scheduled"  # every operation has a machine and a time
    IN_PRODUCTION = "in_production"  # at a station (``station``)
    QUALITY_CHECKED = "quality_checked"  # the last (test) operation passed
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class ConsumerOrder(Base):
    __tablename__ = "c2m_order"
    __table_args__ = (
        CheckConstraint("price_cny >= 0", name="non_negative_price"),
        Index("ix_c2m_order_maker_created", "maker_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    maker_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    consumer_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    model_id: Mapped[int] = mapped_column(ForeignKey("c2m_product_model.id", ondelete="RESTRICT"), index=True)
    chosen: Mapped[list[str]] = mapped_column(JSON)  # option codes, sorted
    price_cny: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    region: Mapped[str] = mapped_column(String(40))  # province-level region, for demand analytics
    status: Mapped[OrderStatus] = mapped_column(
        str_enum(OrderStatus, "c2m_order_status"), default=OrderStatus.CONFIRMED
    )
    station: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class OrderEvent(Base):
    """One step of an order's timeline (what the consumer follows)."""

    __tablename__ = "c2m_order_event"
    __table_args__ = (Index("ix_c2m_order_event_order_at", "order_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("c2m_order.id", ondelete="CASCADE"))
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, "c2m_order_status"))
    station: Mapped[str | None] = mapped_column(String(100))
    at: Mapped[datetime]
    detail: Mapped[str | None] = mapped_column(String(500))


class OrderOperation(Base):
    """One routing operation of an order, as the scheduler placed it and as it ran."""

    __tablename__ = "c2m_operation"
    __table_args__ = (
        UniqueConstraint("order_id", "seq", name="uq_c2m_operation_order_seq"),
        CheckConstraint("minutes > 0", name="positive_minutes"),
        Index("ix_c2m_operation_equipment_start", "equipment_id", "planned_start"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("c2m_order.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))  # the routing's equipment kind
    minutes: Mapped[int] = mapped_column(Integer)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="SET NULL"))
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    production_order_id: Mapped[int | None] = mapped_column(ForeignKey("production_order.id", ondelete="SET NULL"))


class ScheduleRun(Base):
    """One run of the scheduler over a maker's open operations: why, how well, how long."""

    __tablename__ = "c2m_schedule_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    maker_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    reason: Mapped[str] = mapped_column(String(300))  # "new orders", "HG-PR-01 down since 10:42", …
    solver_status: Mapped[str] = mapped_column(String(30))
    operations: Mapped[int] = mapped_column(Integer)
    tardiness_min: Mapped[int] = mapped_column(Integer)
    makespan_min: Mapped[int] = mapped_column(Integer)
    time_limit_s: Mapped[float]
    wall_s: Mapped[float]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
