"""The account rules users rely on, run against SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.conftest import World
from zhizao.accounts import auth, service
from zhizao.accounts.models import AuditEntry, LoginThrottle
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate, UserUpdate
from zhizao.db.engine import Database
from zhizao.errors import AuthenticationFailed, Conflict, InputError, LoginThrottled, NotFound
from zhizao.settings import Settings


def _admin(world: World) -> Principal:
    account = world.user(Role.ADMIN)
    return Principal(account.user_id, account.username, account.username, Role.ADMIN, None)


def test_role_must_fit_the_organisation_kind(world: World, database: Database) -> None:
    government = world.organisation(OrganisationKind.GOVERNMENT)
    with database.session() as session, pytest.raises(InputError) as caught:
        service.create_user(
            session,
            None,
            UserCreate(
                username="zhang",
                display_name="Zhang",
                password="pw-long-enough-1",
                role=Role.ENTERPRISE,
                organisation_id=government,
            ),
        )
    assert caught.value.fields[0].field == "body.role"
    with database.session() as session, pytest.raises(InputError, match="must belong"):
        service.create_user(
            session,
            None,
            UserCreate(username="lisi", display_name="Li", password="pw-long-enough-1", role=Role.EXPERT),
        )


def test_duplicate_username_and_organisation_name_conflict(world: World, database: Database) -> None:
    org = world.organisation(name="上海某某汽车有限公司")
    world.user(Role.ENTERPRISE, org, username="wang")
    with database.session() as session, pytest.raises(Conflict):
        service.create_user(
            session,
            None,
            UserCreate(
                username="wang",
                display_name="W",
                password="pw-long-enough-1",
                role=Role.ENTERPRISE,
                organisation_id=org,
            ),
        )
    with database.session() as session, pytest.raises(Conflict):
        service.create_organisation(
            session, None, OrganisationCreate(name="上海某某汽车有限公司", kind=OrganisationKind.ENTERPRISE)
        )


def test_audit_entry_records_before_and_after_without_secrets(world: World, database: Database) -> None:
    admin = _admin(world)
    target = world.user(Role.ENTERPRISE)
    with database.session() as session:
        service.update_user(session, admin, target.user_id, UserUpdate(display_name="张工"))
    with database.session() as session:
        service.reset_password(session, admin, target.user_id, "a-brand-new-password")
    with database.session() as session:
        query = select(AuditEntry).where(AuditEntry.entity_id == str(target.user_id)).order_by(AuditEntry.id)
        entries = session.scalars(query).all()
    actions = [entry.action for entry in entries]
    assert actions == ["user.create", "user.update", "user.reset_password"]
    update = entries[1]
    assert update.actor_id == admin.user_id and update.actor_name == admin.username
    assert update.before is not None and update.after is not None
    assert update.before["display_name"] != "张工" and update.after["display_name"] == "张工"
    for entry in entries:
        assert "password_hash" not in (entry.after or {}) and "password" not in (entry.after or {})


def test_failed_change_writes_no_audit_entry_and_no_change(world: World, database: Database) -> None:
    admin = _admin(world)
    target = world.user(Role.ENTERPRISE)
    government = world.organisation(OrganisationKind.GOVERNMENT)
    with database.session() as session, pytest.raises(InputError):
        service.update_user(session, admin, target.user_id, UserUpdate(organisation_id=government))
    with database.session() as session:
        updates = session.scalars(select(AuditEntry).where(AuditEntry.action == "user.update")).all()
        user = service.get_user(session, admin, target.user_id)
    assert updates == []
    assert user.organisation_id == target.organisation_id


def test_enterprise_user_cannot_read_another_tenant(world: World, database: Database) -> None:
    mine = world.user(Role.ENTERPRISE)
    other = world.user(Role.ENTERPRISE)
    me = Principal(mine.user_id, mine.username, mine.username, Role.ENTERPRISE, mine.organisation_id)
    with database.session() as session:
        assert service.get_organisation(session, me, mine.organisation_id or 0).id == mine.organisation_id
        with pytest.raises(NotFound):
            service.get_organisation(session, me, other.organisation_id or 0)
        with pytest.raises(NotFound):
            service.get_user(session, me, other.user_id)
        rows, total = service.list_organisations(session, me)
    assert total == 1 and rows[0].id == mine.organisation_id


def test_login_throttles_after_repeated_failures_even_for_unknown_names(
    world: World, database: Database, settings: Settings
) -> None:
    account = world.user(Role.ENTERPRISE)
    for name in (account.username, "nobody-by-this-name"):
        for _ in range(settings.login_max_failures):
            with database.session() as session, pytest.raises(AuthenticationFailed) as caught:
                auth.authenticate(session, settings, name, "wrong-password-123")
            assert not isinstance(caught.value, LoginThrottled)
        with database.session() as session, pytest.raises(LoginThrottled) as throttled:
            auth.authenticate(session, settings, name, "wrong-password-123")
        assert throttled.value.retry_after_seconds > 0
    # Locked out: even the right password waits until the lock expires.
    with database.session() as session, pytest.raises(LoginThrottled):
        auth.authenticate(session, settings, account.username, account.password)
    with database.session() as session:
        lockouts = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.lockout")).all()
    assert len(lockouts) == 2


def test_successful_login_clears_failures(world: World, database: Database, settings: Settings) -> None:
    account = world.user(Role.OFFICER)
    with database.session() as session, pytest.raises(AuthenticationFailed):
        auth.authenticate(session, settings, account.username, "wrong-password-123")
    with database.session() as session:
        user = auth.authenticate(session, settings, account.username, account.password)
        assert user.last_login_at is not None
    with database.session() as session:
        assert session.get(LoginThrottle, account.username) is None


def test_deactivated_user_cannot_log_in_and_loses_tokens(world: World, database: Database, settings: Settings) -> None:
    admin = _admin(world)
    account = world.user(Role.INTEGRATOR)
    with database.session() as session:
        user = auth.authenticate(session, settings, account.username, account.password)
        token = auth.issue_access(settings, user).access_token
    with database.session() as session:
        service.update_user(session, admin, account.user_id, UserUpdate(is_active=False))
    with database.session() as session, pytest.raises(AuthenticationFailed):
        auth.user_for_bearer(session, settings, token)
    with database.session() as session, pytest.raises(AuthenticationFailed):
        auth.authenticate(session, settings, account.username, account.password)


def test_admin_cannot_demote_or_deactivate_self(world: World, database: Database) -> None:
    admin = _admin(world)
    with database.session() as session, pytest.raises(Conflict):
        service.update_user(session, admin, admin.user_id, UserUpdate(is_active=False))
