"""Production tables: calendars and plans, the state ledger, downtime reasons, materialised KPI totals.

Times of the ledger and of the totals are integer microseconds since the epoch (UTC), like telemetry samples, so
that they join without conversion. Non-overlap of ledger intervals is enforced by an exclusion constraint on
PostgreSQL (added in the migration) and by the ledger service on SQLite.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    SmallInteger,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.production.calendar import DowntimeKind
from zhizao.production.totals import Totals
from zhizao.telemetry.kinds import EquipmentType
from zhizao.ui.i18n import N_


class LossCategory(StrEnum):
    """Where a classified stop goes in the six big losses."""

    BREAKDOWN = "breakdown"
    SETUP = "setup"
    MINOR_STOP = "minor_stop"
    WAITING = "waiting"  # material, operator, upstream/downstream
    QUALITY = "quality"
    OTHER = "other"


LOSS_CATEGORY_LABELS = {
    LossCategory.BREAKDOWN: N_("Breakdown"),
    LossCategory.SETUP: N_("Setup and adjustment"),
    LossCategory.MINOR_STOP: N_("Minor stop"),
    LossCategory.WAITING: N_("Waiting"),
    LossCategory.QUALITY: N_("Quality problem"),
    LossCategory.OTHER: N_("Other"),
}


class OrderStatus(StrEnum):
    PLANNED = "planned"
    RELEASED = "released"
    RUNNING = "running"
    DONE = "done"
    CANCELLED = "cancelled"


class BucketKind(StrEnum):
    SHIFT = "shift"
    DAY = "day"


class WorkCalendarRecord(Base):
    """A named work calendar; ``definition`` is a ``production.calendar.WorkCalendar`` as JSON."""

    __tablename__ = "work_calendar"
    __table_args__ = (UniqueConstraint("enterprise_id", "name", name="uq_work_calendar_enterprise_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class EquipmentSetting(Base):
    """Production settings of one piece of equipment: its calendar and its micro-stop threshold (one place)."""

    __tablename__ = "equipment_setting"
    __table_args__ = (CheckConstraint("micro_stop_s BETWEEN 1 AND 3600", name="micro_stop_range"),)

    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("work_calendar.id", ondelete="SET NULL"))
    micro_stop_s: Mapped[int] = mapped_column(Integer, default=120)


class PlannedDowntimeRecord(Base):
    """Planned downtime of one piece of equipment, or of all the enterprise's equipment (``equipment_id`` NULL)."""

    __tablename__ = "planned_downtime"
    __table_args__ = (CheckConstraint("end_us > start_us", name="positive_duration"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), index=True)
    start_us: Mapped[int] = mapped_column(BigInteger)
    end_us: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[DowntimeKind] = mapped_column(str_enum(DowntimeKind, "downtime_kind"))
    note: Mapped[str | None] = mapped_column(String(500))


class ReasonTree(Base):
    """One version of an enterprise's downtime reason tree; the highest version is the current one."""

    __tablename__ = "reason_tree"
    __table_args__ = (UniqueConstraint("enterprise_id", "version", name="uq_reason_tree_enterprise_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DowntimeReason(Base):
    __tablename__ = "downtime_reason"
    __table_args__ = (UniqueConstraint("tree_id", "code", name="uq_downtime_reason_tree_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_id: Mapped[int] = mapped_column(ForeignKey("reason_tree.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    parent_code: Mapped[str | None] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[LossCategory] = mapped_column(str_enum(LossCategory, "loss_category"))


class StateInterval(Base):
    """One interval of the state ledger: [start_us, end_us) in one (MachineryItemState, OperationMode)."""

    __tablename__ = "state_interval"
    __table_args__ = (
        CheckConstraint("end_us > start_us", name="positive_duration"),
        Index("ix_state_interval_equipment_start", "equipment_id", "start_us"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    start_us: Mapped[int] = mapped_column(BigInteger)
    end_us: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[int] = mapped_column(SmallInteger)
    mode: Mapped[int] = mapped_column(SmallInteger)
    program: Mapped[str | None] = mapped_column(String(100))
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("downtime_reason.id", ondelete="SET NULL"))
    classified_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    classified_at: Mapped[datetime | None]


class LedgerProgress(Base):
    """How far the ledger of one piece of equipment is built, and from how many samples per hour (a later change
    in an hour's sample count means late data arrived for that hour and it is rebuilt)."""

    __tablename__ = "ledger_progress"

    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True)
    built_until_us: Mapped[int] = mapped_column(BigInteger)
    source_counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)  # hour start (µs, str) → samples


class Product(Base):
    __tablename__ = "product"
    __table_args__ = (UniqueConstraint("enterprise_id", "code", name="uq_product_enterprise_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="pcs")


class Operation(Base):
    """How a product is made on equipment: the program that makes it and its planned run time per unit (PRU).

    The most specific match wins: a named piece of equipment over an equipment type over any equipment."""

    __tablename__ = "operation"
    __table_args__ = (CheckConstraint("pru_ms > 0", name="positive_pru"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    equipment_type: Mapped[EquipmentType | None] = mapped_column(str_enum(EquipmentType, "operation_equipment_type"))
    program: Mapped[str | None] = mapped_column(String(100))
    pru_ms: Mapped[int] = mapped_column(Integer)


class ProductionOrder(Base):
    __tablename__ = "production_order"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "order_no", name="uq_production_order_enterprise_order_no"),
        CheckConstraint("quantity > 0", name="positive_quantity"),
        CheckConstraint("planned_end > planned_start", name="positive_duration"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    order_no: Mapped[str] = mapped_column(String(64))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="SET NULL"))
    quantity: Mapped[int]
    planned_start: Mapped[datetime]
    planned_end: Mapped[datetime]
    status: Mapped[OrderStatus] = mapped_column(str_enum(OrderStatus, "order_status"), default=OrderStatus.PLANNED)


class BucketTotals(Base):
    """``Totals`` of one piece of equipment for one shift instance or one local day, recomputed whenever the
    ledger, the counters or the plan of that day change. Weeks, months, lines and sites are sums of these."""

    __tablename__ = "bucket_totals"
    __table_args__ = (Index("ix_bucket_totals_enterprise_kind_day", "enterprise_id", "kind", "local_date"),)

    # A shift bucket is the day it starts on and the shift's name; a day's time outside shifts has label "".
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[BucketKind] = mapped_column(str_enum(BucketKind, "bucket_kind"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    label: Mapped[str] = mapped_column(String(40), primary_key=True, default="")
    start_us: Mapped[int] = mapped_column(BigInteger)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    calendar_us: Mapped[int] = mapped_column(BigInteger, default=0)
    pot_us: Mapped[int] = mapped_column(BigInteger, default=0)
    pdot_us: Mapped[int] = mapped_column(BigInteger, default=0)
    apt_us: Mapped[int] = mapped_column(BigInteger, default=0)
    aust_us: Mapped[int] = mapped_column(BigInteger, default=0)
    adet_us: Mapped[int] = mapped_column(BigInteger, default=0)
    micro_us: Mapped[int] = mapped_column(BigInteger, default=0)
    adot_us: Mapped[int] = mapped_column(BigInteger, default=0)
    unknown_us: Mapped[int] = mapped_column(BigInteger, default=0)
    pq: Mapped[int] = mapped_column(BigInteger, default=0)
    gq: Mapped[int] = mapped_column(BigInteger, default=0)
    sq: Mapped[int] = mapped_column(BigInteger, default=0)
    rq: Mapped[int] = mapped_column(BigInteger, default=0)
    pru_pq_us: Mapped[int] = mapped_column(BigInteger, default=0)
    pru_gq_us: Mapped[int] = mapped_column(BigInteger, default=0)
    failures: Mapped[int] = mapped_column(BigInteger, default=0)
    unknown_pru_pq: Mapped[int] = mapped_column(BigInteger, default=0)


# The Totals fields, one column each (checked by a test).
TOTAL_COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(Totals))


class DailyOutput(Base):
    """Good, scrap and rework units per product and local day, and the equipment's metered energy that day:
    the telemetry-side inputs of the programme KPIs."""

    __tablename__ = "daily_output"

    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), primary_key=True)
    local_date: Mapped[date] = mapped_column(Date, primary_key=True)
    product_code: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" for energy-only rows
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    good: Mapped[int] = mapped_column(BigInteger, default=0)
    scrap: Mapped[int] = mapped_column(BigInteger, default=0)
    rework: Mapped[int] = mapped_column(BigInteger, default=0)
    energy_kwh: Mapped[Decimal] = mapped_column(Numeric(18, 3), default=Decimal(0))


class CountCorrection(Base):
    """Units moved between good and scrap after they were counted (a reviewer overturning an inspection's verdict).

    Counters never go down, so a correction cannot be a lower counter reading; production adds these moves to the
    counter increments of the minute the unit was counted in (``materialise``): GQ and SQ change, PQ does not.
    ``to_scrap`` is the number of units moved from good to scrap (negative: from scrap to good)."""

    __tablename__ = "count_correction"
    __table_args__ = (
        CheckConstraint("to_scrap <> 0", name="non_zero"),
        Index("ix_count_correction_equipment_ts", "equipment_id", "ts_us"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    ts_us: Mapped[int] = mapped_column(BigInteger)  # when the unit was counted (its counter reading's time)
    to_scrap: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(40))  # what moved it, e.g. "vision_review"
    reference: Mapped[str] = mapped_column(String(80))  # the record behind it, e.g. the inspection id
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class EnterpriseInput(Base):
    """A figure the enterprise enters or imports for the programme KPIs: labour hours, costs by category,
    price indices, per month. ``kind`` and ``category`` follow ``production.programme``'s input names."""

    __tablename__ = "enterprise_input"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "month", "kind", "category", name="uq_enterprise_input_month_kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    month: Mapped[date] = mapped_column(Date)  # first day of the month
    kind: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40), default="")
    value: Mapped[Decimal] = mapped_column(Numeric(20, 4))


class Delivery(Base):
    """A delivered customer order, for order-to-delivery time."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("enterprise_id", "order_ref", name="uq_delivery_enterprise_order_ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    order_ref: Mapped[str] = mapped_column(String(64))
    product_code: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int]
    order_date: Mapped[date] = mapped_column(Date)
    delivery_date: Mapped[date] = mapped_column(Date)


class KpiVerification(Base):
    """A stored programme-KPI verification: windows, every input, the formula version, coverage and verdicts."""

    __tablename__ = "kpi_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    baseline_start: Mapped[date] = mapped_column(Date)
    baseline_end: Mapped[date] = mapped_column(Date)
    evaluation_start: Mapped[date] = mapped_column(Date)
    evaluation_end: Mapped[date] = mapped_column(Date)
    formula_version: Mapped[str] = mapped_column(String(40))
    productivity_verdict: Mapped[str] = mapped_column(String(40))
    cost_verdict: Mapped[str] = mapped_column(String(40))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)  # inputs, intermediate values, KPIs, coverage
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
