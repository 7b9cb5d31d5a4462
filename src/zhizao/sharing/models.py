"""Capacity-sharing tables: offered equipment (the catalogue), versioned tariffs, availability windows, bookings.

No double booking: two bookings of one piece of equipment that hold it (confirmed, active, completed) may not
overlap. On PostgreSQL an exclusion constraint (btree_gist, like the state ledger's) refuses the second one whatever
code writes it, also under concurrent transactions; SQLite has no exclusion constraints, so there the booking
service takes the database's write lock before it checks (``bookings._lock_listing``).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, cast

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
    Text,
    UniqueConstraint,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ExcludeConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, str_enum, utcnow


class BookingStatus(StrEnum):
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    ACTIVE = "active"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Statuses in which a booking holds its window: these never overlap on one piece of equipment.
HOLDING_STATUSES = frozenset({BookingStatus.CONFIRMED, BookingStatus.ACTIVE, BookingStatus.COMPLETED})
_HOLDING_SQL = "status IN ('confirmed', 'active', 'completed')"
EXCLUSION_NAME = "ex_share_booking_no_overlap"


class SharedEquipment(Base):
    """A piece of equipment its owner offers for lease (the owner's consent is the act of offering it)."""

    __tablename__ = "share_listing"
    __table_args__ = (
        CheckConstraint("axes IS NULL OR axes BETWEEN 1 AND 12", name="axes_range"),
        CheckConstraint("precision_mm IS NULL OR precision_mm > 0", name="positive_precision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)  # the owner
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    axes: Mapped[int | None] = mapped_column(Integer)
    # Work envelope (travel X × Y × Z) in millimetres.
    envelope_x_mm: Mapped[int | None] = mapped_column(Integer)
    envelope_y_mm: Mapped[int | None] = mapped_column(Integer)
    envelope_z_mm: Mapped[int | None] = mapped_column(Integer)
    materials: Mapped[list[str]] = mapped_column(JSON, default=list)
    precision_mm: Mapped[Decimal | None] = mapped_column(Numeric(8, 4))  # positioning accuracy
    location: Mapped[str | None] = mapped_column(String(200))
    # A path relative to the data dir (never the bytes), written by the photo upload.
    photo_path: Mapped[str | None] = mapped_column(String(300))
    # Wear components metered for the tariff's wear rates (``wear.ComponentSpec`` as JSON, e.g. the spindle bearings).
    wear_components: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # The machine's alarm rules (rule_id) that are chargeable incidents, and their kind (``tariffs.IncidentKind``).
    incident_alarms: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    published: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Bumped by every confirmation: on SQLite the update takes the write lock that serialises overlap checks.
    lock_version: Mapped[int] = mapped_column(Integer, default=0)


class Tariff(Base):
    """One version of a listing's tariff; the highest version is the one that applies to new bookings.

    ``rates`` is validated here for shape and sign (``schemas.TariffRates``) and interpreted by the billing core
    (hourly rate, setup rate, wear rates per component, incident and SLA terms; Decimal CNY stored as strings).
    Versions are never changed: a booking keeps the version it was quoted with."""

    __tablename__ = "share_tariff"
    __table_args__ = (UniqueConstraint("listing_id", "version", name="uq_share_tariff_listing_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("share_listing.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    rates: Mapped[dict[str, Any]] = mapped_column(JSON)
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)  # new bookings are quoted from it on
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AvailabilityWindow(Base):
    """A window [start_at, end_at) in which the owner offers the equipment; bookings must lie inside one."""

    __tablename__ = "share_availability"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="positive_duration"),
        Index("ix_share_availability_listing_start", "listing_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("share_listing.id", ondelete="CASCADE"))
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(200))


class Booking(Base):
    """A lessee's booking of offered equipment for a window, optionally for a job (part, quantity, hours)."""

    __tablename__ = "share_booking"
    __table_args__ = (
        CheckConstraint("end_at > start_at", name="positive_duration"),
        CheckConstraint("quantity IS NULL OR quantity > 0", name="positive_quantity"),
        CheckConstraint("estimated_hours > 0", name="positive_hours"),
        CheckConstraint("quote_cny >= 0", name="non_negative_quote"),
        Index("ix_share_booking_equipment_start", "equipment_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("share_listing.id", ondelete="RESTRICT"), index=True)
    # Copied from the listing so that the exclusion constraint can name it.
    equipment_id: Mapped[int] = mapped_column(ForeignKey("equipment.id", ondelete="RESTRICT"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    lessee_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    start_at: Mapped[datetime]
    end_at: Mapped[datetime]
    status: Mapped[BookingStatus] = mapped_column(
        str_enum(BookingStatus, "share_booking_status"), default=BookingStatus.REQUESTED
    )
    part_name: Mapped[str | None] = mapped_column(String(200))
    quantity: Mapped[int | None] = mapped_column(Integer)
    estimated_hours: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    tariff_id: Mapped[int] = mapped_column(ForeignKey("share_tariff.id", ondelete="RESTRICT"))
    quote_cny: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    # Sent to the machine when the job starts, so that its data during the job is attributed to the lessee.
    job_id: Mapped[str | None] = mapped_column(String(40), unique=True)
    note: Mapped[str | None] = mapped_column(String(1000))
    reason: Mapped[str | None] = mapped_column(String(1000))  # of a rejection, cancellation or no-show
    # When the lessee cancelled: the notice (start_at − cancelled_at) selects the tariff's cancellation band.
    cancelled_at: Mapped[datetime | None]
    # The job's actual window on the machine: set by the owner's start and complete actions.
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    # How far the job is metered into the meter log (µs UTC); None before the first meter record.
    metered_until_us: Mapped[int | None] = mapped_column(BigInteger)
    # Set when the booking's closing record (cancellation, no-show) or the job's last one is in the meter log.
    metering_closed: Mapped[bool] = mapped_column(default=False)
    # The last job dispatch to the machine (start: the job id, complete: cleared; ``dispatch``): when it was sent
    # (None: never reached the machine) and its outcome in a few words.
    job_sent_at: Mapped[datetime | None]
    job_dispatch: Mapped[str | None] = mapped_column(String(300))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ComponentReplacement(Base):
    """The owner fitted a new wear component (e.g. the spindle bearings) at ``replaced_at``: from then on the
    component's remaining life counts only the damage metered after it. Billing is not affected (ΔD is charged as
    metered); only the owner dashboard's remaining life restarts at 1. Records are never changed or removed."""

    __tablename__ = "share_component_replacement"
    __table_args__ = (
        # Also the index the life figures read by (listing, component, time).
        UniqueConstraint("listing_id", "component_id", "replaced_at", name="uq_share_component_replacement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("share_listing.id", ondelete="CASCADE"))
    component_id: Mapped[str] = mapped_column(String(64))
    replaced_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(200))
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# PostgreSQL only (SQLite would not understand it): the database refuses overlapping holding bookings.
_booking = cast(Table, Booking.__table__)
_booking.append_constraint(
    ExcludeConstraint(
        (_booking.c.equipment_id, "="),
        (func.tstzrange(_booking.c.start_at, _booking.c.end_at), "&&"),
        name=EXCLUSION_NAME,
        using="gist",
        where=text(_HOLDING_SQL),
    ).ddl_if(dialect="postgresql")
)
# The state ledger's migration creates btree_gist already; this keeps the table creatable on its own.
event.listen(
    _booking,
    "before_create",
    DDL("CREATE EXTENSION IF NOT EXISTS btree_gist").execute_if(dialect="postgresql"),  # type: ignore[no-untyped-call]
)
