"""API shapes for calendars, equipment settings, planned downtime, products, operations, orders and reasons."""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from zhizao.fields import IdField, NoNul
from zhizao.production.calendar import DowntimeKind, WorkCalendar
from zhizao.production.models import LossCategory, OrderStatus
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.schemas import Code, Name

MAX_INT32 = 2**31 - 1
MICRO_STOP_MIN_S = 1
MICRO_STOP_MAX_S = 3600
EARLIEST_YEAR = 1970
LATEST_YEAR = 2200


def _plausible_moment(value: datetime) -> datetime:
    """Plans and windows lie between 1970 and 2200 (UTC): beyond that a value is a typo, and at the edges of
    ``datetime`` the conversion to UTC itself overflows."""
    try:
        utc = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError(f"must lie between {EARLIEST_YEAR} and {LATEST_YEAR}") from exc
    if not EARLIEST_YEAR <= utc.year < LATEST_YEAR:
        raise ValueError(f"must lie between {EARLIEST_YEAR} and {LATEST_YEAR}")
    return value


def _loadable_zone(value: object) -> object:
    """Refuse a time zone that ``zoneinfo`` cannot even look up (a directory such as "America" raises
    IsADirectoryError, a lone surrogate UnicodeEncodeError), before ``WorkCalendar`` tries it."""
    zone = value.get("timezone") if isinstance(value, dict) else None
    if isinstance(zone, str):
        try:
            ZoneInfo(zone)
        except Exception as exc:
            raise ValueError("unknown time zone") from exc
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_plausible_moment)]
Definition = Annotated[WorkCalendar, BeforeValidator(_loadable_zone)]
CalendarName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
ReasonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
ReasonCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.\-]{1,40}$")]
Note = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), NoNul]
ProgramName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100), NoNul]
UnitName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=20), NoNul]
MicroStopSeconds = Annotated[int, Field(ge=MICRO_STOP_MIN_S, le=MICRO_STOP_MAX_S)]
PruMs = Annotated[int, Field(ge=1, le=MAX_INT32, description="Planned run time per unit in milliseconds (> 0).")]
Quantity = Annotated[int, Field(ge=1, le=MAX_INT32)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- calendars and equipment settings ----------------------------------------------------------------------


class CalendarCreate(_Strict):
    enterprise_id: IdField | None = Field(default=None, description="Required for administrators; ignored otherwise.")
    name: CalendarName
    definition: Definition


class CalendarUpdate(_Strict):
    name: CalendarName | None = None
    definition: Definition | None = None


class CalendarRead(BaseModel):
    id: int
    enterprise_id: int
    name: str
    definition: WorkCalendar
    updated_at: datetime


class CalendarDayKind(StrEnum):
    HOLIDAY = "holiday"  # a day off although it is a working weekday
    MAKEUP_DAY = "makeup_day"  # 调休: a working day although it falls on a weekend


class CalendarDayChange(_Strict):
    day: date
    kind: CalendarDayKind


class EquipmentSettingUpdate(_Strict):
    calendar_id: IdField | None = Field(default=None, description="A calendar of the same enterprise; null clears.")
    micro_stop_s: MicroStopSeconds | None = Field(
        default=None, description="Stops shorter than this count as micro-stops (1–3600 s)."
    )


class EquipmentSettingRead(_Read):
    equipment_id: int
    enterprise_id: int
    calendar_id: int | None
    micro_stop_s: int


class NodeCalendarAssignment(_Strict):
    calendar_id: IdField | None = Field(description="Assigned to every piece of equipment under the node; null clears.")


# --- planned downtime --------------------------------------------------------------------------------------


class DowntimeCreate(_Strict):
    enterprise_id: IdField | None = None
    equipment_id: IdField | None = Field(default=None, description="Empty: all of the enterprise's equipment.")
    start: Moment
    end: Moment
    kind: DowntimeKind
    note: Note | None = None


class DowntimeUpdate(_Strict):
    start: Moment | None = None
    end: Moment | None = None
    kind: DowntimeKind | None = None
    note: Note | None = None


class DowntimeRead(BaseModel):
    id: int
    enterprise_id: int
    equipment_id: int | None
    start: datetime
    end: datetime
    kind: DowntimeKind
    note: str | None


# --- products, operations, orders --------------------------------------------------------------------------


class ProductCreate(_Strict):
    enterprise_id: IdField | None = None
    code: Code
    name: Name
    unit: UnitName = "pcs"


class ProductUpdate(_Strict):
    name: Name | None = None
    unit: UnitName | None = None


class ProductRead(_Read):
    id: int
    enterprise_id: int
    code: str
    name: str
    unit: str


class OperationCreate(_Strict):
    product_id: IdField
    equipment_id: IdField | None = Field(default=None, description="A named piece of equipment, or")
    equipment_type: EquipmentType | None = Field(default=None, description="every piece of this type, or neither.")
    program: ProgramName | None = None
    pru_ms: PruMs


class OperationUpdate(_Strict):
    program: ProgramName | None = None
    pru_ms: PruMs | None = None


class OperationRead(_Read):
    id: int
    enterprise_id: int
    product_id: int
    equipment_id: int | None
    equipment_type: EquipmentType | None
    program: str | None
    pru_ms: int


class OrderCreate(_Strict):
    enterprise_id: IdField | None = None
    order_no: Code
    product_id: IdField
    equipment_id: IdField | None = None
    quantity: Quantity
    planned_start: Moment
    planned_end: Moment


class OrderUpdate(_Strict):
    product_id: IdField | None = None
    equipment_id: IdField | None = None
    quantity: Quantity | None = None
    planned_start: Moment | None = None
    planned_end: Moment | None = None


class OrderStatusChange(_Strict):
    status: OrderStatus


class OrderRead(_Read):
    id: int
    enterprise_id: int
    order_no: str
    product_id: int
    equipment_id: int | None
    quantity: int
    planned_start: datetime
    planned_end: datetime
    status: OrderStatus


class OrderImportReport(BaseModel):
    rows: int
    orders_created: int
    orders_updated: int
    products_created: int


# --- downtime reasons and stops ----------------------------------------------------------------------------


class ReasonSpec(_Strict):
    code: ReasonCode
    parent_code: ReasonCode | None = None
    name: ReasonName
    category: LossCategory


class ReasonTreeCreate(_Strict):
    enterprise_id: IdField | None = None
    reasons: list[ReasonSpec] = Field(min_length=1, max_length=500)


class ReasonRead(_Read):
    id: int
    code: str
    parent_code: str | None
    name: str
    category: LossCategory


class ReasonTreeSummary(BaseModel):
    id: int
    enterprise_id: int
    version: int
    created_at: datetime
    is_current: bool
    reasons: int


class ReasonTreeRead(BaseModel):
    id: int
    enterprise_id: int
    version: int
    created_at: datetime
    is_current: bool
    reasons: list[ReasonRead]


class StopRead(BaseModel):
    """A ledger interval in which the equipment did not produce (anything but Executing + Processing)."""

    id: int
    equipment_id: int
    start: datetime
    end: datetime
    duration_s: float
    state: MachineryItemState
    mode: OperationMode
    program: str | None
    is_micro_stop: bool = Field(description="NotExecuting and shorter than the equipment's micro-stop threshold.")
    in_planned_busy_time: bool | None = Field(
        description="Overlaps a shift outside planned downtime; null when the equipment has no calendar."
    )
    reason: ReasonRead | None
    classified_by: int | None
    classified_at: datetime | None


class StopClassification(_Strict):
    reason_id: IdField | None = Field(description="A reason of the enterprise's current tree; null clears.")


class SuggestionBasis(StrEnum):
    ALARM = "alarm"  # the alarm text active when the stop began names the reason
    STATE = "state"  # the machine state and mode point at the reason's loss category
    HISTORY = "history"  # stops of the same kind on this equipment were classified so before


class ReasonSuggestion(BaseModel):
    reason: ReasonRead
    score: float
    basis: list[SuggestionBasis]
