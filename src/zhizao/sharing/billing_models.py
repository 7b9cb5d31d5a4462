"""Capacity-sharing billing tables: the meter log, invoices and their lines, disputes and credit notes.

The meter log is one hash chain per owner (the party that bills): ``seq`` counts from 0 without gaps within an
owner's chain, and the database refuses UPDATE and DELETE of its rows (a trigger on both backends), so the only way
to change the log is by hand around the trigger — which :func:`zhizao.sharing.meterlog.verify` then detects.
An issued invoice stores the head (seq, hash) of its owner's chain, so truncating the log is detected too.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import cast

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow

# Refuse changes to meter records whatever code sends them (the migration creates the same triggers).
APPEND_ONLY_SQLITE = (
    "CREATE TRIGGER IF NOT EXISTS share_meter_record_{op}_refused BEFORE {op_upper} ON share_meter_record "
    "BEGIN SELECT RAISE(ABORT, 'the meter log is append-only'); END"
)
APPEND_ONLY_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION share_meter_record_append_only() RETURNS trigger LANGUAGE plpgsql AS "
    "$$ BEGIN RAISE EXCEPTION 'the meter log is append-only'; END $$"
)
APPEND_ONLY_PG_TRIGGER = (
    "CREATE TRIGGER share_meter_record_append_only BEFORE UPDATE OR DELETE ON share_meter_record "
    "FOR EACH ROW EXECUTE FUNCTION share_meter_record_append_only()"
)


def append_only_statements(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [APPEND_ONLY_PG_FUNCTION, APPEND_ONLY_PG_TRIGGER]
    return [APPEND_ONLY_SQLITE.format(op=op, op_upper=op.upper()) for op in ("update", "delete")]


class MeterRecordRow(Base):
    """One record of an owner's meter log (see :mod:`zhizao.sharing.meterlog` for the fields and the hash)."""

    __tablename__ = "share_meter_record"
    __table_args__ = (
        UniqueConstraint("owner_id", "seq", name="uq_share_meter_record_owner_seq"),
        CheckConstraint("seq >= 0", name="non_negative_seq"),
        CheckConstraint("end_us >= start_us", name="ordered_period"),
        Index("ix_share_meter_record_booking", "booking_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    seq: Mapped[int] = mapped_column(BigInteger)
    record_id: Mapped[str] = mapped_column(String(80), unique=True)
    lessee_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("share_listing.id", ondelete="RESTRICT"))
    booking_id: Mapped[int] = mapped_column(ForeignKey("share_booking.id", ondelete="RESTRICT"))
    machine_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    start_us: Mapped[int] = mapped_column(BigInteger)
    end_us: Mapped[int] = mapped_column(BigInteger)
    # Exact decimal text as hashed (µs, counts or damage to 1e-9): a string, so no backend rescales it.
    quantity: Mapped[str] = mapped_column(String(40))
    intervals: Mapped[list[list[int]]] = mapped_column(JSON, default=list)
    component: Mapped[str | None] = mapped_column(String(64))
    event_us: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(500))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The local month (first day, 'YYYY-MM') the record is invoiced in: records are cut at month ends.
    period: Mapped[str] = mapped_column(String(7), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


_meter = cast(Table, MeterRecordRow.__table__)
for _statement in append_only_statements("sqlite"):
    event.listen(_meter, "after_create", DDL(_statement).execute_if(dialect="sqlite"))  # type: ignore[no-untyped-call]
for _statement in append_only_statements("postgresql"):
    event.listen(_meter, "after_create", DDL(_statement).execute_if(dialect="postgresql"))  # type: ignore[no-untyped-call]


class InvoiceStatus(StrEnum):
    ISSUED = "issued"
    DISPUTED = "disputed"  # at least one line has an open dispute
    SETTLED = "settled"  # every dispute answered


class InvoiceRow(Base):
    """A monthly invoice from an owner to a lessee; its lines are grouped by booking."""

    __tablename__ = "share_invoice"
    __table_args__ = (
        UniqueConstraint("owner_id", "lessee_id", "period", name="uq_share_invoice_owner_lessee_period"),
        CheckConstraint("head_seq >= 0", name="non_negative_head"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    lessee_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    period: Mapped[str] = mapped_column(String(7))  # 'YYYY-MM', local time
    status: Mapped[InvoiceStatus] = mapped_column(
        str_enum(InvoiceStatus, "share_invoice_status"), default=InvoiceStatus.ISSUED
    )
    total_cny: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    head_seq: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    record_ids: Mapped[list[str]] = mapped_column(JSON)
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)


class InvoiceLineRow(Base):
    """One line (see :class:`zhizao.sharing.invoicing.InvoiceLine`), priced by one tariff version of one listing."""

    __tablename__ = "share_invoice_line"
    __table_args__ = (UniqueConstraint("invoice_id", "position", name="uq_share_invoice_line_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("share_invoice.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    booking_id: Mapped[int] = mapped_column(ForeignKey("share_booking.id", ondelete="RESTRICT"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("share_listing.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(30))
    tariff_pk: Mapped[int] = mapped_column(ForeignKey("share_tariff.id", ondelete="RESTRICT"))
    tariff_version: Mapped[int] = mapped_column(Integer)
    component: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[str] = mapped_column(String(40))  # exact decimal text, as the pure line holds it
    unit: Mapped[str] = mapped_column(String(20))
    unit_rate: Mapped[str] = mapped_column(String(40))
    amount_cny: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    record_ids: Mapped[list[str]] = mapped_column(JSON)
    intervals: Mapped[list[list[int]]] = mapped_column(JSON)
    basis_us: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(1000))


class DisputeStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"  # the owner agreed: a credit note was issued
    REJECTED = "rejected"  # the owner explained why the line stands


class DisputeRow(Base):
    """A lessee's objection to one invoice line and the owner's answer."""

    __tablename__ = "share_dispute"
    __table_args__ = (CheckConstraint("credit_cny IS NULL OR credit_cny > 0", name="positive_credit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("share_invoice.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("share_invoice_line.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    lessee_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    status: Mapped[DisputeStatus] = mapped_column(
        str_enum(DisputeStatus, "share_dispute_status"), default=DisputeStatus.OPEN
    )
    reason: Mapped[str] = mapped_column(String(1000))
    answer: Mapped[str | None] = mapped_column(String(1000))
    credit_cny: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    raised_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    raised_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]


class CreditNoteRow(Base):
    """Money the owner gives back on an accepted dispute; it references the invoice, which itself never changes."""

    __tablename__ = "share_credit_note"
    __table_args__ = (CheckConstraint("amount_cny > 0", name="positive_amount"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("share_invoice.id", ondelete="CASCADE"), index=True)
    dispute_id: Mapped[int] = mapped_column(ForeignKey("share_dispute.id", ondelete="CASCADE"), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    lessee_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    amount_cny: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    reason: Mapped[str] = mapped_column(String(1000))
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
