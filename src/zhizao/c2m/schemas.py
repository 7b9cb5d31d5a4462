"""Pydantic schemas of the C2M API: product model versions and their summaries, configurator steps, orders with
their timeline, operations and BOM."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from zhizao.c2m.models import ModelStatus, OrderStatus
from zhizao.c2m.product.model import MODEL_CODE_PATTERN
from zhizao.c2m.product.release import IssueKind, Severity
from zhizao.c2m.product.results import OptionState
from zhizao.c2m.regions import Region
from zhizao.fields import Text

ModelCode = Annotated[str, Field(pattern=MODEL_CODE_PATTERN)]
# Unknown codes are the configurator's to name (``body.chosen.3: unknown option``); only the size is checked here.
OptionCode = Annotated[Text, Field(min_length=1, max_length=64)]
Chosen = Annotated[list[OptionCode], Field(max_length=1000)]


class Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class VersionRead(Read):
    id: int
    enterprise_id: int
    code: str
    version: int
    name: str
    status: ModelStatus
    created_at: datetime
    released_at: datetime | None


class IssueRead(BaseModel):
    kind: IssueKind
    severity: Severity
    field: str
    subject: str
    message: str


class ReleaseReportRead(BaseModel):
    code: str
    version: int
    releasable: bool
    issues: list[IssueRead]


class OptionSummary(BaseModel):
    code: str
    name: str
    price: Decimal
    discontinued: bool


class FamilySummary(BaseModel):
    code: str
    name: str
    min_choices: int
    max_choices: int
    options: list[OptionSummary]


class RuleSummary(BaseModel):
    id: str
    kind: str
    sentence: str


class OperationSummary(BaseModel):
    sequence: int
    code: str
    name: str
    equipment_type: str
    base_minutes: Decimal
    condition: str | None


class VersionDetail(VersionRead):
    base_price: Decimal
    families: list[FamilySummary]
    rules: list[RuleSummary]
    bom_lines: int
    routing: list[OperationSummary]
    release_report: dict[str, Any] | None


class ModelListing(BaseModel):
    """A released model as consumers find it (its current version)."""

    code: str
    version: int
    name: str
    base_price: Decimal
    families: int
    options: int


class Selection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: Annotated[int, Field(ge=1, le=1_000_000)]
    chosen: Chosen = Field(default_factory=list)


class ReasonRead(BaseModel):
    rule_id: str
    text: str  # in the request's language (zh-CN unless the language cookie says otherwise)
    message: str  # English


class OptionRead(BaseModel):
    code: str
    name: str
    price: Decimal
    state: OptionState
    reasons: list[ReasonRead]
    because_of: str
    in_conflict: bool


class FamilyRead(BaseModel):
    code: str
    name: str
    min_choices: int
    max_choices: int
    missing: bool
    options: list[OptionRead]


class StepRead(BaseModel):
    code: str
    version: int
    chosen: list[str]
    price: Decimal
    valid: bool
    complete: bool  # a whole valid configuration: it can be ordered
    conflict: list[ReasonRead]
    conflict_because_of: str
    families: list[FamilyRead]


class CompletionRead(BaseModel):
    code: str
    version: int
    chosen: list[str]
    added: list[str]
    price: Decimal
    optimal: bool


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    model_code: ModelCode
    version: Annotated[int, Field(ge=1, le=1_000_000)]
    chosen: Chosen
    region: Region


class OrderRead(Read):
    id: int
    number: str
    maker_id: int
    consumer_id: int
    model_id: int
    chosen: list[str]
    price_cny: Decimal
    region: str
    status: OrderStatus
    station: str | None
    due_at: datetime
    created_at: datetime
    updated_at: datetime


class OrderPage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[OrderRead]


class EventRead(Read):
    status: OrderStatus
    station: str | None
    at: datetime
    detail: str | None


class OperationRead(Read):
    seq: int
    code: str
    kind: str
    minutes: int
    equipment_id: int | None
    planned_start: datetime | None
    planned_end: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    production_order_id: int | None


class OrderDetail(OrderRead):
    model_code: str
    model_version: int
    events: list[EventRead]
    operations: list[OperationRead]


class BomLineRead(BaseModel):
    position: int
    part_number: str
    description: str
    quantity: Decimal
    unit: str
