"""Organisations and users: the rules for creating and changing them. Each function owns its transaction."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.credentials import check_password_rules, hash_password, verify_password
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role, role_fits_organisation
from zhizao.accounts.schemas import (
    OrganisationCreate,
    OrganisationUpdate,
    PasswordChange,
    UserCreate,
    UserUpdate,
)
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound

ORGANISATION_FIELDS = ("name", "kind", "credit_code", "district", "is_active")
USER_FIELDS = ("username", "display_name", "email", "role", "organisation_id", "is_active")


# --- organisations ---------------------------------------------------------------------------------------


def list_organisations(
    session: Session, actor: Principal, *, offset: int = 0, limit: int = 50
) -> tuple[Sequence[Organisation], int]:
    query = select(Organisation)
    if not actor.sees_all_tenants:
        query = query.where(Organisation.id == actor.organisation_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Organisation.name).offset(offset).limit(limit)).all()
    return rows, total


def get_organisation(session: Session, actor: Principal, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not actor.may_access_tenant(organisation.id):
        raise NotFound(f"organisation {organisation_id} not found")
    return organisation


def create_organisation(session: Session, actor: Principal | None, data: OrganisationCreate) -> Organisation:
    """Create an organisation. ``actor`` is None only for the CLI and demo seeding, which act as the system."""
    with session.begin():
        organisation = Organisation(**data.model_dump())
        session.add(organisation)
        _flush_unique(session, "organisation name or credit code already registered")
        audit.record(
            session,
            actor,
            action="organisation.create",
            entity_type="organisation",
            entity_id=organisation.id,
            organisation_id=organisation.id,
            after=audit.snapshot(organisation, ORGANISATION_FIELDS),
        )
    return organisation


def update_organisation(
    session: Session, actor: Principal, organisation_id: int, data: OrganisationUpdate
) -> Organisation:
    with session.begin():
        organisation = get_organisation(session, actor, organisation_id)
        before = audit.snapshot(organisation, ORGANISATION_FIELDS)
        for name, value in data.model_dump(exclude_unset=True).items():
            if name in ("name", "is_active") and value is None:
                raise InputError.for_field(f"body.{name}", "must not be null")
            setattr(organisation, name, value)
        _flush_unique(session, "organisation name or credit code already registered")
        audit.record(
            session,
            actor,
            action="organisation.update",
            entity_type="organisation",
            entity_id=organisation.id,
            organisation_id=organisation.id,
            before=before,
            after=audit.snapshot(organisation, ORGANISATION_FIELDS),
        )
    return organisation


# --- users -----------------------------------------------------------------------------------------------


def list_users(
    session: Session,
    actor: Principal,
    *,
    organisation_id: int | None = None,
    role: Role | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[User], int]:
    query = select(User)
    if not actor.sees_all_tenants:
        query = query.where(User.organisation_id == actor.organisation_id)
    if organisation_id is not None:
        query = query.where(User.organisation_id == organisation_id)
    if role is not None:
        query = query.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(User.username).offset(offset).limit(limit)).all()
    return rows, total


def active_users_by_role(session: Session, actor: Principal) -> dict[Role, int]:
    """Active users per role, within the caller's scope (what the home page charts)."""
    query = select(User.role, func.count()).where(User.is_active.is_(True)).group_by(User.role)
    if not actor.sees_all_tenants:
        query = query.where(User.organisation_id == actor.organisation_id)
    counts = {row[0]: int(row[1]) for row in session.execute(query)}
    return {role: counts.get(role, 0) for role in Role}


def get_user(session: Session, actor: Principal, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or not (actor.user_id == user_id or actor.may_access_tenant(user.organisation_id)):
        raise NotFound(f"user {user_id} not found")
    return user


def create_user(session: Session, actor: Principal | None, data: UserCreate) -> User:
    """Create a user. ``actor`` is None only for the CLI and demo seeding, which act as the system."""
    check_password_rules(data.password, username=data.username, field="body.password")
    with session.begin():
        _check_membership(session, data.role, data.organisation_id)
        user = User(
            username=data.username,
            display_name=data.display_name,
            email=data.email,
            password_hash=hash_password(data.password),
            role=data.role,
            organisation_id=data.organisation_id,
        )
        session.add(user)
        _flush_unique(
            session,
            f"username {data.username!r} is taken",
            field=("body.username", f"{data.username!r} is already taken"),
        )
        audit.record(
            session,
            actor,
            action="user.create",
            entity_type="user",
            entity_id=user.id,
            organisation_id=user.organisation_id,
            after=audit.snapshot(user, USER_FIELDS),
        )
    return user


def update_user(session: Session, actor: Principal, user_id: int, data: UserUpdate) -> User:
    changes = data.model_dump(exclude_unset=True)
    with session.begin():
        user = get_user(session, actor, user_id)
        before = audit.snapshot(user, USER_FIELDS)
        for name in ("display_name", "role", "is_active"):
            if name in changes and changes[name] is None:
                raise InputError.for_field(f"body.{name}", "must not be null")
        demotes_self = changes.get("role", user.role) != user.role or changes.get("is_active") is False
        if user.id == actor.user_id and demotes_self:
            raise Conflict("you cannot deactivate yourself or change your own role")
        role = changes.get("role", user.role)
        organisation_id = changes.get("organisation_id", user.organisation_id)
        _check_membership(session, role, organisation_id)
        for name, value in changes.items():
            setattr(user, name, value)
        if changes.get("is_active") is False or "role" in changes or "organisation_id" in changes:
            user.auth_version += 1  # sign the user out everywhere: what they may see has changed
        audit.record(
            session,
            actor,
            action="user.update",
            entity_type="user",
            entity_id=user.id,
            organisation_id=user.organisation_id,
            before=before,
            after=audit.snapshot(user, USER_FIELDS),
        )
    return user


def reset_password(session: Session, actor: Principal, user_id: int, new_password: str) -> None:
    with session.begin():
        user = get_user(session, actor, user_id)
        check_password_rules(new_password, username=user.username, field="body.new_password")
        user.password_hash = hash_password(new_password)
        user.auth_version += 1
        audit.record(
            session,
            actor,
            action="user.reset_password",
            entity_type="user",
            entity_id=user.id,
            organisation_id=user.organisation_id,
        )


def change_own_password(session: Session, actor: Principal, data: PasswordChange) -> None:
    with session.begin():
        user = session.get(User, actor.user_id)
        if user is None:
            raise NotFound("user not found")
        if not verify_password(user.password_hash, data.current_password):
            raise InputError.for_field("body.current_password", "is not your current password")
        check_password_rules(data.new_password, username=user.username, field="body.new_password")
        user.password_hash = hash_password(data.new_password)
        user.auth_version += 1
        audit.record(session, actor, action="user.change_password", entity_type="user", entity_id=user.id)


def _check_membership(session: Session, role: Role, organisation_id: int | None) -> None:
    if organisation_id is None:
        if role != Role.ADMIN:
            raise InputError.for_field("body.organisation_id", f"a {role.value} must belong to an organisation")
        return
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise InputError.for_field("body.organisation_id", f"organisation {organisation_id} does not exist")
    if not role_fits_organisation(role, organisation.kind):
        raise InputError.for_field(
            "body.role", f"role {role.value} cannot act for an organisation of kind {organisation.kind.value}"
        )


def _flush_unique(session: Session, message: str, *, field: tuple[str, str] | None = None) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message, fields=[FieldProblem(*field)] if field else None) from exc
