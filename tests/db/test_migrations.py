"""Migrations build exactly the schema the models describe, on SQLite and PostgreSQL, and can be undone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, select
from sqlalchemy.exc import StatementError

from tests.databases import fresh_postgres_database
from zhizao import migrations
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import OrganisationKind
from zhizao.db.engine import Database, create_database
from zhizao.migrations.schema import metadata
from zhizao.settings import load_settings

TABLES = {table.name for table in metadata.sorted_tables}
SHANGHAI = timezone(timedelta(hours=8))


@pytest.fixture
def empty_engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """An engine on a brand-new, empty database (not the suite's shared, already-migrated one)."""
    if backend == "sqlite":
        # Through the app's own engine factory, so SQLite runs with the pragmas it has in production.
        settings = load_settings(data_dir=tmp_path_factory.mktemp("migrations"))
        engine = create_database(settings).engine
        try:
            yield engine
        finally:
            engine.dispose()
        return
    with fresh_postgres_database(request.getfixturevalue("postgres_server_url"), "zhizao_migrations") as url:
        engine = create_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()


def _tables(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(inspect(connection).get_table_names())


def _differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))


def _current_revisions(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def test_upgrade_builds_the_models_schema_and_downgrade_removes_it(empty_engine: Engine) -> None:
    assert _tables(empty_engine) == set()
    heads = set(ScriptDirectory.from_config(migrations.alembic_config(empty_engine)).get_heads())
    assert len(heads) == 1, f"migrations have branched: {heads}"

    migrations.upgrade(empty_engine)
    assert _tables(empty_engine) >= TABLES
    assert _current_revisions(empty_engine) == heads
    assert _differences(empty_engine) == [], "models and migrations differ: write a migration"

    migrations.downgrade(empty_engine, "base")
    assert _tables(empty_engine) & TABLES == set()
    assert _current_revisions(empty_engine) == set()

    migrations.upgrade(empty_engine)
    assert _tables(empty_engine) >= TABLES
    assert _current_revisions(empty_engine) == heads
    assert _differences(empty_engine) == []


def test_upgrade_at_head_changes_nothing(empty_engine: Engine) -> None:
    migrations.upgrade(empty_engine)
    migrations.upgrade(empty_engine)
    assert _differences(empty_engine) == []


def test_every_revision_downgrades_and_upgrades_one_step_at_a_time(empty_engine: Engine) -> None:
    script = ScriptDirectory.from_config(migrations.alembic_config(empty_engine))
    revisions = [revision.revision for revision in reversed(list(script.walk_revisions()))]
    for revision in revisions:
        migrations.upgrade(empty_engine, revision)
        assert _current_revisions(empty_engine) == {revision}
    for revision in reversed(revisions):
        migrations.downgrade(empty_engine, "-1")
        assert revision not in _current_revisions(empty_engine)
    assert _tables(empty_engine) & TABLES == set()


# --- timestamps ------------------------------------------------------------------------------------------


def _organisation(name: str, created_at: datetime) -> Organisation:
    return Organisation(name=name, kind=OrganisationKind.ENTERPRISE, is_active=True, created_at=created_at)


def test_timestamps_are_stored_in_utc_and_read_back_aware(database: Database) -> None:
    in_shanghai = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=SHANGHAI)
    with database.session() as session, session.begin():
        session.add(_organisation("临港", in_shanghai))
    with database.session() as session:
        created_at = session.scalar(select(Organisation.created_at).where(Organisation.name == "临港"))
        assert created_at is not None
        assert created_at.utcoffset() == timedelta(0)
        assert created_at == in_shanghai
        assert created_at.replace(tzinfo=None) == datetime(2026, 3, 1, 1, 30, 15, 123456)  # noqa: DTZ001
        # Compared in SQL, too: the same instant in another zone finds the row, a second later does not.
        same_instant = in_shanghai.astimezone(timezone(timedelta(hours=-5)))
        assert session.scalar(select(Organisation.name).where(Organisation.created_at == same_instant)) == "临港"
        later = in_shanghai + timedelta(seconds=1)
        assert session.scalar(select(Organisation.name).where(Organisation.created_at >= later)) is None


def test_default_timestamps_are_utc(database: Database) -> None:
    before = datetime.now(UTC)
    with database.session() as session, session.begin():
        organisation = Organisation(name="默认", kind=OrganisationKind.ENTERPRISE)
        session.add(organisation)
    with database.session() as session:
        created_at = session.scalar(select(Organisation.created_at).where(Organisation.name == "默认"))
    assert created_at is not None
    assert created_at.tzinfo is not None and created_at.utcoffset() == timedelta(0)
    assert before - timedelta(seconds=1) <= created_at <= datetime.now(UTC) + timedelta(seconds=1)


def test_naive_datetimes_are_refused(database: Database) -> None:
    naive = datetime(2026, 3, 1, 9, 30)  # noqa: DTZ001
    with database.session() as session:
        session.add(_organisation("naive", naive))
        with pytest.raises(StatementError, match="naive"):
            session.flush()
        session.rollback()
    with database.session() as session:
        with pytest.raises(StatementError, match="naive"):
            session.scalar(select(Organisation).where(Organisation.created_at < naive))
        session.rollback()
        assert session.scalar(select(Organisation).where(Organisation.name == "naive")) is None
