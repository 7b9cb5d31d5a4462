"""Issuing an invoice from the API, the pages or the CLI: bring the owner's meter log up to date, then issue.

``invoices.issue_invoice`` prices what the log holds; the meters run first so that an owner who issues on the 1st
does not have to wait for the next scheduled metering run. Cheap checks come first (the month, the caller's right to
bill for the owner, a lessee with bookings), so that a mistake never starts a metering run.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from zhizao.accounts.principal import Principal
from zhizao.db.engine import Database
from zhizao.errors import InputError, PermissionDenied
from zhizao.sharing import invoices, meters
from zhizao.sharing.billing_models import InvoiceRow
from zhizao.sharing.catalogue import require_owner_role
from zhizao.sharing.invoice_views import has_bookings
from zhizao.telemetry.store.base import TelemetryStore


def owner_of(actor: Principal, owner_id: int | None) -> int:
    """The owner an invoice is issued for: the caller's enterprise, unless an administrator names one."""
    if owner_id is not None:
        return owner_id
    if actor.sees_all_tenants or actor.organisation_id is None:
        raise InputError.for_field("body.owner_id", "an administrator names the owner the invoice is issued for")
    return actor.organisation_id


def issue_with_metering(
    database: Database, store: TelemetryStore, actor: Principal, owner_id: int, lessee_id: int, period: str,
    now: datetime, zone: ZoneInfo,
) -> InvoiceRow:  # fmt: skip
    """Meter the owner's due bookings, then issue the owner's invoice of ``period`` to the lessee."""
    require_owner_role(actor)
    if not actor.may_access_tenant(owner_id):
        raise PermissionDenied("only the owner issues its invoices")
    invoices.check_period(period, now, zone)
    with database.session() as session:
        known = has_bookings(session, owner_id, lessee_id)
    if not known:
        raise InputError.for_field("body.lessee_id", f"organisation {lessee_id} has no bookings of this owner")
    meters.meter_all(database, store, now, zone, owner_id=owner_id)
    with database.session() as session:
        return invoices.issue_invoice(session, actor, owner_id, lessee_id, period, now, zone)
