"""End-to-end, in a real Chromium: a lessee enterprise finds a machine in the shared-equipment catalogue, opens it and
books a window; the owner confirms; the owner issues the month's invoice; the lessee opens it, reads its lines and
downloads the PDF.

What no page makes is prepared on the live server's database with the billing tests' builders
(``tests.sharing.billing_world``): the owner's CNC with its October 2026 tariff versions, both enterprises and their
users, and an availability window from tomorrow. Then two steps cannot be clicked, and the test makes them itself:
a booking can only be requested for the future, while an invoice covers only a month that is over — so after the
owner confirms, the test moves the confirmed booking into October 2026 (6 Oct 08:00–10:00, started and completed)
and writes what the machine would have reported during it (the state ledger, the job id, spindle speed and load).
Everything else — searching, booking, confirming, issuing (which runs the meters), reading, downloading — is
clicked through.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
from playwright.sync_api import expect

from tests.conftest import World
from tests.sharing.billing_world import (
    PERIOD,
    ZONE,
    Leasing,
    add_ledger,
    build_leasing,
    local,
    principal_of_account,
    report_job,
    spindle,
    us,
    write,
)
from zhizao.db.engine import Database
from zhizao.sharing import catalogue
from zhizao.sharing.billing_models import InvoiceRow
from zhizao.sharing.models import Booking, BookingStatus, SharedEquipment
from zhizao.sharing.schemas import WindowCreate
from zhizao.telemetry.store.factory import open_store

from .conftest import LiveData
from .test_programme_journey import sign_in, sign_out

TITLE = "旅程共享五轴加工中心 JX-5AX"  # unique in the demo's catalogue
SCREENSHOT = "/tmp/sharing-journey.png"  # noqa: S108 - a fixed place for humans to look at; not asserted


class JourneyWorld(World):
    """The billing builders' world, with names of its own: the live database is shared with other browser tests'
    worlds, whose organisation and user names count from 1."""

    def __init__(self, database: Database) -> None:
        super().__init__(database)
        self._count = 7_000


def _offer(live: LiveData) -> Leasing:
    """The owner's CNC, offered under a unique title, available from tomorrow for a week."""
    leasing = build_leasing(JourneyWorld(live.database))
    with live.database.session() as session, session.begin():
        listing = session.get(SharedEquipment, leasing.listing_id)
        assert listing is not None
        listing.title = TITLE
    tomorrow = datetime.now(ZONE).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    window = WindowCreate(start_at=tomorrow, end_at=tomorrow + timedelta(days=7))
    with live.database.session() as session:
        catalogue.add_window(session, principal_of_account(leasing.owner), leasing.listing_id, window)
    return leasing


def _into_october(live: LiveData, leasing: Leasing, booking_id: int) -> None:
    """The confirmed booking becomes a job done on 6 Oct 2026 08:00–10:00, with the machine's data of it."""
    with live.database.session() as session, session.begin():
        booking = session.get(Booking, booking_id)
        assert booking is not None and booking.status is BookingStatus.CONFIRMED and booking.job_id
        booking.start_at, booking.end_at = local(6, 8), local(6, 10)
        booking.started_at, booking.completed_at = local(6, 8), local(6, 10)
        booking.status = BookingStatus.COMPLETED
    add_ledger(JourneyWorld(live.database), leasing, [(us(6, 8), us(6, 10), 3, 3)], built_until_us=us(31, 0))
    store = open_store(live.database)
    try:
        report_job(store, leasing, booking_id, us(6, 8), us(6, 10))
        write(store, spindle(leasing, us(6, 8), us(6, 10), 8000.0, 80.0))
    finally:
        store.close()


def _pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text


@pytest.mark.browser
def test_a_lessee_books_a_machine_and_pays_by_the_metered_invoice(page: Any, live_data: LiveData) -> None:
    began = time.monotonic()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    leasing = _offer(live_data)

    # The lessee searches the catalogue, opens the machine and books two hours the day after tomorrow.
    sign_in(page, leasing.lessee.username, leasing.lessee.password)
    page.goto("/sharing")
    page.fill("#listing-filters input[name=q]", "旅程共享")
    page.click("#listing-filters button[type=submit]")
    results = page.locator("#listings tbody tr")
    expect(results).to_have_count(1)
    results.locator(f"a[href='/sharing/equipment/{leasing.listing_id}']").click()
    page.wait_for_url(f"**/sharing/equipment/{leasing.listing_id}")
    day = (datetime.now(ZONE) + timedelta(days=2)).strftime("%Y-%m-%d")
    page.fill("#booking-form input[name=start_at]", f"{day} 09:00")
    page.fill("#booking-form input[name=end_at]", f"{day} 11:00")
    page.click("#booking-form button[value=quote]")
    expect(page.locator("#quote")).to_contain_text("264.00")  # 2 h at the current version's 132 CNY/h
    page.click("#booking-form button[value=request]")
    page.wait_for_url("**/sharing/bookings/mine")
    row = page.locator("#bookings tbody tr[id^=booking-]")
    expect(row).to_have_count(1)
    booking_id = int(str(row.get_attribute("id")).removeprefix("booking-"))
    sign_out(page)

    # The owner confirms it.
    sign_in(page, leasing.owner.username, leasing.owner.password)
    page.goto("/sharing/bookings/owner")
    page.click(f"#booking-{booking_id} form:has(input[name=action][value=confirm]) button[type=submit]")
    page.wait_for_url("**/sharing/bookings/owner")
    expect(page.locator(f"#booking-{booking_id}")).to_contain_text(f"SH-{booking_id}")

    # (Not clickable: the booking is moved into October 2026 and its machine data written — see the module.)
    _into_october(live_data, leasing, booking_id)

    # The owner issues October's invoice to the lessee: the meters run, then the month is priced.
    page.goto("/sharing/invoices")
    page.click("#issue-invoice")
    page.wait_for_url("**/sharing/invoices/new")
    page.select_option("#issue-form select[name=lessee_id]", str(leasing.lessee_id))
    page.fill("#issue-form input[name=period]", PERIOD)
    page.click("#issue-form button[type=submit]")
    page.wait_for_url("**/sharing/invoices/*")
    invoice_id = int(page.url.rsplit("/", 1)[1])
    with live_data.database.session() as session:
        invoice = session.get(InvoiceRow, invoice_id)
        assert invoice is not None and invoice.lessee_id == leasing.lessee_id and invoice.period == PERIOD
    expect(page.locator("#recomputation")).to_have_attribute("data-matches", "true")
    sign_out(page)

    # The lessee finds it in the navigation, reads its lines and downloads the PDF.
    sign_in(page, leasing.lessee.username, leasing.lessee.password)
    page.click("a[data-nav='/sharing/invoices']")
    page.wait_for_url("**/sharing/invoices")
    page.click(f"#invoice-{invoice_id} a[href='/sharing/invoices/{invoice_id}']")
    page.wait_for_url(f"**/sharing/invoices/{invoice_id}")
    expect(page.locator("#invoice-number")).to_have_text(invoice.number)
    expect(page.locator("#invoice-total")).to_have_text(str(invoice.total_cny))
    lines = page.locator(f"#booking-{booking_id} tr[id^=line-]")
    expect(lines).to_have_count(2)  # machine time and spindle wear
    time_line = page.locator(f"#booking-{booking_id} tr[data-kind=time]")
    expect(time_line.locator(".line-amount")).to_have_text("240.00")  # 2 h at v1's 120 CNY/h
    expect(time_line).to_contain_text("10-06 08:00:00–10:00:00")  # the meter interval, local time
    expect(page.locator(f"#booking-{booking_id} tr[data-kind=wear]")).to_have_count(1)
    assert Decimal(str(invoice.total_cny)) > Decimal("240.00")
    with page.expect_download() as downloading:
        page.click("#download-pdf")
    download = downloading.value
    assert download.suggested_filename == f"{invoice.number}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = _pdf_text(pdf)
    assert invoice.number in text and "设备共享账单" in text and TITLE in text
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert errors == []
    assert time.monotonic() - began < 60
    assert datetime.now(UTC) > local(31, 23)  # the premise: October 2026 is over
