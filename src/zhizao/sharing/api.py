"""JSON API of capacity sharing (``/api/sharing``): the catalogue, tariffs, availability, quotes and bookings.

Any signed-in user reads published listings (the anonymous public uses the ``/sharing`` page); owners (enterprise
users of the owning enterprise, and administrators) offer equipment, add tariff versions and availability and
confirm or reject bookings; lessees (enterprise users of another enterprise) request and cancel; officers read.
A booking or an unpublished listing of another tenant is 404. The services own scope and transactions.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from pydantic import AwareDatetime
from sqlalchemy.orm import Session

from zhizao.accounts.deps import CurrentUser, SessionDep, require_role
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem, InputError
from zhizao.fields import IdPath, IdQuery, Limit, Offset, TextQuery
from zhizao.sharing import bookings, catalogue, dispatch
from zhizao.sharing.models import Booking, BookingStatus, SharedEquipment
from zhizao.sharing.schemas import (
    Action,
    Availability,
    BookingCreate,
    BookingPage,
    BookingRead,
    Hours,
    ListingCreate,
    ListingDetail,
    ListingRead,
    ListingUpdate,
    QuoteRead,
    TariffRates,
    TariffRead,
    TransitionIn,
    WindowCreate,
    WindowRead,
)
from zhizao.telemetry.commands.api import EnvironmentDep
from zhizao.telemetry.kinds import EquipmentType
from zhizao.telemetry.models import Equipment

router = APIRouter(prefix="/api/sharing", tags=["capacity sharing"])

Owner = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.ENTERPRISE))]
Lessee = Annotated[Principal, Depends(require_role(Role.ENTERPRISE))]
Party = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE))]
DISPATCHING = frozenset({Action.START, Action.COMPLETE})  # the owner's actions that send the job id (or clear it)


def listing_detail(session: Session, listing: SharedEquipment) -> ListingDetail:
    equipment = session.get(Equipment, listing.equipment_id)
    owner = session.get(Organisation, listing.enterprise_id)
    assert equipment is not None and owner is not None
    tariff = catalogue.current_tariff(session, listing.id)
    return ListingDetail(
        **ListingRead.model_validate(listing).model_dump(),
        equipment_type=equipment.equipment_type, equipment_name=equipment.name, owner_name=owner.name,
        tariff=None if tariff is None else TariffRead.model_validate(tariff),
    )  # fmt: skip


def listing_filter(
    equipment_type: EquipmentType | None = None,
    min_axes: Annotated[int | None, Query(ge=1, le=12)] = None,
    material: TextQuery = None,
    min_x_mm: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    min_y_mm: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    min_z_mm: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    max_precision_mm: Annotated[Decimal | None, Query(gt=0, le=10)] = None,
    q: TextQuery = None,
) -> catalogue.ListingFilter:
    return catalogue.ListingFilter(
        equipment_type, min_axes, material or None, min_x_mm, min_y_mm, min_z_mm, max_precision_mm, q or None
    )


@router.get("/listings")
def list_listings(
    principal: CurrentUser, session: SessionDep, where: Annotated[catalogue.ListingFilter, Depends(listing_filter)],
    mine: bool = False,
) -> list[ListingRead]:  # fmt: skip
    """Published listings matching the filters; ``mine=true``: the caller's enterprise's own, published or not."""
    return [ListingRead.model_validate(row) for row in catalogue.search(session, principal, where, mine=mine)]


@router.post("/listings", status_code=status.HTTP_201_CREATED)
def create_listing(data: ListingCreate, principal: Owner, session: SessionDep) -> ListingDetail:
    return listing_detail(session, catalogue.create_listing(session, principal, data))


@router.get("/listings/{listing_id}")
def read_listing(listing_id: IdPath, principal: CurrentUser, session: SessionDep) -> ListingDetail:
    return listing_detail(session, catalogue.get_listing(session, principal, listing_id))


@router.patch("/listings/{listing_id}")
def update_listing(listing_id: IdPath, data: ListingUpdate, principal: Owner, session: SessionDep) -> ListingDetail:
    return listing_detail(session, catalogue.update_listing(session, principal, listing_id, data))


@router.get("/listings/{listing_id}/tariffs")
def list_tariffs(listing_id: IdPath, principal: CurrentUser, session: SessionDep) -> list[TariffRead]:
    catalogue.get_listing(session, principal, listing_id)
    return [TariffRead.model_validate(row) for row in catalogue.tariffs(session, listing_id)]


@router.post("/listings/{listing_id}/tariffs", status_code=status.HTTP_201_CREATED)
def add_tariff(listing_id: IdPath, data: TariffRates, principal: Owner, session: SessionDep) -> TariffRead:
    """A new tariff version (rates non-negative, CNY as strings); earlier bookings keep the version they got."""
    return TariffRead.model_validate(catalogue.add_tariff(session, principal, listing_id, data))


@router.get("/listings/{listing_id}/availability")
def availability(listing_id: IdPath, principal: CurrentUser, session: SessionDep) -> Availability:
    """The availability windows from now on, and their parts no confirmed booking takes."""
    catalogue.get_listing(session, principal, listing_id)
    now = datetime.now(UTC)
    return Availability(
        windows=[WindowRead.model_validate(row) for row in catalogue.windows(session, listing_id, now)],
        free=catalogue.free_spans(session, listing_id, now),
    )


@router.post("/listings/{listing_id}/availability", status_code=status.HTTP_201_CREATED)
def add_window(listing_id: IdPath, data: WindowCreate, principal: Owner, session: SessionDep) -> WindowRead:
    return WindowRead.model_validate(catalogue.add_window(session, principal, listing_id, data))


@router.delete("/availability/{window_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_window(window_id: IdPath, principal: Owner, session: SessionDep) -> Response:
    catalogue.delete_window(session, principal, window_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/listings/{listing_id}/quote")
def quote(
    listing_id: IdPath, principal: CurrentUser, session: SessionDep, start_at: AwareDatetime, end_at: AwareDatetime,
    estimated_hours: Annotated[Hours | None, Query()] = None,
) -> QuoteRead:  # fmt: skip
    """What a booking of this window (or job) would be quoted, without booking it."""
    listing = catalogue.get_listing(session, principal, listing_id)
    data = BookingCreate(listing_id=listing_id, start_at=start_at, end_at=end_at, estimated_hours=estimated_hours)
    return quote_of(session, listing, data)


def quote_of(session: Session, listing: SharedEquipment, data: BookingCreate) -> QuoteRead:
    """The quote of a window (query parameters, so problems name ``query.*``)."""
    hours, problems = bookings.check_request(session, listing, data, datetime.now(UTC))
    if problems:
        named = [FieldProblem(p.field.replace("body.", "query.", 1), p.message) for p in problems]
        raise InputError(named[0].message, fields=named)
    found = bookings.quote_for(session, listing, hours)
    return QuoteRead(
        listing_id=listing.id, tariff_id=found.tariff.id, tariff_version=found.tariff.version, hours=found.hours,
        hourly_rate=found.hourly_rate, amount_cny=found.amount,
    )  # fmt: skip


@router.get("/bookings")
def list_bookings(
    principal: Party, session: SessionDep, side: bookings.Side | None = None, listing_id: IdQuery = None,
    status: BookingStatus | None = None, offset: Offset = 0, limit: Limit = 50,
) -> BookingPage:  # fmt: skip
    """``side=lessee``: my bookings; ``side=owner``: bookings on my equipment; officers see all."""
    rows, total = bookings.list_bookings(
        session, principal, side=side, listing_id=listing_id, status=status, offset=offset, limit=limit
    )
    return BookingPage(total=total, offset=offset, limit=limit, items=[BookingRead.model_validate(r) for r in rows])


@router.post("/bookings", status_code=status.HTTP_201_CREATED)
def request_booking(data: BookingCreate, principal: Lessee, session: SessionDep) -> BookingRead:
    """Request a window (or a job: part, quantity, estimated hours); quoted from the current tariff. 422 naming
    the field for a window in the past or outside the availability calendar; 409 when it overlaps a confirmed one."""
    return BookingRead.model_validate(bookings.request_booking(session, principal, data))


@router.get("/bookings/{booking_id}")
def read_booking(booking_id: IdPath, principal: Party, session: SessionDep) -> BookingRead:
    return BookingRead.model_validate(bookings.get_booking(session, principal, booking_id))


@router.post("/bookings/{booking_id}/transitions")
def transition(
    booking_id: IdPath, data: TransitionIn, principal: Owner, session: SessionDep, env: EnvironmentDep
) -> BookingRead:
    """confirm / reject / start / complete / no_show (owner), cancel (lessee). 409 when the status or the time
    does not allow it (e.g. cancelling a confirmed booking without notice, or an overlapping confirmation).
    Start sends the job id to the machine and complete clears it (``job_dispatch``: the outcome; never an error)."""
    booking: Booking = bookings.transition(session, principal, booking_id, data)
    if data.action in DISPATCHING:
        booking = dispatch.dispatch_job(session, principal, booking.id, env)
    return BookingRead.model_validate(booking)
