"""The catalogue: equipment an owner offers, its versioned tariffs and its availability calendar, and the search
lessees (and the public) run over published listings.

Owners are enterprise users of the enterprise that owns the equipment (administrators may act for any); a
listing that is not published is seen only by its owner and the cross-tenant roles, anyone else gets 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound, PermissionDenied
from zhizao.fields import MAX_ID
from zhizao.sharing import listing_checks
from zhizao.sharing.models import HOLDING_STATUSES, AvailabilityWindow, Booking, SharedEquipment, Tariff
from zhizao.sharing.schemas import FreeSpan, ListingCreate, ListingUpdate, TariffRates, WindowCreate
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.models import Equipment

OWNER_ROLES = (Role.ADMIN, Role.ENTERPRISE)


@dataclass(frozen=True, slots=True)
class ListingFilter:
    equipment_type: EquipmentType | None = None
    min_axes: int | None = None
    material: str | None = None
    min_x_mm: int | None = None
    min_y_mm: int | None = None
    min_z_mm: int | None = None
    max_precision_mm: Decimal | None = None
    text: str | None = None  # in title, location or description


def is_owner(actor: Principal | None, listing: SharedEquipment) -> bool:
    return actor is not None and (
        actor.role == Role.ADMIN or (actor.role == Role.ENTERPRISE and actor.organisation_id == listing.enterprise_id)
    )


def may_see(actor: Principal | None, listing: SharedEquipment) -> bool:
    return listing.published or is_owner(actor, listing) or (actor is not None and actor.sees_all_tenants)


def get_listing(session: Session, actor: Principal | None, listing_id: int) -> SharedEquipment:
    """A listing the caller may see (published, or its owner's, or any for cross-tenant roles); else 404."""
    listing = session.get(SharedEquipment, listing_id) if listing_id <= MAX_ID else None
    if listing is None or not may_see(actor, listing):
        raise NotFound(f"shared equipment {listing_id} not found")
    return listing


def owned_listing(session: Session, actor: Principal, listing_id: int) -> SharedEquipment:
    """A listing the caller owns; another tenant's is 404 even when published, so that ids reveal nothing."""
    listing = session.get(SharedEquipment, listing_id) if listing_id <= MAX_ID else None
    if listing is None or not is_owner(actor, listing):
        raise NotFound(f"shared equipment {listing_id} not found")
    return listing


def search(
    session: Session, actor: Principal | None, where: ListingFilter, *, mine: bool = False
) -> list[SharedEquipment]:
    """Published listings matching the filters (with ``mine``, the caller's own, published or not)."""
    query = select(SharedEquipment).join(Equipment, Equipment.id == SharedEquipment.equipment_id)
    if mine and actor is not None and actor.organisation_id is not None:
        query = query.where(SharedEquipment.enterprise_id == actor.organisation_id)
    else:
        query = query.where(SharedEquipment.published.is_(True))
    if where.equipment_type is not None:
        query = query.where(Equipment.equipment_type == where.equipment_type)
    if where.min_axes is not None:
        query = query.where(SharedEquipment.axes >= where.min_axes)
    for column, least in (
        (SharedEquipment.envelope_x_mm, where.min_x_mm),
        (SharedEquipment.envelope_y_mm, where.min_y_mm),
        (SharedEquipment.envelope_z_mm, where.min_z_mm),
    ):
        if least is not None:
            query = query.where(column >= least)
    if where.max_precision_mm is not None:
        query = query.where(SharedEquipment.precision_mm <= where.max_precision_mm)
    if where.text:
        pattern = f"%{where.text}%"
        query = query.where(
            SharedEquipment.title.ilike(pattern)
            | SharedEquipment.location.ilike(pattern)
            | SharedEquipment.description.ilike(pattern)
        )
    rows = list(session.scalars(query.order_by(SharedEquipment.id).limit(500)))
    if where.material:
        # Materials are a short JSON list per listing: matched here, the same on both backends.
        wanted = where.material.casefold()
        rows = [row for row in rows if any(wanted in material.casefold() for material in row.materials)]
    return rows


def current_tariff(session: Session, listing_id: int) -> Tariff | None:
    return session.scalars(
        select(Tariff).where(Tariff.listing_id == listing_id).order_by(Tariff.version.desc()).limit(1)
    ).first()


def tariffs(session: Session, listing_id: int) -> Sequence[Tariff]:
    return session.scalars(select(Tariff).where(Tariff.listing_id == listing_id).order_by(Tariff.version)).all()


def _snapshot(listing: SharedEquipment) -> dict[str, object]:
    return {
        "title": listing.title, "published": listing.published, "equipment_id": listing.equipment_id,
        "wear_components": listing.wear_components, "incident_alarms": listing.incident_alarms,
    }  # fmt: skip


def _add_tariff(session: Session, actor: Principal, listing: SharedEquipment, rates: TariffRates) -> Tariff:
    listing_checks.check_tariff(listing.wear_components, listing.incident_alarms, rates)
    latest = session.scalar(select(func.max(Tariff.version)).where(Tariff.listing_id == listing.id))
    tariff = Tariff(
        enterprise_id=listing.enterprise_id,
        listing_id=listing.id,
        version=(latest or 0) + 1,
        rates=rates.stored(),
        created_by=actor.user_id,
    )
    session.add(tariff)
    session.flush()
    audit.record(
        session, actor, action="share_tariff.create", entity_type="share_tariff", entity_id=tariff.id,
        organisation_id=listing.enterprise_id, after={"listing_id": listing.id, "version": tariff.version},
    )  # fmt: skip
    return tariff


def create_listing(session: Session, actor: Principal, data: ListingCreate) -> SharedEquipment:
    """Offer one of the caller's enterprise's machines; it may be published only with a tariff."""
    with session.begin():
        equipment = session.get(Equipment, data.equipment_id)
        if equipment is None or not actor.may_access_tenant(equipment.enterprise_id) or actor.role == Role.OFFICER:
            raise InputError.for_field("body.equipment_id", f"{data.equipment_id} is not equipment of yours")
        if session.scalar(select(SharedEquipment.id).where(SharedEquipment.equipment_id == equipment.id)):
            raise Conflict(f"equipment {equipment.id} is offered already")
        if data.published and data.rates is None:
            raise InputError.for_field("body.rates", "a published listing needs a tariff")
        values = data.model_dump(exclude={"rates", "wear_components", "incident_alarms"})
        listing = SharedEquipment(
            **values, enterprise_id=equipment.enterprise_id,
            wear_components=listing_checks.check_wear_components(session, equipment.id, data.wear_components),
            incident_alarms=listing_checks.check_incident_alarms(session, equipment.id, data.incident_alarms),
        )  # fmt: skip
        session.add(listing)
        session.flush()
        if data.rates is not None:
            _add_tariff(session, actor, listing, data.rates)
        audit.record(
            session, actor, action="share_listing.create", entity_type="share_listing", entity_id=listing.id,
            organisation_id=listing.enterprise_id, after=_snapshot(listing),
        )  # fmt: skip
    return listing


def update_listing(session: Session, actor: Principal, listing_id: int, data: ListingUpdate) -> SharedEquipment:
    with session.begin():
        listing = owned_listing(session, actor, listing_id)
        before = _snapshot(listing)
        for name, value in data.model_dump(exclude_unset=True).items():
            if name in ("title", "published", "wear_components", "incident_alarms") and value is None:
                raise InputError.for_field(f"body.{name}", "may not be null")
            if name == "wear_components":
                value = listing_checks.check_wear_components(session, listing.equipment_id, value)
            elif name == "incident_alarms":
                value = listing_checks.check_incident_alarms(session, listing.equipment_id, value)
            setattr(listing, name, value)
        if listing.published and current_tariff(session, listing.id) is None:
            raise InputError.for_field("body.published", "add a tariff before publishing")
        audit.record(
            session, actor, action="share_listing.update", entity_type="share_listing", entity_id=listing.id,
            organisation_id=listing.enterprise_id, before=before, after=_snapshot(listing),
        )  # fmt: skip
    return listing


def add_tariff(session: Session, actor: Principal, listing_id: int, rates: TariffRates) -> Tariff:
    """A new tariff version; bookings already quoted keep theirs."""
    with session.begin():
        listing = owned_listing(session, actor, listing_id)
        return _add_tariff(session, actor, listing, rates)


def windows(session: Session, listing_id: int, start: datetime | None = None) -> Sequence[AvailabilityWindow]:
    query = select(AvailabilityWindow).where(AvailabilityWindow.listing_id == listing_id)
    if start is not None:
        query = query.where(AvailabilityWindow.end_at > start)
    return session.scalars(query.order_by(AvailabilityWindow.start_at)).all()


def add_window(session: Session, actor: Principal, listing_id: int, data: WindowCreate) -> AvailabilityWindow:
    with session.begin():
        listing = owned_listing(session, actor, listing_id)
        overlapping = session.scalar(
            select(AvailabilityWindow.id).where(
                AvailabilityWindow.listing_id == listing.id,
                AvailabilityWindow.start_at < data.end_at,
                AvailabilityWindow.end_at > data.start_at,
            )
        )
        if overlapping is not None:
            raise Conflict(
                f"overlaps availability window {overlapping}",
                fields=[FieldProblem("body.start_at", f"overlaps availability window {overlapping}")],
            )
        window = AvailabilityWindow(enterprise_id=listing.enterprise_id, listing_id=listing.id, **data.model_dump())
        session.add(window)
        session.flush()
        audit.record(
            session, actor, action="share_availability.create", entity_type="share_availability",
            entity_id=window.id, organisation_id=listing.enterprise_id,
            after={"listing_id": listing.id, "start_at": data.start_at.isoformat(), "end_at": data.end_at.isoformat()},
        )  # fmt: skip
    return window


def delete_window(session: Session, actor: Principal, window_id: int) -> None:
    """Removing a window does not touch bookings already in it (they stay valid)."""
    with session.begin():
        window = session.get(AvailabilityWindow, window_id) if window_id <= MAX_ID else None
        if window is None:
            raise NotFound(f"availability window {window_id} not found")
        owned_listing(session, actor, window.listing_id)  # 404 for anyone but the owner
        session.delete(window)
        audit.record(
            session, actor, action="share_availability.delete", entity_type="share_availability",
            entity_id=window_id, organisation_id=window.enterprise_id,
        )  # fmt: skip


def free_spans(session: Session, listing_id: int, now: datetime) -> list[FreeSpan]:
    """The future parts of the availability windows that no holding booking takes."""
    held = session.execute(
        select(Booking.start_at, Booking.end_at)
        .where(Booking.listing_id == listing_id, Booking.status.in_(HOLDING_STATUSES), Booking.end_at > now)
        .order_by(Booking.start_at)
    ).all()
    spans: list[FreeSpan] = []
    for window in windows(session, listing_id, now):
        cursor = max(window.start_at, now)
        for start, end in held:
            if end <= cursor or start >= window.end_at:
                continue
            if start > cursor:
                spans.append(FreeSpan(start_at=cursor, end_at=start))
            cursor = max(cursor, end)
        if cursor < window.end_at:
            spans.append(FreeSpan(start_at=cursor, end_at=window.end_at))
    return spans


def require_owner_role(actor: Principal) -> None:
    if actor.role not in OWNER_ROLES:
        raise PermissionDenied(f"role {actor.role.value} may not offer equipment")
