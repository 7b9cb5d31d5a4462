"""The capacity-sharing demo: the maker's fleet, its month of machine data, the meter log and last month's invoices —
all made through the real pipeline (telemetry → ledger → meters → invoices), so they recompute."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from zhizao.accounts import demo as accounts_demo
from zhizao.db.engine import Database
from zhizao.demo import SEEDERS
from zhizao.demo import c2m as c2m_demo
from zhizao.demo import sharing as sharing_demo
from zhizao.demo import vision as vision_demo
from zhizao.programme.models_directory import PlatformClient
from zhizao.settings import Settings
from zhizao.sharing import components, invoices
from zhizao.sharing.billing_models import DisputeRow, InvoiceLineRow, InvoiceRow, MeterRecordRow
from zhizao.sharing.models import ComponentReplacement, SharedEquipment


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def seeded(database: Database, settings: Settings) -> Iterator[Database]:
    accounts_demo.seed(database, settings)
    sharing_demo.seed(database, settings)
    yield database


def test_the_seeder_runs_last() -> None:
    """Last but for the C2M and vision demos, which need nothing of it."""
    others = (c2m_demo.seed, vision_demo.seed)
    assert [seeder for seeder in SEEDERS if seeder not in others][-1] is sharing_demo.seed


@pytest.mark.slow
def test_last_month_is_invoiced_from_the_fleet_data_and_recomputes(seeded: Database) -> None:
    with seeded.session() as session:
        issued = session.scalars(select(InvoiceRow).order_by(InvoiceRow.id)).all()
        assert len(issued) == len(sharing_demo.SMES)
        for invoice in issued:
            assert invoice.total_cny > 0
            assert invoices.recompute(session, invoice).matches
        kinds = set(session.scalars(select(InvoiceLineRow.kind)))
        assert {"time", "wear", "setup", "wear_not_metered", "cancellation", "no_show"} <= kinds
        time_only = session.scalars(select(InvoiceLineRow.note).where(InvoiceLineRow.kind == "wear_not_metered")).all()
        assert all(note and "billed by time only" in note for note in time_only)
        assert session.scalar(select(func.count()).select_from(DisputeRow)) == 1
        assert session.scalar(select(func.count()).select_from(MeterRecordRow)) > 100
        # the small firms served count towards the programme's platform target
        assert session.scalar(select(func.count()).select_from(PlatformClient)) == len(sharing_demo.SMES)
        # the renewed spindle counts only the wear metered since its replacement (less than all of it)
        [renewed] = session.scalars(select(ComponentReplacement)).all()
        listing = session.get(SharedEquipment, renewed.listing_id)
        assert listing is not None
        [life] = components.lives(session, [listing])[listing.id]
        lifetime = sum(
            Decimal(quantity)
            for quantity in session.scalars(
                select(MeterRecordRow.quantity).where(
                    MeterRecordRow.listing_id == listing.id, MeterRecordRow.kind == "wear"
                )
            )
        )
        assert life.replaced_at == renewed.replaced_at and 0 < life.consumed < lifetime
