"""The work-order API's shapes (Pydantic v2): orders, transitions, parts, plans, reliability figures."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from zhizao.fields import IdField, NoNul
from zhizao.maintenance.workorders.lifecycle import Action, Status
from zhizao.maintenance.workorders.reliability import RepairSource
from zhizao.maintenance.workorders.reliability import Status as FigureStatus
from zhizao.maintenance.workorders.schedule import CalendarUnit, Trigger
from zhizao.maintenance.workorders.types import OrderKind, OrderSource
from zhizao.production.schemas import Moment

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000), NoNul]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000), NoNul]
CodeText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10), NoNul]
PartNumber = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), NoNul]
PartName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200), NoNul]
Priority = Annotated[int, Field(ge=1, le=4, description="1 urgent … 4 low")]
LabourHours = Annotated[Decimal, Field(ge=0, le=Decimal("99999999.99"), decimal_places=2)]
Quantity = Annotated[Decimal, Field(gt=0, le=Decimal("999999999.999"), decimal_places=3)]
UnitCost = Annotated[Decimal, Field(ge=0, le=Decimal("999999999999.99"), decimal_places=2, description="CNY")]
Interval = Annotated[int, Field(ge=1, le=1_000_000_000)]
Lead = Annotated[int, Field(ge=0, le=1_000_000_000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _window(start: datetime | None, end: datetime | None, field: str) -> None:
    if start is not None and end is not None and end <= start:
        raise ValueError(f"{field} must be after the start")


class WorkOrderCreate(_Strict):
    enterprise_id: IdField | None = None
    equipment_id: IdField
    title: Title
    description: LongText | None = None
    kind: OrderKind = OrderKind.CORRECTIVE
    priority: Priority = 3
    alarm_event_id: IdField | None = None
    case_id: IdField | None = None
    assignee_user_id: IdField | None = None
    assignee_name: Name | None = None
    planned_start: Moment | None = None
    planned_end: Moment | None = None
    notes: LongText | None = None

    @model_validator(mode="after")
    def _planned(self) -> WorkOrderCreate:
        _window(self.planned_start, self.planned_end, "planned_end")
        return self


class WorkOrderUpdate(_Strict):
    title: Title | None = None
    description: LongText | None = None
    kind: OrderKind | None = None
    priority: Priority | None = None
    planned_start: Moment | None = None
    planned_end: Moment | None = None
    actual_start: Moment | None = None
    actual_end: Moment | None = None
    failure_mode: CodeText | None = None
    failure_cause: CodeText | None = None
    remedy: CodeText | None = None
    labour_hours: LabourHours | None = None
    notes: LongText | None = None


class TransitionIn(_Strict):
    action: Action
    comment: Comment | None = None
    assignee_user_id: IdField | None = None  # assign: a user of the enterprise …
    assignee_name: Name | None = None  # … or a technician's name
    at: Moment | None = None  # start / finish: when the work started or ended (default: now)


class PartCreate(_Strict):
    part_number: PartNumber
    name: PartName
    quantity: Quantity
    unit_cost: UnitCost


class PartRead(BaseModel):
    id: int
    part_number: str
    name: str
    quantity: Decimal
    unit_cost: Decimal
    line_cost: Decimal


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    action: str
    from_status: str | None
    to_status: str
    user_id: int | None
    user_name: str
    comment: str | None
    at: datetime


class WorkOrderRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    equipment_id: int
    title: str
    description: str | None
    source: OrderSource
    alarm_event_id: int | None
    case_id: int | None
    plan_id: int | None
    plan_occurrence: int | None
    priority: int
    kind: OrderKind
    status: Status
    assignee_user_id: int | None
    assignee_name: str | None
    planned_start: datetime | None
    planned_end: datetime | None
    actual_start: datetime | None
    actual_end: datetime | None
    failure_mode: str | None
    failure_cause: str | None
    remedy: str | None
    labour_hours: Decimal | None
    notes: str | None
    worked_by: int | None
    verified_by: int | None
    repair_start: datetime | None = None
    repair_end: datetime | None = None
    repair_source: RepairSource | None
    created_by_name: str
    created_at: datetime
    updated_at: datetime


class WorkOrderDetail(WorkOrderRead):
    parts: list[PartRead]
    parts_cost: Decimal
    timeline: list[EventRead]
    actions: list[Action]  # what the caller may do now


class WorkOrderPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[WorkOrderRead]


class CodeRead(BaseModel):
    code: str
    label: str


class CodeLists(BaseModel):
    failure_mode: list[CodeRead]
    failure_cause: list[CodeRead]
    remedy: list[CodeRead]


class PlanCreate(_Strict):
    enterprise_id: IdField | None = None
    equipment_id: IdField
    title: Title
    description: LongText | None = None
    trigger: Trigger
    interval: Interval = Field(description="days/weeks/months (calendar), hours, or good parts")
    calendar_unit: CalendarUnit | None = None
    start_date: date
    lead: Lead = 0
    priority: Priority = 3
    assignee_name: Name | None = None

    @model_validator(mode="after")
    def _unit(self) -> PlanCreate:
        if self.trigger is Trigger.CALENDAR and self.calendar_unit is None:
            raise ValueError("calendar_unit: a calendar plan needs a unit (day, week or month)")
        if self.trigger is not Trigger.CALENDAR and self.calendar_unit is not None:
            raise ValueError("calendar_unit: only calendar plans have a unit")
        return self


class PlanUpdate(_Strict):
    title: Title | None = None
    description: LongText | None = None
    lead: Lead | None = None
    priority: Priority | None = None
    assignee_name: Name | None = None
    active: bool | None = None


class PlanRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    equipment_id: int
    title: str
    description: str | None
    trigger: Trigger
    interval_value: int
    calendar_unit: CalendarUnit | None
    start_date: date
    lead: int
    priority: int
    assignee_name: str | None
    active: bool
    next_occurrence: int
    usage: int
    next_due: str  # a date (calendar) or the usage still to go (counters), for people
    last_order_id: int | None


class DueReport(BaseModel):
    plans: int
    created: list[int]
    skipped: list[str]


class FigureRead(BaseModel):
    key: str  # equipment id or failure mode code
    label: str
    failures: int
    repair_h: float
    operating_h: float | None
    mttr_h: float | None
    mtbf_h: float | None
    availability: float | None
    status: FigureStatus


class ReliabilityReport(BaseModel):
    enterprise_id: int
    start: datetime
    end: datetime
    equipment: list[FigureRead]
    failure_modes: list[FigureRead]
    orders_from_order_times: int  # repairs timed by the orders themselves (no ledger data)
