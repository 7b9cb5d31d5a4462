"""Versions of a maker's product models: a draft from an uploaded definition, its release after the checks of
``product.release`` against the version released before it, and its retirement. Audited.

The maker is an enterprise user of the organisation the version belongs to (an administrator acts for any maker
and names it). Another maker's version is 404. A model code belongs to one maker, so that consumers can find a
model by its code; the latest released version of a code is the one consumers configure and order.

Lifecycle (a pure transition table)::

    draft ──release──► released ──retire──► retired
      └─────────────────retire──────────────────┘
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.c2m.definitions import model_of, stored_definition
from zhizao.c2m.models import ModelStatus, ProductModelRow
from zhizao.c2m.product.model import ProductModel
from zhizao.c2m.product.release import ReleaseReport, Severity, check_release
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound, PermissionDenied
from zhizao.fields import MAX_ID
from zhizao.telemetry.assets import flush_unique

ENTITY = "c2m_product_model"


class VersionAction(StrEnum):
    RELEASE = "release"
    RETIRE = "retire"


TRANSITIONS: dict[tuple[ModelStatus, VersionAction], ModelStatus] = {
    (ModelStatus.DRAFT, VersionAction.RELEASE): ModelStatus.RELEASED,
    (ModelStatus.DRAFT, VersionAction.RETIRE): ModelStatus.RETIRED,
    (ModelStatus.RELEASED, VersionAction.RETIRE): ModelStatus.RETIRED,
}


def next_status(status: ModelStatus, action: VersionAction) -> ModelStatus:
    """The status after ``action``; ``Conflict`` when the lifecycle does not allow it."""
    target = TRANSITIONS.get((status, action))
    if target is None:
        raise Conflict(
            f"a {status.value} version cannot be {'released' if action is VersionAction.RELEASE else 'retired'}"
        )
    return target


def maker_of(session: Session, actor: Principal, enterprise_id: int | None) -> int:
    """The maker a new version belongs to: the caller's enterprise, or the one an administrator names."""
    if actor.role == Role.ENTERPRISE:
        if actor.organisation_id is None:
            raise PermissionDenied("an enterprise user without an enterprise cannot make product models")
        if enterprise_id is not None and enterprise_id != actor.organisation_id:
            raise NotFound(f"enterprise {enterprise_id} not found")
        return actor.organisation_id
    if actor.role != Role.ADMIN:
        raise PermissionDenied(f"role {actor.role.value} may not make product models")
    if enterprise_id is None:
        raise InputError.for_field("query.enterprise_id", "name the maker (an enterprise) the version belongs to")
    organisation = session.get(Organisation, enterprise_id) if enterprise_id <= MAX_ID else None
    if organisation is None or organisation.kind != OrganisationKind.ENTERPRISE:
        raise InputError.for_field("query.enterprise_id", f"no enterprise {enterprise_id}")
    return organisation.id


def create_draft(
    session: Session, actor: Principal, model: ProductModel, *, enterprise_id: int | None = None, field: str = "body"
) -> ProductModelRow:
    """Store ``model`` as a draft version of its code. 409 when the code is another maker's or the version exists."""
    with session.begin():
        maker_id = maker_of(session, actor, enterprise_id)
        taken = session.scalar(
            select(ProductModelRow.id)
            .where(ProductModelRow.code == model.code, ProductModelRow.enterprise_id != maker_id)
            .limit(1)
        )
        if taken is not None:
            message = f"the model code {model.code} belongs to another maker"
            raise Conflict(message, fields=[FieldProblem(f"{field}.code", message)])
        latest = latest_version(session, maker_id, model.code)
        if latest is not None and model.version <= latest:
            message = f"version {model.version} of {model.code} exists already; the next is {latest + 1}"
            raise Conflict(message, fields=[FieldProblem(f"{field}.version", message)])
        row = ProductModelRow(
            enterprise_id=maker_id, code=model.code, version=model.version, name=model.name.zh,
            status=ModelStatus.DRAFT, definition=stored_definition(model), created_by=actor.user_id,
        )  # fmt: skip
        session.add(row)
        flush_unique(session, f"{field}.version", f"version {model.version} of {model.code} exists already")
        audit.record(
            session, actor, action="c2m_model.create", entity_type=ENTITY, entity_id=row.id, organisation_id=maker_id,
            after={"code": row.code, "version": row.version, "name": row.name},
        )  # fmt: skip
    return row


def latest_version(session: Session, maker_id: int, code: str) -> int | None:
    found = session.scalar(
        select(func.max(ProductModelRow.version)).where(
            ProductModelRow.enterprise_id == maker_id, ProductModelRow.code == code
        )
    )
    return None if found is None else int(found)


def get_version(session: Session, actor: Principal, version_id: int) -> ProductModelRow:
    """A version of the caller's enterprise (any, for administrators and officers); else 404."""
    row = session.get(ProductModelRow, version_id) if version_id <= MAX_ID else None
    if row is None or not actor.may_access_tenant(row.enterprise_id):
        raise NotFound(f"product model version {version_id} not found")
    return row


def list_versions(session: Session, actor: Principal) -> Sequence[ProductModelRow]:
    query = select(ProductModelRow)
    if not actor.sees_all_tenants:
        query = query.where(ProductModelRow.enterprise_id == actor.organisation_id)
    return session.scalars(query.order_by(ProductModelRow.code, ProductModelRow.version.desc())).all()


def released_before(session: Session, row: ProductModelRow) -> ProductModelRow | None:
    """The latest released version of the same model other than ``row``: what a release is checked against."""
    return session.scalar(
        select(ProductModelRow)
        .where(
            ProductModelRow.enterprise_id == row.enterprise_id,
            ProductModelRow.code == row.code,
            ProductModelRow.status == ModelStatus.RELEASED,
            ProductModelRow.id != row.id,
        )
        .order_by(ProductModelRow.version.desc())
        .limit(1)
    )


def release_check(session: Session, row: ProductModelRow) -> ReleaseReport:
    """What releasing ``row`` now would find (errors block it, warnings do not)."""
    previous = released_before(session, row)
    return check_release(model_of(row), None if previous is None else model_of(previous))


def release(session: Session, actor: Principal, version_id: int) -> tuple[ProductModelRow, ReleaseReport]:
    """Release a draft after its checks; an error of the report is a 422 naming each place in the definition."""
    with session.begin():
        row = get_version(session, actor, version_id)
        target = next_status(row.status, VersionAction.RELEASE)
        report = release_check(session, row)
        errors = [issue for issue in report.issues if issue.severity is Severity.ERROR]
        if errors:
            fields = [FieldProblem(f"definition.{issue.field}", issue.message) for issue in errors]
            summary = "; ".join(problem.message for problem in fields[:3])
            raise InputError(f"{row.code} version {row.version} cannot be released: {summary}", fields=fields)
        row.status = target
        row.release_report = report.model_dump(mode="json")
        row.released_by = actor.user_id
        row.released_at = datetime.now(UTC)
        warnings = sum(1 for issue in report.issues if issue.severity is Severity.WARNING)
        audit.record(
            session, actor, action="c2m_model.release", entity_type=ENTITY, entity_id=row.id,
            organisation_id=row.enterprise_id, after={"code": row.code, "version": row.version, "warnings": warnings},
        )  # fmt: skip
    return row, report


def retire(session: Session, actor: Principal, version_id: int) -> ProductModelRow:
    """No new orders for this version; its orders keep it. A released version before it becomes current again."""
    with session.begin():
        row = get_version(session, actor, version_id)
        before = row.status
        row.status = next_status(row.status, VersionAction.RETIRE)
        audit.record(
            session, actor, action="c2m_model.retire", entity_type=ENTITY, entity_id=row.id,
            organisation_id=row.enterprise_id, before={"status": before.value}, after={"status": row.status.value},
        )  # fmt: skip
    return row


def current_released(session: Session, code: str) -> ProductModelRow | None:
    """The version of ``code`` consumers configure: its latest released one."""
    return session.scalar(
        select(ProductModelRow)
        .where(ProductModelRow.code == code, ProductModelRow.status == ModelStatus.RELEASED)
        .order_by(ProductModelRow.version.desc())
        .limit(1)
    )


def released_models(session: Session) -> list[ProductModelRow]:
    """The current released version of every model, by code."""
    rows = session.scalars(
        select(ProductModelRow)
        .where(ProductModelRow.status == ModelStatus.RELEASED)
        .order_by(ProductModelRow.code, ProductModelRow.version.desc())
    ).all()
    current: dict[str, ProductModelRow] = {}
    for row in rows:
        current.setdefault(row.code, row)
    return list(current.values())


def orderable(session: Session, code: str, *, field: str) -> tuple[ProductModelRow, ProductModel]:
    """The current released version of ``code`` and its model; ``NotFound`` when none is released."""
    row = current_released(session, code)
    if row is None:
        raise NotFound(
            f"no released product model {code!r}", fields=[FieldProblem(field, f"no released model {code!r}")]
        )
    return row, model_of(row)
