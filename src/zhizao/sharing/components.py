"""Wear components' life: the replacements an owner records, and the remaining life the owner dashboard shows.

Remaining life of a component = 1 − ΣΔD of its ``wear`` meter records that began at or after its last recorded
replacement (all of them when none is recorded). Assumption: the component was new when metering began (or when
it was replaced) and only shared jobs wear it; the owner's own use is not metered, so the figure is an upper bound.
Billing does not change: each job's ΔD is charged as metered, whichever component it wore.

A replacement may not fall inside a lessee's job (a booking between its start and its completion): the damage of
that job could not be told apart between the old and the new component.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.sharing import catalogue
from zhizao.sharing.billing_models import MeterRecordRow
from zhizao.sharing.dashboard_schemas import ComponentLife
from zhizao.sharing.models import Booking, BookingStatus, ComponentReplacement, SharedEquipment
from zhizao.sharing.schemas import ReplacementCreate
from zhizao.telemetry.timeutil import to_us

JOB_STATUSES = (BookingStatus.ACTIVE, BookingStatus.COMPLETED)


def configured(listing: SharedEquipment) -> list[str]:
    return [str(component["component_id"]) for component in listing.wear_components]


def known_components(session: Session, listing: SharedEquipment) -> list[str]:
    """The listing's configured wear components, then any other it has wear records for (configured once, since
    removed), in that order."""
    metered = session.scalars(
        select(MeterRecordRow.component)
        .where(MeterRecordRow.listing_id == listing.id, MeterRecordRow.kind == "wear")
        .distinct()
        .order_by(MeterRecordRow.component)
    )
    return list(dict.fromkeys([*configured(listing), *(name for name in metered if name)]))


def replacements(session: Session, listing_id: int) -> Sequence[ComponentReplacement]:
    """The listing's replacements, newest first."""
    return session.scalars(
        select(ComponentReplacement)
        .where(ComponentReplacement.listing_id == listing_id)
        .order_by(ComponentReplacement.replaced_at.desc(), ComponentReplacement.id.desc())
    ).all()


def _job_at(session: Session, listing_id: int, moment: datetime) -> Booking | None:
    return session.scalars(
        select(Booking)
        .where(
            Booking.listing_id == listing_id,
            Booking.status.in_(JOB_STATUSES),
            Booking.started_at.is_not(None),
            Booking.started_at < moment,
            or_(Booking.completed_at.is_(None), Booking.completed_at > moment),
        )
        .limit(1)
    ).first()


def record_replacement(
    session: Session, actor: Principal, listing_id: int, data: ReplacementCreate, now: datetime
) -> ComponentReplacement:
    """Record that ``data.component_id`` was fitted new at ``data.replaced_at``; owners only (another tenant's
    listing: 404). 422 for an unknown component or a time in the future, 409 during a lessee's job or when that
    replacement is already recorded."""
    with session.begin():
        listing = catalogue.owned_listing(session, actor, listing_id)
        known = known_components(session, listing)
        if data.component_id not in known:
            names = ", ".join(known) or "none (the listing meters no wear)"
            raise InputError.for_field(
                "body.component_id", f"{data.component_id!r} is not a wear component of this listing; known: {names}"
            )
        if data.replaced_at > now:
            raise InputError.for_field("body.replaced_at", "is in the future: record a replacement once it is done")
        job = _job_at(session, listing.id, data.replaced_at)
        if job is not None:
            message = f"falls inside the job of booking {job.id}: record the replacement before or after the job"
            raise Conflict(message, fields=[FieldProblem("body.replaced_at", message)])
        duplicate = session.scalar(
            select(ComponentReplacement.id).where(
                ComponentReplacement.listing_id == listing.id,
                ComponentReplacement.component_id == data.component_id,
                ComponentReplacement.replaced_at == data.replaced_at,
            )
        )
        if duplicate is not None:
            message = f"this replacement is already recorded (record {duplicate})"
            raise Conflict(message, fields=[FieldProblem("body.replaced_at", message)])
        row = ComponentReplacement(
            enterprise_id=listing.enterprise_id, listing_id=listing.id, component_id=data.component_id,
            replaced_at=data.replaced_at, note=data.note, recorded_by=actor.user_id,
        )  # fmt: skip
        session.add(row)
        session.flush()
        audit.record(
            session, actor, action="share_component.replace", entity_type="share_component_replacement",
            entity_id=row.id, organisation_id=listing.enterprise_id,
            after={"listing_id": listing.id, "component_id": data.component_id,
                   "replaced_at": data.replaced_at.isoformat(), "note": data.note},
        )  # fmt: skip
    return row


def lives(session: Session, listings: Sequence[SharedEquipment]) -> dict[int, list[ComponentLife]]:
    """Per listing: every component (configured, metered or replaced) with the damage since its last replacement."""
    ids = [listing.id for listing in listings]
    last: dict[int, dict[str, datetime]] = defaultdict(dict)
    for listing_id, component, replaced_at in session.execute(
        select(ComponentReplacement.listing_id, ComponentReplacement.component_id, ComponentReplacement.replaced_at)
        .where(ComponentReplacement.listing_id.in_(ids))
        .order_by(ComponentReplacement.replaced_at)
    ):
        last[listing_id][component] = replaced_at
    since: dict[int, dict[str, int]] = {
        listing_id: {component: to_us(moment) for component, moment in replaced.items()}
        for listing_id, replaced in last.items()
    }
    consumed: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for listing_id, metered, start_us, quantity in session.execute(
        select(
            MeterRecordRow.listing_id, MeterRecordRow.component, MeterRecordRow.start_us, MeterRecordRow.quantity
        ).where(MeterRecordRow.listing_id.in_(ids), MeterRecordRow.kind == "wear")
    ):
        name = metered or ""
        if start_us >= since.get(listing_id, {}).get(name, start_us):
            consumed[listing_id][name] += Decimal(quantity)
    out: dict[int, list[ComponentLife]] = {}
    for listing in listings:
        names = dict.fromkeys([*configured(listing), *consumed[listing.id], *last[listing.id]])
        out[listing.id] = [
            ComponentLife(
                component_id=name, replaced_at=last[listing.id].get(name), consumed=consumed[listing.id][name],
                remaining=1 - consumed[listing.id][name],
            )
            for name in names
        ]  # fmt: skip
    return out
