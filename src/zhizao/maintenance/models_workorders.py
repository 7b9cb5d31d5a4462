"""Work-order tables: orders, their timeline, spare parts used, preventive maintenance plans and failure labels.

An order made from a maintenance case links it (``case_id``, checked: a case of the same equipment); verifying the
order closes the case.
Times of the repair interval and labels are integer microseconds (UTC) like the state ledger, so they join with it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow
from zhizao.maintenance.workorders.lifecycle import Status
from zhizao.maintenance.workorders.reliability import RepairSource
from zhizao.maintenance.workorders.schedule import CalendarUnit, Trigger
from zhizao.maintenance.workorders.types import OrderKind, OrderSource


class MaintenancePlan(Base):
    """A preventive plan for one piece of equipment: by calendar, operating hours or cycles, with a lead."""

    __tablename__ = "maintenance_pm_plan"
    __table_args__ = (
        CheckConstraint("interval_value >= 1", name="positive_interval"),
        CheckConstraint("lead >= 0", name="non_negative_lead"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    trigger: Mapped[Trigger] = mapped_column(str_enum(Trigger, "pm_trigger"))
    interval_value: Mapped[int] = mapped_column(BigInteger)  # days/weeks/months, hours, or parts
    calendar_unit: Mapped[CalendarUnit | None] = mapped_column(str_enum(CalendarUnit, "pm_calendar_unit"))
    start_date: Mapped[date] = mapped_column(Date)  # local date the plan starts counting from
    lead: Mapped[int] = mapped_column(BigInteger, default=0)  # days, hours or parts ahead of the due point
    priority: Mapped[int] = mapped_column(Integer, default=3)
    assignee_name: Mapped[str | None] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)
    next_occurrence: Mapped[int] = mapped_column(Integer, default=0)
    # Counter plans: usage counted so far (operating seconds or good parts) and up to when it was counted.
    usage: Mapped[int] = mapped_column(BigInteger, default=0)
    counted_until_us: Mapped[int | None] = mapped_column(BigInteger)
    last_order_id: Mapped[int | None] = mapped_column(Integer)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkOrder(Base):
    __tablename__ = "maintenance_work_order"
    __table_args__ = (
        UniqueConstraint("plan_id", "plan_occurrence", name="uq_maintenance_work_order_plan_occurrence"),
        Index("ix_maintenance_work_order_enterprise_status", "enterprise_id", "status"),
        CheckConstraint("priority BETWEEN 1 AND 4", name="priority_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[OrderSource] = mapped_column(str_enum(OrderSource, "work_order_source"))
    alarm_event_id: Mapped[int | None] = mapped_column(ForeignKey("alarm_event.id", ondelete="SET NULL"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_case.id", ondelete="SET NULL"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("maintenance_pm_plan.id", ondelete="SET NULL"))
    plan_occurrence: Mapped[int | None] = mapped_column(Integer)
    priority: Mapped[int] = mapped_column(Integer, default=3)  # 1 urgent … 4 low, as alarms
    kind: Mapped[OrderKind] = mapped_column(str_enum(OrderKind, "work_order_kind"))
    status: Mapped[Status] = mapped_column(str_enum(Status, "work_order_status"), default=Status.OPEN)
    assignee_user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    assignee_name: Mapped[str | None] = mapped_column(String(100))
    planned_start: Mapped[datetime | None]
    planned_end: Mapped[datetime | None]
    actual_start: Mapped[datetime | None]
    actual_end: Mapped[datetime | None]
    failure_mode: Mapped[str | None] = mapped_column(String(10))
    failure_cause: Mapped[str | None] = mapped_column(String(10))
    remedy: Mapped[str | None] = mapped_column(String(10))
    labour_hours: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    notes: Mapped[str | None] = mapped_column(Text)
    worked_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    repair_start_us: Mapped[int | None] = mapped_column(BigInteger)
    repair_end_us: Mapped[int | None] = mapped_column(BigInteger)
    onset_us: Mapped[int | None] = mapped_column(BigInteger)
    repair_source: Mapped[RepairSource | None] = mapped_column(str_enum(RepairSource, "work_order_repair_source"))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_by_name: Mapped[str] = mapped_column(String(100), default="system")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class WorkOrderEvent(Base):
    """One entry of an order's timeline: its creation and every transition, with who and why."""

    __tablename__ = "maintenance_work_order_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("maintenance_work_order.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(40))
    to_status: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    user_name: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(String(1000))
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkOrderPart(Base):
    """A spare part used on an order: quantity and unit cost in CNY (Decimal, to the fen)."""

    __tablename__ = "maintenance_work_order_part"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="positive_quantity"),
        CheckConstraint("unit_cost >= 0", name="non_negative_cost"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("maintenance_work_order.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    part_number: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_cost: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FailureLabel(Base):
    """A failure recorded by a verified corrective order: what the health and RUL models train and score on."""

    __tablename__ = "maintenance_failure_label"
    __table_args__ = (Index("ix_maintenance_failure_label_equipment_failure", "equipment_id", "failure_us"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="CASCADE"))
    order_id: Mapped[int] = mapped_column(ForeignKey("maintenance_work_order.id", ondelete="CASCADE"), unique=True)
    failure_mode: Mapped[str | None] = mapped_column(String(10))
    onset_us: Mapped[int | None] = mapped_column(BigInteger)  # first sign (an alarm), when known
    failure_us: Mapped[int] = mapped_column(BigInteger)  # the equipment went down (repair start)
    repair_end_us: Mapped[int] = mapped_column(BigInteger)
    source: Mapped[RepairSource] = mapped_column(str_enum(RepairSource, "failure_label_source"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
