"""Smart-manufacturing parks (智能制造特色产业园区, plan §五(十一)) and the enterprises in each.

Every signed-in user may read parks; the programme office (admin, officer) adds, changes and removes them. The
enterprises listed in a park are those the caller may see: all for the programme office, its own for an enterprise.
A park that still has enterprises is not removed (409): they are moved first, so no record silently loses its park.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, InputError, NotFound
from zhizao.programme.models import EnterpriseRecord, Park
from zhizao.programme.schemas_enterprises import ParkCreate, ParkDetail, ParkRead, ParkUpdate
from zhizao.programme.service_enterprises import enterprises_in_parks
from zhizao.telemetry.assets import flush_unique

PARK_FIELDS = ("name", "district", "description")


def _counts(session: Session) -> dict[int, int]:
    query = (
        select(EnterpriseRecord.park_id, func.count())
        .where(EnterpriseRecord.park_id.is_not(None))
        .group_by(EnterpriseRecord.park_id)
    )
    return {int(park_id): int(count) for park_id, count in session.execute(query) if park_id is not None}


def _read(park: Park, count: int) -> ParkRead:
    return ParkRead(
        id=park.id,
        name=park.name,
        district=park.district,
        description=park.description,
        enterprise_count=count,
        created_at=park.created_at,
    )


def list_parks(session: Session) -> list[ParkRead]:
    counts = _counts(session)
    parks = session.scalars(select(Park).order_by(Park.district, Park.name))
    return [_read(park, counts.get(park.id, 0)) for park in parks]


def get_park(session: Session, park_id: int) -> Park:
    park = session.get(Park, park_id)
    if park is None:
        raise NotFound(f"park {park_id} not found")
    return park


def park_detail(session: Session, actor: Principal, park_id: int) -> ParkDetail:
    park = get_park(session, park_id)
    count = _counts(session).get(park.id, 0)
    return ParkDetail(**_read(park, count).model_dump(), enterprises=enterprises_in_parks(session, actor, [park.id]))


def create_park(session: Session, actor: Principal, data: ParkCreate) -> ParkRead:
    with session.begin():
        park = Park(**data.model_dump())
        session.add(park)
        flush_unique(session, "body.name", f"a park named {data.name!r} exists already")
        audit.record(
            session, actor, action="programme_park.create", entity_type="programme_park", entity_id=park.id,
            after=audit.snapshot(park, PARK_FIELDS),
        )  # fmt: skip
    return _read(park, 0)


def update_park(session: Session, actor: Principal, park_id: int, data: ParkUpdate) -> ParkRead:
    changes = data.model_dump(exclude_unset=True)
    with session.begin():
        park = get_park(session, park_id)
        before = audit.snapshot(park, PARK_FIELDS)
        for name, value in changes.items():
            if value is None and name in ("name", "district"):
                raise InputError.for_field(f"body.{name}", "must not be null")
            setattr(park, name, value)
        flush_unique(session, "body.name", f"a park named {park.name!r} exists already")
        audit.record(
            session, actor, action="programme_park.update", entity_type="programme_park", entity_id=park.id,
            before=before, after=audit.snapshot(park, PARK_FIELDS),
        )  # fmt: skip
    return _read(park, _counts(session).get(park.id, 0))


def delete_park(session: Session, actor: Principal, park_id: int) -> None:
    with session.begin():
        park = get_park(session, park_id)
        count = _counts(session).get(park.id, 0)
        if count:
            raise Conflict(f"{count} enterprises are in park {park.name}; move them to another park first")
        before = audit.snapshot(park, PARK_FIELDS)
        session.delete(park)
        audit.record(
            session, actor, action="programme_park.delete", entity_type="programme_park", entity_id=park_id,
            before=before,
        )  # fmt: skip
