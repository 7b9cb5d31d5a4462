"""Events and supply–demand matchmaking (plan §五(十二)): the office holds events; enterprises, integrators and
platforms post what they need (demand) or offer (supply), see each other's open requests without the contact
fields, and an officer matches a demand with a supply, after which the two parties see each other's contacts.

Requests of another organisation that are no longer open are a 404 to a tenant, as are changes to them.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind
from zhizao.errors import Conflict, InputError, NotFound
from zhizao.programme.models_community import MatchRequest, MatchSide, MatchStatus, ProgrammeEvent
from zhizao.programme.schemas_community import (
    EventCreate,
    EventRead,
    EventUpdate,
    MatchCreate,
    MatchRequestCreate,
    MatchRequestRead,
    MatchRequestUpdate,
    patch_values,
)

EVENT_FIELDS = ("title", "kind", "held_on", "district", "venue", "organiser")
REQUEST_FIELDS = ("organisation_id", "side", "subject", "industry", "status", "event_id", "matched_request_id")
PUBLIC_FIELDS = (
    "id",
    "organisation_id",
    "side",
    "subject",
    "description",
    "industry",
    "status",
    "event_id",
    "created_at",
)
# Shown to the request's organisation and the office only.
PRIVATE_FIELDS = (
    "contact_name", "contact_phone", "contact_email",
    "matched_with_id", "matched_request_id", "match_note", "matched_on",
)  # fmt: skip
# Organisations that take part in matchmaking: the users of the plan's §五(十二) "associations connecting
# integrators, platforms, software and equipment makers with users".
POSTING_KINDS = frozenset({OrganisationKind.ENTERPRISE, OrganisationKind.INTEGRATOR, OrganisationKind.PLATFORM})


# --- pure rules --------------------------------------------------------------------------------------------


def may_see(actor: Principal, row: MatchRequest) -> bool:
    """The office sees every request, an organisation its own and the open ones of others."""
    return actor.may_access_tenant(row.organisation_id) or row.status == MatchStatus.OPEN


def may_change(actor: Principal, row: MatchRequest) -> bool:
    return actor.may_access_tenant(row.organisation_id)


def match_problem(request: MatchRequest, counterpart: MatchRequest) -> str | None:
    """Why two requests cannot be matched, or None: one demand and one supply, both open, of two organisations."""
    if request.id == counterpart.id:
        return "a request is not matched with itself"
    if request.side == counterpart.side:
        return f"both requests are {request.side.value}; match a demand with a supply"
    if request.organisation_id == counterpart.organisation_id:
        return "both requests come from the same organisation"
    for row in (request, counterpart):
        if row.status != MatchStatus.OPEN:
            return f"request {row.id} is {row.status.value}, not open"
    return None


# --- events ------------------------------------------------------------------------------------------------


def _event_counts(session: Session) -> dict[int, tuple[int, int, int]]:
    """Event id → (demand requests, supply requests, matched requests) posted for it."""
    query = (
        select(
            MatchRequest.event_id,
            func.sum(case((MatchRequest.side == MatchSide.DEMAND, 1), else_=0)),
            func.sum(case((MatchRequest.side == MatchSide.SUPPLY, 1), else_=0)),
            func.sum(case((MatchRequest.status == MatchStatus.MATCHED, 1), else_=0)),
        )
        .where(MatchRequest.event_id.is_not(None))
        .group_by(MatchRequest.event_id)
    )
    return {int(event): (int(d or 0), int(s or 0), int(m or 0)) for event, d, s, m in session.execute(query).all()}


def _event_read(row: ProgrammeEvent, counts: tuple[int, int, int]) -> EventRead:
    demands, supplies, matched = counts
    read = EventRead.model_validate(row)
    return read.model_copy(update={"demands": demands, "supplies": supplies, "matched": matched})


def list_events(session: Session) -> list[EventRead]:
    counts = _event_counts(session)
    rows = session.scalars(select(ProgrammeEvent).order_by(ProgrammeEvent.held_on.desc(), ProgrammeEvent.id.desc()))
    return [_event_read(row, counts.get(row.id, (0, 0, 0))) for row in rows]


def _get_event(session: Session, event_id: int) -> ProgrammeEvent:
    row = session.get(ProgrammeEvent, event_id)
    if row is None:
        raise NotFound(f"event {event_id} not found")
    return row


def read_event(session: Session, event_id: int) -> EventRead:
    return _event_read(_get_event(session, event_id), _event_counts(session).get(event_id, (0, 0, 0)))


def create_event(session: Session, actor: Principal, data: EventCreate) -> EventRead:
    with session.begin():
        row = ProgrammeEvent(**data.model_dump())
        session.add(row)
        session.flush()
        audit.record(
            session, actor, action="programme_event.create", entity_type="programme_event", entity_id=row.id,
            after=audit.snapshot(row, EVENT_FIELDS),
        )  # fmt: skip
    return read_event(session, row.id)


def update_event(session: Session, actor: Principal, event_id: int, data: EventUpdate) -> EventRead:
    with session.begin():
        row = _get_event(session, event_id)
        before = audit.snapshot(row, EVENT_FIELDS)
        for name, value in patch_values(data, required=("title", "kind", "held_on")).items():
            setattr(row, name, value)
        audit.record(
            session, actor, action="programme_event.update", entity_type="programme_event", entity_id=row.id,
            before=before, after=audit.snapshot(row, EVENT_FIELDS),
        )  # fmt: skip
    return read_event(session, event_id)


def delete_event(session: Session, actor: Principal, event_id: int) -> None:
    """The event goes; the requests posted for it stay, no longer tied to an event."""
    with session.begin():
        row = _get_event(session, event_id)
        session.execute(update(MatchRequest).where(MatchRequest.event_id == event_id).values(event_id=None))
        audit.record(
            session, actor, action="programme_event.delete", entity_type="programme_event", entity_id=row.id,
            before=audit.snapshot(row, EVENT_FIELDS),
        )  # fmt: skip
        session.delete(row)


# --- match requests ----------------------------------------------------------------------------------------


def _names(session: Session, ids: set[int]) -> dict[int, str]:
    return dict(session.execute(select(Organisation.id, Organisation.name).where(Organisation.id.in_(ids))).all())


def _reads(session: Session, actor: Principal, rows: list[MatchRequest]) -> list[MatchRequestRead]:
    """The requests as this caller may see them: the private fields only of its own (or all, for the office)."""
    ids = {row.organisation_id for row in rows} | {row.matched_with_id for row in rows if row.matched_with_id}
    names = _names(session, ids)
    reads = []
    for row in rows:
        private = may_change(actor, row)
        shown = {name: getattr(row, name) for name in (*PUBLIC_FIELDS, *(PRIVATE_FIELDS if private else ()))}
        matched_with = names.get(row.matched_with_id) if private and row.matched_with_id else None
        reads.append(
            MatchRequestRead(
                **shown,
                organisation_name=names.get(row.organisation_id, ""),
                own=row.organisation_id == actor.organisation_id,
                matched_with_name=matched_with,
            )
        )
    return reads


def list_requests(
    session: Session,
    actor: Principal,
    *,
    status: MatchStatus | None = None,
    side: MatchSide | None = None,
    event_id: int | None = None,
) -> list[MatchRequestRead]:
    query = select(MatchRequest)
    if not actor.sees_all_tenants:
        query = query.where(
            or_(MatchRequest.organisation_id == actor.organisation_id, MatchRequest.status == MatchStatus.OPEN)
        )
    if status is not None:
        query = query.where(MatchRequest.status == status)
    if side is not None:
        query = query.where(MatchRequest.side == side)
    if event_id is not None:
        query = query.where(MatchRequest.event_id == event_id)
    rows = list(session.scalars(query.order_by(MatchRequest.created_at.desc(), MatchRequest.id.desc())))
    return _reads(session, actor, rows)


def _get_request(session: Session, actor: Principal, request_id: int, *, to_change: bool = False) -> MatchRequest:
    # Locked on PostgreSQL when it is to change: two officers cannot match one request with two others.
    row = session.get(MatchRequest, request_id, with_for_update=to_change)
    if row is None or not (may_change(actor, row) if to_change else may_see(actor, row)):
        raise NotFound(f"request {request_id} not found")
    return row


def read_request(session: Session, actor: Principal, request_id: int) -> MatchRequestRead:
    return _reads(session, actor, [_get_request(session, actor, request_id)])[0]


def _poster(session: Session, actor: Principal, organisation_id: int | None) -> int:
    """The organisation a request is posted for: the office names one, everyone else posts for their own."""
    if not actor.sees_all_tenants:
        if organisation_id not in (None, actor.organisation_id):
            raise InputError.for_field("body.organisation_id", "post requests for your own organisation")
        assert actor.organisation_id is not None  # tenant roles always belong to an organisation
        return actor.organisation_id
    if organisation_id is None:
        raise InputError.for_field("body.organisation_id", "name the organisation the request is posted for")
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or organisation.kind not in POSTING_KINDS:
        message = f"organisation {organisation_id} is not an enterprise, integrator or platform"
        raise InputError.for_field("body.organisation_id", message)
    return organisation_id


def _check_event(session: Session, event_id: int | None) -> None:
    if event_id is not None and session.get(ProgrammeEvent, event_id) is None:
        raise InputError.for_field("body.event_id", f"event {event_id} does not exist")


def create_request(session: Session, actor: Principal, data: MatchRequestCreate) -> MatchRequestRead:
    with session.begin():
        organisation_id = _poster(session, actor, data.organisation_id)
        _check_event(session, data.event_id)
        values = data.model_dump(exclude={"organisation_id"})
        row = MatchRequest(organisation_id=organisation_id, status=MatchStatus.OPEN, created_by=actor.user_id, **values)
        session.add(row)
        session.flush()
        audit.record(
            session, actor, action="match_request.create", entity_type="match_request", entity_id=row.id,
            organisation_id=organisation_id, after=audit.snapshot(row, REQUEST_FIELDS),
        )  # fmt: skip
    return read_request(session, actor, row.id)


def update_request(session: Session, actor: Principal, request_id: int, data: MatchRequestUpdate) -> MatchRequestRead:
    with session.begin():
        row = _get_request(session, actor, request_id, to_change=True)
        if row.status != MatchStatus.OPEN:
            raise Conflict(f"request {request_id} is {row.status.value}; only an open request changes")
        changes = patch_values(data, required=("subject", "description"))
        _check_event(session, changes.get("event_id"))
        before = audit.snapshot(row, REQUEST_FIELDS)
        for name, value in changes.items():
            setattr(row, name, value)
        audit.record(
            session, actor, action="match_request.update", entity_type="match_request", entity_id=row.id,
            organisation_id=row.organisation_id, before=before, after=audit.snapshot(row, REQUEST_FIELDS),
        )  # fmt: skip
    return read_request(session, actor, request_id)


def close_request(session: Session, actor: Principal, request_id: int) -> MatchRequestRead:
    """Withdraw an open request (found elsewhere, no longer needed)."""
    with session.begin():
        row = _get_request(session, actor, request_id, to_change=True)
        if row.status != MatchStatus.OPEN:
            raise Conflict(f"request {request_id} is {row.status.value}; only an open request is closed")
        row.status = MatchStatus.CLOSED
        audit.record(
            session, actor, action="match_request.close", entity_type="match_request", entity_id=row.id,
            organisation_id=row.organisation_id, after={"status": row.status.value},
        )  # fmt: skip
    return read_request(session, actor, request_id)


def match(session: Session, actor: Principal, request_id: int, data: MatchCreate, today: date) -> MatchRequestRead:
    """Match a demand with a supply (the office only): both become matched, each naming the other."""
    with session.begin():
        request = _get_request(session, actor, request_id, to_change=True)
        counterpart = session.get(MatchRequest, data.counterpart_id, with_for_update=True)
        if counterpart is None:
            raise InputError.for_field("body.counterpart_id", f"request {data.counterpart_id} does not exist")
        problem = match_problem(request, counterpart)
        if problem:
            raise InputError.for_field("body.counterpart_id", problem)
        for row, other in ((request, counterpart), (counterpart, request)):
            row.status = MatchStatus.MATCHED
            row.matched_with_id, row.matched_request_id = other.organisation_id, other.id
            row.match_note, row.matched_on = data.note, today
        audit.record(
            session, actor, action="match_request.match", entity_type="match_request", entity_id=request.id,
            after={"request_id": request.id, "counterpart_id": counterpart.id, "note": data.note},
        )  # fmt: skip
    return read_request(session, actor, request_id)
