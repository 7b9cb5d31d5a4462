"""Programme editions: the bundled 2020–2022 edition, new editions and their targets, and which one is current.

Targets and rules are stored as JSON checked by ``editions.EditionTargets`` / ``EditionRules``; read them back
typed with ``edition_targets`` / ``edition_rules``. Exactly one edition is current once any is: marking one
current unmarks the others in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError, NotFound
from zhizao.programme.editions import EditionDefinition, EditionRules, EditionTargets, load_definition
from zhizao.programme.models import Edition
from zhizao.programme.schemas_enterprises import EditionRead, EditionUpdate
from zhizao.telemetry.assets import flush_unique

EDITION_FIELDS = ("code", "name", "start_year", "end_year", "targets", "rules", "is_current")


def edition_targets(edition: Edition) -> EditionTargets:
    return EditionTargets.model_validate(edition.targets)


def edition_rules(edition: Edition) -> EditionRules:
    return EditionRules.model_validate(edition.rules)


def edition_read(edition: Edition) -> EditionRead:
    return EditionRead(
        id=edition.id,
        code=edition.code,
        name=edition.name,
        start_year=edition.start_year,
        end_year=edition.end_year,
        targets=edition_targets(edition),
        rules=edition_rules(edition),
        is_current=edition.is_current,
        created_at=edition.created_at,
        updated_at=edition.updated_at,
    )


def list_editions(session: Session) -> Sequence[Edition]:
    return session.scalars(select(Edition).order_by(Edition.start_year, Edition.code)).all()


def get_edition(session: Session, edition_id: int) -> Edition:
    edition = session.get(Edition, edition_id)
    if edition is None:
        raise NotFound(f"edition {edition_id} not found")
    return edition


def find_edition(session: Session, edition_id: int | None) -> Edition | None:
    """The named edition (404 if there is none such), else the current one; None while no edition is current."""
    if edition_id is not None:
        return get_edition(session, edition_id)
    return session.scalars(select(Edition).where(Edition.is_current.is_(True))).first()


def current_edition(session: Session) -> Edition:
    """The edition the programme runs now."""
    edition = find_edition(session, None)
    if edition is None:
        raise NotFound("no programme edition is marked current; an officer marks one on the editions page")
    return edition


def _has_current(session: Session) -> bool:
    return session.scalars(select(Edition.id).where(Edition.is_current.is_(True))).first() is not None


def _add(session: Session, actor: Principal | None, definition: EditionDefinition) -> Edition:
    """Add an edition to the open transaction; the first edition ever added becomes current."""
    edition = Edition(
        code=definition.code,
        name=definition.name,
        start_year=definition.start_year,
        end_year=definition.end_year,
        targets=definition.targets.model_dump(mode="json"),
        rules=definition.rules.model_dump(mode="json"),
        is_current=not _has_current(session),
    )
    session.add(edition)
    flush_unique(session, "body.code", f"an edition {definition.code} exists already")
    audit.record(
        session, actor, action="programme_edition.create", entity_type="programme_edition", entity_id=edition.id,
        after=audit.snapshot(edition, EDITION_FIELDS),
    )  # fmt: skip
    return edition


def ensure_default_edition(session: Session, actor: Principal | None = None) -> Edition:
    """The bundled 2020–2022 edition, added on first call (and made current when no edition is). Call it on a
    session with no transaction open; ``actor`` is None for seeding and tests, which act as the system."""
    definition = load_definition()
    with session.begin():
        edition = session.scalars(select(Edition).where(Edition.code == definition.code)).one_or_none()
        if edition is None:
            edition = _add(session, actor, definition)
    return edition


def create_edition(session: Session, actor: Principal, definition: EditionDefinition) -> Edition:
    with session.begin():
        return _add(session, actor, definition)


def update_edition(session: Session, actor: Principal, edition_id: int, data: EditionUpdate) -> Edition:
    changes = data.model_dump(exclude_unset=True)
    with session.begin():
        edition = get_edition(session, edition_id)
        before = audit.snapshot(edition, EDITION_FIELDS)
        for name in changes:
            if changes[name] is None:
                raise InputError.for_field(f"body.{name}", "must not be null")
        start_year = changes.get("start_year", edition.start_year)
        end_year = changes.get("end_year", edition.end_year)
        if end_year < start_year:
            field = "body.end_year" if "end_year" in changes else "body.start_year"
            raise InputError.for_field(field, f"the edition would end ({end_year}) before it starts ({start_year})")
        for name in ("name", "start_year", "end_year"):
            if name in changes:
                setattr(edition, name, changes[name])
        if data.targets is not None:
            edition.targets = data.targets.model_dump(mode="json")
        if data.rules is not None:
            edition.rules = data.rules.model_dump(mode="json")
        session.flush()
        audit.record(
            session, actor, action="programme_edition.update", entity_type="programme_edition",
            entity_id=edition.id, before=before, after=audit.snapshot(edition, EDITION_FIELDS),
        )  # fmt: skip
    return edition


def make_current(session: Session, actor: Principal, edition_id: int) -> Edition:
    """Mark one edition current and every other not, in one transaction."""
    with session.begin():
        edition = get_edition(session, edition_id)
        previous = session.scalars(select(Edition.code).where(Edition.is_current.is_(True))).all()
        session.execute(update(Edition).where(Edition.id != edition.id).values(is_current=False))
        edition.is_current = True
        session.flush()
        audit.record(
            session, actor, action="programme_edition.make_current", entity_type="programme_edition",
            entity_id=edition.id, before={"current": list(previous)}, after={"current": [edition.code]},
        )  # fmt: skip
    return edition
