"""``zhizao sharing …``: run the meters, issue a month's invoice, recompute an issued invoice from the meter log.

The CLI acts without a signed-in user. Issuing an invoice records who did it in the audit log and on the invoice,
and there is no system principal, so ``invoice`` acts as the platform's first active administrator (as
``zhizao devices issue-credential`` does); the audit entry names that administrator.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.cli.common import DatabaseUrl, DataDir, error, guarded, open_database, say, settings_from
from zhizao.fields import MAX_ID
from zhizao.sharing import invoices, meters
from zhizao.sharing.billing_models import InvoiceRow
from zhizao.sharing.invoice_issue import issue_with_metering
from zhizao.sharing.invoice_views import LINE_KIND_LABELS
from zhizao.telemetry.store.factory import open_store

sharing_app = typer.Typer(help="Capacity sharing: metering and invoices.", no_args_is_help=True)

Org = Annotated[str, typer.Option(help="Organisation id or exact name.")]


def _organisation(session: Session, value: str, option: str) -> int:
    text = value.strip()
    if text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        found = session.scalar(select(Organisation.id).where(Organisation.id == int(text)))
    else:
        found = session.scalar(select(Organisation.id).where(Organisation.name == text))
    session.rollback()
    if found is None:
        error(option, f"no organisation {value!r}")
        raise typer.Exit(2)
    return found


def _administrator(session: Session) -> Principal:
    admin = session.scalar(select(User).where(User.role == Role.ADMIN, User.is_active).order_by(User.id))
    if admin is None:
        session.rollback()
        error("admin", "create an administrator first (zhizao users create --role admin)")
        raise typer.Exit(2)
    principal = principal_of(admin)
    session.rollback()
    return principal


def _invoice(session: Session, value: str) -> InvoiceRow:
    """An invoice by its number (ZS0001-202610-0001) or its id."""
    text = value.strip()
    found = session.scalar(select(InvoiceRow).where(InvoiceRow.number == text))
    if found is None and text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID:
        found = session.get(InvoiceRow, int(text))
    if found is None:
        error("invoice", f"no invoice {value!r}")
        raise typer.Exit(2)
    return found


@sharing_app.command("meter")
def meter(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Meter every due booking into its owner's meter log (run it from cron; it writes nothing twice)."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database:
        store = open_store(database)
        try:
            summary = meters.meter_all(database, store, datetime.now(UTC), ZoneInfo(settings.timezone))
        finally:
            store.close()
    say(f"{summary.bookings} bookings metered, {summary.records} meter records written")
    if summary.failed:
        say(f"metering failed for bookings {', '.join(str(b) for b in summary.failed)} (see the log)")
        raise typer.Exit(1)


@sharing_app.command("invoice")
def invoice(
    owner: Org, lessee: Org, period: Annotated[str, typer.Option(help="A month that is over, YYYY-MM (local time).")],
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:  # fmt: skip
    """Meter the owner's bookings, then issue its invoice of PERIOD to the lessee (as the first administrator)."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database:
        with database.session() as session:
            owner_id = _organisation(session, owner, "owner")
            lessee_id = _organisation(session, lessee, "lessee")
            actor = _administrator(session)
        store = open_store(database)
        try:
            zone, now = ZoneInfo(settings.timezone), datetime.now(UTC)
            issued = guarded(
                lambda: issue_with_metering(database, store, actor, owner_id, lessee_id, period, now, zone)
            )
        finally:
            store.close()
        with database.session() as session:
            lines = invoices.lines_of(session, issued.id)
    say(f"issued {issued.number} ({issued.period}) for {issued.total_cny} CNY as {actor.username}")
    for row in lines:
        label = LINE_KIND_LABELS.get(row.kind, row.kind)
        say(f"  booking {row.booking_id}  {label} v{row.tariff_version}  {row.quantity} {row.unit} × {row.unit_rate}"
            f" = {row.amount_cny}")  # fmt: skip


@sharing_app.command("recompute")
def recompute(
    invoice: Annotated[str, typer.Argument(help="The invoice's number or id.")],
    data_dir: DataDir = None, database_url: DatabaseUrl = None,
) -> None:  # fmt: skip
    """Verify the owner's meter log up to the invoice's head, re-price its records and compare each line; exit 0
    when it matches, 1 (with the problems) when it does not — a log or invoice changed after issue."""
    settings = settings_from(data_dir, database_url)
    with open_database(settings) as database, database.session() as session:
        found = _invoice(session, invoice)
        result = invoices.recompute(session, found)
        issued = [(row.booking_id, invoices.line_of(row)) for row in invoices.lines_of(session, found.id)]
    say(f"{found.number} ({found.period}): meter log head #{found.head_seq} {found.head_hash}")
    for index in range(max(len(issued), len(result.lines))):
        mine = issued[index] if index < len(issued) else None
        fresh = result.lines[index] if index < len(result.lines) else None
        either = mine or fresh
        assert either is not None
        booking, kind = either[0], either[1].kind.value
        was = f"{mine[1].quantity} × {mine[1].unit_rate} = {mine[1].amount}" if mine else "—"
        now = f"{fresh[1].quantity} × {fresh[1].unit_rate} = {fresh[1].amount}" if fresh else "—"
        verdict = "ok" if mine is not None and fresh is not None and mine == fresh else "DIFFERS"
        say(f"  line {index + 1} booking {booking} {kind}: issued {was} | recomputed {now} {verdict}")
    say(f"total: issued {found.total_cny} | recomputed {result.total}")
    if result.matches:
        say("matches: every line is reproduced from the verified meter log")
        return
    say("DOES NOT MATCH:")
    for problem in result.problems:
        say(f"  - {problem}")
    raise typer.Exit(1)
