"""Pydantic schemas of invoices, disputes and credit notes. Money is a Decimal (sent as a string, "380.00"); meter
quantities and unit rates are the exact decimal text the invoice line holds ("0.000039167")."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from zhizao.fields import IdField, Text
from zhizao.sharing.billing_models import DisputeStatus, InvoiceStatus
from zhizao.sharing.bookings import Side

Cny = Annotated[Decimal, AfterValidator(lambda value: value.quantize(Decimal("0.01")))]
# A credit note's amount: positive, to the fen (the service also caps it at what the line still charges).
Credit = Annotated[Decimal, Field(gt=0, le=Decimal("100000000"), max_digits=12, decimal_places=2)]
Explanation = Annotated[Text, Field(min_length=1, max_length=1000)]
Period = Annotated[Text, Field(min_length=1, max_length=16)]  # 'YYYY-MM'; the service says what is wrong with it


class InvoiceCreate(BaseModel):
    """Issue the owner's invoice of a month that is over to one lessee; ``owner_id`` defaults to the caller's
    enterprise (an administrator names it)."""

    model_config = ConfigDict(extra="forbid")

    lessee_id: IdField
    period: Period
    owner_id: IdField | None = None


class InvoiceSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    owner_id: int
    lessee_id: int
    owner_name: str
    lessee_name: str
    side: Side | None  # the caller's side; None for an administrator or officer of neither party
    period: str
    status: InvoiceStatus
    total_cny: Cny
    head_seq: int
    head_hash: str
    issued_at: datetime


class InvoicePage(BaseModel):
    total: int
    offset: int
    limit: int
    items: list[InvoiceSummary]


class InvoiceLineRead(BaseModel):
    id: int
    position: int
    booking_id: int
    listing_id: int
    kind: str
    tariff_id: int  # the stored version (share_tariff.id)
    tariff_version: int
    component: str | None
    quantity: str
    unit: str
    unit_rate: str
    amount_cny: Cny
    record_ids: list[str]
    intervals: list[list[int]]  # [[start_us, end_us], …], UTC µs
    basis_us: int | None
    note: str | None
    credited_cny: Cny  # given back on this line by accepted disputes
    open_dispute_id: int | None


class BookingLinesRead(BaseModel):
    booking_id: int
    listing_id: int
    listing_title: str
    start_at: datetime
    end_at: datetime
    subtotal_cny: Cny
    lines: list[InvoiceLineRead]


class DisputeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    invoice_id: int
    line_id: int
    status: DisputeStatus
    reason: str
    answer: str | None
    credit_cny: Cny | None
    raised_at: datetime
    answered_at: datetime | None


class CreditNoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    number: str
    invoice_id: int
    dispute_id: int
    amount_cny: Cny
    reason: str
    issued_at: datetime


class TariffVersionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    listing_id: int
    version: int
    valid_from: datetime
    rates: dict[str, Any]


class InvoiceDetail(InvoiceSummary):
    record_ids: list[str]
    bookings: list[BookingLinesRead]
    disputes: list[DisputeRead]
    credit_notes: list[CreditNoteRead]
    tariffs: list[TariffVersionRead]
    credited_cny: Cny
    balance_cny: Cny  # the total less the credit notes


class RecomputedLine(BaseModel):
    booking_id: int
    kind: str
    tariff_version: int
    component: str | None
    quantity: str
    unit: str
    unit_rate: str
    amount_cny: Cny


class RecomputationRead(BaseModel):
    """The invoice re-priced from the verified meter log up to its stored head: ``matches`` when every line is
    reproduced; otherwise ``problems`` says what differs (a tampered, truncated or rewritten log)."""

    invoice_id: int
    number: str
    matches: bool
    problems: list[str]
    issued_total_cny: Cny
    recomputed_total_cny: Cny
    lines: list[RecomputedLine]


class DisputeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    line_id: IdField
    reason: Explanation


class DisputeAnswer(BaseModel):
    """Accept with a credit note of ``credit`` CNY, or reject with an explanation (and no credit)."""

    model_config = ConfigDict(extra="forbid")

    accept: bool
    answer: Explanation
    credit: Credit | None = None
