"""Bookings of shared equipment: the lifecycle (a pure transition table), the quote, and the services.

requested → confirmed → active → completed; requested → rejected (owner); requested or confirmed → cancelled
(lessee, before the booked start: the notice given is kept, ``cancelled_at``, and the tariff's cancellation bands
price it in the billing core); confirmed → no_show (owner, once ``NO_SHOW_GRACE`` after the start has passed without
the lessee; cancelling at or after the start is not possible, it is a no-show). Confirming gives the booking its job id
(``SH-<id>``), which ``dispatch`` sends to the machine when the owner starts the job (and clears at completion), so
that its data is attributed to the lessee.

No double booking: confirmed, active and completed bookings of one machine never overlap. PostgreSQL's exclusion
constraint refuses a concurrent second confirmation (mapped to 409 here); on SQLite the service takes the write lock
first, so the check and the write cannot interleave.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound, PermissionDenied
from zhizao.fields import MAX_ID
from zhizao.sharing import catalogue
from zhizao.sharing.models import (
    EXCLUSION_NAME,
    HOLDING_STATUSES,
    AvailabilityWindow,
    Booking,
    BookingStatus,
    SharedEquipment,
    Tariff,
)
from zhizao.sharing.schemas import Action, BookingCreate, TransitionIn
from zhizao.ui.i18n import N_

# -- the lifecycle (pure) ----------------------------------------------------------------------------------------


class Side(StrEnum):
    OWNER = "owner"
    LESSEE = "lessee"


_S, _A = BookingStatus, Action
TRANSITIONS: dict[tuple[BookingStatus, Action], tuple[BookingStatus, Side]] = {
    (_S.REQUESTED, _A.CONFIRM): (_S.CONFIRMED, Side.OWNER),
    (_S.REQUESTED, _A.REJECT): (_S.REJECTED, Side.OWNER),
    (_S.REQUESTED, _A.CANCEL): (_S.CANCELLED, Side.LESSEE),
    (_S.CONFIRMED, _A.CANCEL): (_S.CANCELLED, Side.LESSEE),
    (_S.CONFIRMED, _A.START): (_S.ACTIVE, Side.OWNER),
    (_S.CONFIRMED, _A.NO_SHOW): (_S.NO_SHOW, Side.OWNER),
    (_S.ACTIVE, _A.COMPLETE): (_S.COMPLETED, Side.OWNER),
}
FINAL_STATUSES = frozenset({_S.COMPLETED, _S.REJECTED, _S.CANCELLED, _S.NO_SHOW})
NO_SHOW_GRACE = timedelta(minutes=30)  # the owner may record a no-show this long after the start
EARLY_START = timedelta(hours=1)  # the owner may start the job this long before the booked start
MAX_WINDOW = timedelta(days=31)

STATUS_LABELS: dict[str, str] = {
    _S.REQUESTED: N_("Requested"),
    _S.CONFIRMED: N_("Confirmed"),
    _S.ACTIVE: N_("In use"),
    _S.COMPLETED: N_("Completed"),
    _S.REJECTED: N_("Rejected"),
    _S.CANCELLED: N_("Cancelled"),
    _S.NO_SHOW: N_("No-show"),
}
ACTION_LABELS: dict[str, str] = {
    _A.CONFIRM: N_("Confirm"),
    _A.REJECT: N_("Reject"),
    _A.START: N_("Start"),
    _A.COMPLETE: N_("Complete"),
    _A.CANCEL: N_("Cancel booking"),
    _A.NO_SHOW: N_("Record no-show"),
}


def next_status(status: BookingStatus, action: Action, sides: frozenset[Side]) -> BookingStatus:
    """The status ``action`` leads to: 409 if the status does not allow it, 403 if the caller's side may not."""
    found = TRANSITIONS.get((status, action))
    if found is None:
        raise Conflict(f"a booking that is {status.value.replace('_', ' ')} cannot {action.value.replace('_', ' ')}")
    target, side = found
    if side not in sides:
        raise PermissionDenied(f"only the {side.value} may {action.value.replace('_', ' ')} a booking")
    return target


def timing_problem(status: BookingStatus, action: Action, start_at: datetime, now: datetime) -> str | None:
    """Why the time forbids the action now (cancellation notice, no-show grace, …), or None."""
    if action is Action.CONFIRM and start_at <= now:
        return "the booked window has begun: it can no longer be confirmed"
    if action is Action.CANCEL and status is BookingStatus.CONFIRMED and now >= start_at:
        return "the booked window has begun: a booking is cancelled before its start (the owner may record a no-show)"
    if action is Action.NO_SHOW and now < start_at + NO_SHOW_GRACE:
        return f"a no-show is recorded {NO_SHOW_GRACE.total_seconds() / 60:g} min after the booked start or later"
    if action is Action.START and now < start_at - EARLY_START:
        return "too early to start: the booked window begins later"
    return None


def available_actions(status: BookingStatus, sides: frozenset[Side]) -> list[Action]:
    return [action for (source, action), (_, side) in TRANSITIONS.items() if source is status and side in sides]


# -- the quote (pure; the billing core's tariff evaluation replaces it) ---------------------------------------------

FEN = Decimal("0.01")


def window_hours(start_at: datetime, end_at: datetime) -> Decimal:
    return (Decimal(int((end_at - start_at).total_seconds())) / 3600).quantize(FEN, rounding=ROUND_HALF_UP)


def quote_amount(hours: Decimal, hourly_rate: Decimal) -> Decimal:
    """Estimated hours × the hourly rate, half-up to the fen."""
    return (hours * hourly_rate).quantize(FEN, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, slots=True)
class Quote:
    tariff: Tariff
    hours: Decimal
    hourly_rate: Decimal
    amount: Decimal


def quote_for(session: Session, listing: SharedEquipment, hours: Decimal) -> Quote:
    tariff = catalogue.current_tariff(session, listing.id)
    if tariff is None:
        raise Conflict(f"shared equipment {listing.id} has no tariff yet")
    rate = Decimal(str(tariff.rates["hourly_rate"]))
    return Quote(tariff, hours, rate, quote_amount(hours, rate))


# -- services ------------------------------------------------------------------------------------------------------


def sides_of(actor: Principal, booking: Booking) -> frozenset[Side]:
    if actor.role == Role.ADMIN:
        return frozenset(Side)
    if actor.role != Role.ENTERPRISE:
        return frozenset()
    found = {Side.OWNER} if actor.organisation_id == booking.owner_id else set()
    if actor.organisation_id == booking.lessee_id:
        found.add(Side.LESSEE)
    return frozenset(found)


def get_booking(session: Session, actor: Principal, booking_id: int) -> Booking:
    """The booking if the caller is its lessee, its owner, or a cross-tenant role; else 404."""
    booking = session.get(Booking, booking_id) if booking_id <= MAX_ID else None
    party = booking is not None and actor.organisation_id in (booking.owner_id, booking.lessee_id)
    if booking is None or not (actor.sees_all_tenants or party):
        raise NotFound(f"booking {booking_id} not found")
    return booking


def list_bookings(
    session: Session, actor: Principal, *, side: Side | None = None, listing_id: int | None = None,
    status: BookingStatus | None = None, offset: int = 0, limit: int = 50,
) -> tuple[Sequence[Booking], int]:  # fmt: skip
    """Bookings the caller may see: a lessee its own, an owner those on its equipment, officers all."""
    query = select(Booking)
    org = actor.organisation_id
    if not actor.sees_all_tenants:
        query = query.where(or_(Booking.lessee_id == org, Booking.owner_id == org))
    if side is Side.LESSEE:
        query = query.where(Booking.lessee_id == org) if org is not None else query
    elif side is Side.OWNER:
        query = query.where(Booking.owner_id == org) if org is not None else query
    if listing_id is not None:
        query = query.where(Booking.listing_id == listing_id)
    if status is not None:
        query = query.where(Booking.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Booking.start_at.desc(), Booking.id.desc()).offset(offset).limit(limit))
    return rows.all(), total


def _overlapping(session: Session, equipment_id: int, start: datetime, end: datetime, other: int | None) -> int | None:
    query = select(Booking.id).where(
        Booking.equipment_id == equipment_id,
        Booking.status.in_(HOLDING_STATUSES),
        Booking.start_at < end,
        Booking.end_at > start,
    )
    if other is not None:
        query = query.where(Booking.id != other)
    return session.scalar(query.limit(1))


def check_request(
    session: Session, listing: SharedEquipment, data: BookingCreate, now: datetime
) -> tuple[Decimal, list[FieldProblem]]:
    """The hours to quote and what is wrong with the requested window (every problem at once, by field)."""
    problems: list[FieldProblem] = []
    if data.start_at < now:
        problems.append(FieldProblem("body.start_at", "is in the past"))
    if data.end_at <= data.start_at:
        problems.append(FieldProblem("body.end_at", "must be after start_at"))
    elif data.end_at - data.start_at > MAX_WINDOW:
        problems.append(FieldProblem("body.end_at", f"a booking lasts at most {MAX_WINDOW.days} days"))
    if (data.part_name is not None or data.quantity is not None) and data.estimated_hours is None:
        problems.append(FieldProblem("body.estimated_hours", "a job needs its estimated machining time"))
    if problems:
        return Decimal(0), problems
    hours = window_hours(data.start_at, data.end_at)
    if data.estimated_hours is not None:
        if data.estimated_hours > hours:
            problems.append(FieldProblem("body.estimated_hours", f"longer than the booked window ({hours} h)"))
        hours = data.estimated_hours
    inside = session.scalar(
        select(AvailabilityWindow.id).where(
            AvailabilityWindow.listing_id == listing.id,
            AvailabilityWindow.start_at <= data.start_at,
            AvailabilityWindow.end_at >= data.end_at,
        )
    )
    if inside is None:
        problems.append(FieldProblem("body.start_at", "outside the owner's availability calendar"))
    return hours, problems


def request_booking(session: Session, actor: Principal, data: BookingCreate, now: datetime | None = None) -> Booking:
    """A lessee enterprise asks for a window; it is quoted from the current tariff and waits for the owner."""
    now = now or datetime.now(UTC)
    with session.begin():
        listing = catalogue.get_listing(session, actor, data.listing_id)
        if not listing.published:
            raise InputError.for_field("body.listing_id", "this equipment is not offered (not published)")
        if actor.role != Role.ENTERPRISE or actor.organisation_id == listing.enterprise_id:
            raise InputError.for_field("body.listing_id", "equipment is booked by another enterprise than its owner")
        hours, problems = check_request(session, listing, data, now)
        if problems:
            raise InputError(problems[0].message, fields=problems)
        clash = _overlapping(session, listing.equipment_id, data.start_at, data.end_at, None)
        if clash is not None:
            raise Conflict(
                "the window overlaps a confirmed booking",
                fields=[FieldProblem("body.start_at", f"overlaps confirmed booking {clash}")],
            )
        quote = quote_for(session, listing, hours)
        assert actor.organisation_id is not None
        booking = Booking(
            listing_id=listing.id, equipment_id=listing.equipment_id, owner_id=listing.enterprise_id,
            lessee_id=actor.organisation_id, start_at=data.start_at, end_at=data.end_at, part_name=data.part_name,
            quantity=data.quantity, estimated_hours=hours, tariff_id=quote.tariff.id, quote_cny=quote.amount,
            note=data.note, requested_by=actor.user_id,
        )  # fmt: skip
        session.add(booking)
        session.flush()
        _audit(session, actor, booking, "request", None)
    return booking


def _lock_listing(session: Session, booking_id: int) -> None:
    """SQLite: take the database's write lock as the transaction's first statement, so that a concurrent
    confirmation waits here (busy timeout) instead of checking a stale view. PostgreSQL relies on the exclusion
    constraint and needs no lock."""
    if session.get_bind().dialect.name != "sqlite":
        return
    listing = select(Booking.listing_id).where(Booking.id == booking_id).scalar_subquery()
    session.execute(
        update(SharedEquipment)
        .where(SharedEquipment.id == listing)
        .values(lock_version=SharedEquipment.lock_version + 1)
        .execution_options(synchronize_session=False)
    )


def transition(
    session: Session, actor: Principal, booking_id: int, data: TransitionIn, now: datetime | None = None
) -> Booking:
    now = now or datetime.now(UTC)
    try:
        with session.begin():
            if data.action is Action.CONFIRM and booking_id <= MAX_ID:
                _lock_listing(session, booking_id)
            booking = get_booking(session, actor, booking_id)
            before = booking.status
            target = next_status(booking.status, data.action, sides_of(actor, booking))
            problem = timing_problem(booking.status, data.action, booking.start_at, now)
            if problem is not None:
                raise Conflict(problem)
            if data.action is Action.CONFIRM:
                clash = _overlapping(session, booking.equipment_id, booking.start_at, booking.end_at, booking.id)
                if clash is not None:
                    raise Conflict(f"the window overlaps confirmed booking {clash}")
                booking.job_id = f"SH-{booking.id}"
            booking.status = target
            if data.reason:
                booking.reason = data.reason
            if target is BookingStatus.ACTIVE:
                booking.started_at = now
            elif target is BookingStatus.COMPLETED:
                booking.completed_at = now
            if target is BookingStatus.CANCELLED:
                booking.cancelled_at = now
            else:
                booking.decided_by = actor.user_id
            session.flush()
            _audit(session, actor, booking, data.action.value, before)
    except IntegrityError as exc:
        if EXCLUSION_NAME in str(exc.orig):
            raise Conflict(f"booking {booking_id} overlaps a booking confirmed at the same moment") from exc
        raise
    return booking


def _audit(session: Session, actor: Principal, booking: Booking, action: str, before: BookingStatus | None) -> None:
    audit.record(
        session, actor, action=f"share_booking.{action}", entity_type="share_booking", entity_id=booking.id,
        organisation_id=booking.owner_id,
        before=None if before is None else {"status": before.value},
        after={"status": booking.status.value, "lessee_id": booking.lessee_id, "job_id": booking.job_id},
    )  # fmt: skip
