"""``zhizao sharing meter|invoice|recompute`` against the test database (both backends): the meters run, October
2026 is issued as the platform administrator, and recomputing it exits 0 — or 1 with the problems once the meter
log was tampered with."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import World
from tests.sharing.billing_world import PERIOD, month_of_leasing, tamper
from zhizao.accounts.models import AuditEntry, User
from zhizao.accounts.roles import Role
from zhizao.cli.sharing import sharing_app
from zhizao.db.engine import Database
from zhizao.sharing.billing_models import InvoiceRow, MeterRecordRow
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.factory import open_store


@pytest.fixture
def store(database: Database) -> Iterator[TelemetryStore]:
    opened = open_store(database)
    yield opened
    opened.close()


def _run(database: Database, *args: str) -> tuple[int, str]:
    url = database.engine.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(sharing_app, [*args, "--database-url", url])
    return result.exit_code, result.output


def test_meter_then_invoice_then_recompute_matches(world: World, store: TelemetryStore) -> None:
    leasing = month_of_leasing(world, store)[0]  # its builders made administrators: the first one acts
    code, output = _run(world.database, "meter")
    assert code == 0, output
    assert "3 bookings metered" in output
    with world.database.session() as session:
        records = len(session.scalars(select(MeterRecordRow.id)).all())
    assert f"{records} meter records written" in output
    again = _run(world.database, "meter")
    assert again == (0, "0 bookings metered, 0 meter records written\n")

    owner = str(leasing.owner_id)
    code, output = _run(world.database, "invoice", "--owner", owner, "--lessee", str(leasing.lessee_id),
                        "--period", PERIOD)  # fmt: skip
    assert code == 0, output
    with world.database.session() as session:
        invoice = session.scalars(select(InvoiceRow)).one()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "share_invoice.issue")).one()
        admin = session.scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id)).first()
    assert admin is not None
    assert f"issued {invoice.number} (2026-10) for 954.53 CNY as {admin.username}" in output
    assert invoice.issued_by == admin.id and audit.actor_id == admin.id  # who acted, on the record
    assert output.count("  booking ") == 7

    code, output = _run(world.database, "recompute", invoice.number)
    assert code == 0, output
    assert output.count(" ok\n") == 7 and "DIFFERS" not in output
    assert "total: issued 954.53 | recomputed 954.53" in output and "matches" in output
    assert _run(world.database, "recompute", str(invoice.id))[0] == 0


def test_recompute_of_a_tampered_log_exits_1_with_the_problems(world: World, store: TelemetryStore) -> None:
    leasing = month_of_leasing(world, store)[0]
    assert _run(world.database, "meter")[0] == 0
    code, output = _run(world.database, "invoice", "--owner", str(leasing.owner_id), "--lessee",
                        str(leasing.lessee_id), "--period", PERIOD)  # fmt: skip
    assert code == 0, output
    tamper(world.database, "UPDATE share_meter_record SET quantity = '7200000000' WHERE kind = 'usage'")
    with world.database.session() as session:
        number = session.scalars(select(InvoiceRow.number)).one()
    code, output = _run(world.database, "recompute", number)
    assert code == 1, output
    assert "DOES NOT MATCH" in output and "altered" in output


def test_mistakes_exit_2_naming_the_option(world: World, store: TelemetryStore) -> None:
    leasing = month_of_leasing(world, store)[0]
    lessee = str(leasing.lessee_id)
    code, output = _run(world.database, "invoice", "--owner", "no such org", "--lessee", lessee, "--period", PERIOD)
    assert code == 2 and "owner" in output
    code, output = _run(world.database, "invoice", "--owner", str(leasing.owner_id), "--lessee", lessee,
                        "--period", "2026-13")  # fmt: skip
    assert code == 2 and "period" in output and "YYYY-MM" in output
    code, output = _run(world.database, "recompute", "ZS9999-202610-0001")
    assert code == 2 and "no invoice" in output
