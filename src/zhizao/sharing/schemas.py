"""Pydantic schemas of capacity sharing: listings, tariffs (their rates' shape), availability, bookings, quotes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from zhizao.fields import IdField, Text
from zhizao.sharing.models import BookingStatus
from zhizao.sharing.tariffs import IncidentKind
from zhizao.telemetry.kinds import EquipmentType

# CNY amounts and rates: non-negative, at most fen precision; sent and stored as strings so no float creeps in.
Money = Annotated[
    Decimal,
    Field(ge=0, le=Decimal("100000000"), max_digits=12, decimal_places=2),
    AfterValidator(lambda value: value.quantize(Decimal("0.01"))),  # one spelling per amount: "150.00"
]
Hours = Annotated[Decimal, Field(gt=0, le=Decimal("744"), max_digits=6, decimal_places=2)]  # ≤ 31 days
Name = Annotated[Text, Field(min_length=1, max_length=200)]
Note = Annotated[Text, Field(max_length=1000)]


Share = Annotated[Decimal, Field(ge=0, le=1, max_digits=5, decimal_places=4)]
ComponentKey = Annotated[Text, Field(min_length=1, max_length=64)]


class CancellationBandIn(BaseModel):
    """Cancelling with at least ``min_notice_h`` hours' notice costs ``share`` of the booked time at the hourly rate."""

    model_config = ConfigDict(extra="forbid")

    min_notice_h: Annotated[Decimal, Field(ge=0, le=8760, max_digits=8, decimal_places=2)]
    share: Share


class TariffRates(BaseModel):
    """A tariff's rates, named as the billing core's ``sharing.tariffs.Tariff`` names them (which also needs the
    row's listing id, version and ``valid_from``). Checked here: required rates, sign, fen precision, shares in
    [0, 1], a 0 h cancellation band; the billing core's own validation (e.g. more notice never costs more) runs
    on the stored JSON when it prices."""

    model_config = ConfigDict(extra="forbid")

    hourly_rate: Money  # CNY per billable machine hour
    setup_rate: Money = Decimal("0.00")  # CNY per setup
    wear_rates: dict[ComponentKey, Money] = Field(default_factory=dict)  # CNY per whole component life
    incident_rates: dict[IncidentKind, Money] = Field(default_factory=dict)  # CNY per incident (crash, overload)
    sla_credit_rate: Money = Decimal("0.00")  # CNY credited per hour of owner downtime in a job window
    no_show_share: Share = Decimal(1)  # of the booked time at the hourly rate
    cancellation: list[CancellationBandIn] = Field(
        default_factory=lambda: [CancellationBandIn(min_notice_h=Decimal(0), share=Decimal(0))], max_length=10
    )

    @field_validator("cancellation")
    @classmethod
    def _zero_band(cls, bands: list[CancellationBandIn]) -> list[CancellationBandIn]:
        if not any(band.min_notice_h == 0 for band in bands):
            raise ValueError("the cancellation bands must include one with min_notice_h 0")
        return bands

    def stored(self) -> dict[str, Any]:
        """The JSON kept in ``share_tariff.rates``: Decimals as strings."""
        return self.model_dump(mode="json")


# Wear components as ``wear.parse_specs`` reads them (checked there, and against the machine's signals, by the
# catalogue); incident alarms: the machine's alarm rule (its ``rule_id``) → the incident kind it bills.
# The photo is not an input: it is uploaded (``PUT /listings/{id}/photo``), which sets ``photo_path``.
WearComponents = Annotated[list[dict[str, Any]], Field(max_length=8)]
RuleId = Annotated[Text, Field(min_length=1, max_length=100)]
IncidentAlarms = Annotated[dict[RuleId, IncidentKind], Field(max_length=50)]


class ListingCreate(BaseModel):
    equipment_id: IdField
    title: Name
    description: Annotated[Text, Field(max_length=5000)] | None = None
    axes: Annotated[int, Field(ge=1, le=12)] | None = None
    envelope_x_mm: Annotated[int, Field(ge=1, le=100_000)] | None = None
    envelope_y_mm: Annotated[int, Field(ge=1, le=100_000)] | None = None
    envelope_z_mm: Annotated[int, Field(ge=1, le=100_000)] | None = None
    materials: list[Annotated[Text, Field(min_length=1, max_length=64)]] = Field(default_factory=list, max_length=30)
    precision_mm: Annotated[Decimal, Field(gt=0, le=10, max_digits=8, decimal_places=4)] | None = None
    location: Annotated[Text, Field(max_length=200)] | None = None
    wear_components: WearComponents = Field(default_factory=list)
    incident_alarms: IncidentAlarms = Field(default_factory=dict)
    published: bool = False
    rates: TariffRates | None = None  # the first tariff version, when given


class ListingUpdate(BaseModel):
    title: Name | None = None
    description: Annotated[Text, Field(max_length=5000)] | None = None
    axes: Annotated[int, Field(ge=1, le=12)] | None = None
    envelope_x_mm: Annotated[int, Field(ge=1, le=100_000)] | None = None
    envelope_y_mm: Annotated[int, Field(ge=1, le=100_000)] | None = None
    envelope_z_mm: Annotated[int, Field(ge=1, le=100_000)] | None = None
    materials: list[Annotated[Text, Field(min_length=1, max_length=64)]] | None = Field(None, max_length=30)
    precision_mm: Annotated[Decimal, Field(gt=0, le=10, max_digits=8, decimal_places=4)] | None = None
    location: Annotated[Text, Field(max_length=200)] | None = None
    wear_components: WearComponents | None = None
    incident_alarms: IncidentAlarms | None = None
    published: bool | None = None


class TariffRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    listing_id: int
    version: int
    rates: dict[str, Any]
    valid_from: datetime
    created_at: datetime


class ListingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    enterprise_id: int
    equipment_id: int
    title: str
    description: str | None
    axes: int | None
    envelope_x_mm: int | None
    envelope_y_mm: int | None
    envelope_z_mm: int | None
    materials: list[str]
    precision_mm: Decimal | None
    location: str | None
    photo_path: str | None
    wear_components: list[dict[str, Any]]
    incident_alarms: dict[str, str]
    published: bool
    created_at: datetime


class ListingDetail(ListingRead):
    equipment_type: EquipmentType
    equipment_name: str
    owner_name: str
    tariff: TariffRead | None


class WindowCreate(BaseModel):
    start_at: AwareDatetime
    end_at: AwareDatetime
    note: Annotated[Text, Field(max_length=200)] | None = None

    @model_validator(mode="after")
    def _ordered(self) -> WindowCreate:
        if self.end_at <= self.start_at:
            raise ValueError("end_at must be after start_at")
        return self


class WindowRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    listing_id: int
    start_at: datetime
    end_at: datetime
    note: str | None


class ReplacementCreate(BaseModel):
    """A wear component fitted new at ``replaced_at`` (not in the future, not during a lessee's job)."""

    model_config = ConfigDict(extra="forbid")

    component_id: Annotated[Text, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]
    replaced_at: AwareDatetime
    note: Annotated[Text, Field(max_length=200)] | None = None


class ReplacementRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    listing_id: int
    component_id: str
    replaced_at: datetime
    note: str | None
    created_at: datetime


class FreeSpan(BaseModel):
    """Part of an availability window no holding booking takes."""

    start_at: datetime
    end_at: datetime


class Availability(BaseModel):
    windows: list[WindowRead]
    free: list[FreeSpan]


class BookingCreate(BaseModel):
    """A time window, or a job inside one: part, quantity and the estimated machining hours (quoted instead of
    the window's length when given)."""

    listing_id: IdField
    start_at: AwareDatetime
    end_at: AwareDatetime
    part_name: Name | None = None
    quantity: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    estimated_hours: Hours | None = None
    note: Note | None = None

    @field_validator("start_at", "end_at")
    @classmethod
    def _whole_seconds(cls, value: datetime) -> datetime:
        return value.replace(microsecond=0)


class QuoteRead(BaseModel):
    listing_id: int
    tariff_id: int
    tariff_version: int
    hours: Decimal
    hourly_rate: Decimal
    amount_cny: Decimal


class Action(StrEnum):
    CONFIRM = "confirm"
    REJECT = "reject"
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"
    NO_SHOW = "no_show"


class TransitionIn(BaseModel):
    action: Action
    reason: Note | None = None


class BookingRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    listing_id: int
    equipment_id: int
    owner_id: int
    lessee_id: int
    start_at: datetime
    end_at: datetime
    status: BookingStatus
    part_name: str | None
    quantity: int | None
    estimated_hours: Decimal
    tariff_id: int
    quote_cny: Decimal
    job_id: str | None
    note: str | None
    reason: str | None
    cancelled_at: datetime | None
    started_at: datetime | None
    completed_at: datetime | None
    metered_until_us: int | None
    job_sent_at: datetime | None = None
    job_dispatch: str | None = None
    created_at: datetime


class BookingPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[BookingRead]
