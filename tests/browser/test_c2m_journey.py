"""End-to-end, in a real Chromium: a consumer configures the demo vehicle (choosing rear-wheel drive greys out the
tow hitch, with its reason), completes it at the lowest price, orders it, and follows the order live — scheduled, in
production at a station, quality checked, shipped — on its page, which the server pushes the timeline to.

Production is what no page makes: the test runs the maker's planner (``c2m.planning.plan``) and moves production on
with an explicit clock (``c2m.progress.advance``), as the C2M services do every minute on the real clock — first to
a minute into the order's first operation, then to days later. Everything the consumer does is clicked through.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from zhizao.accounts.demo import DEMO_USERS
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import Role
from zhizao.c2m import planning, progress
from zhizao.c2m.models import ConsumerOrder, OrderOperation, OrderStatus
from zhizao.demo import c2m as c2m_demo

from .conftest import LiveData
from .test_programme_journey import sign_in

SCREENSHOT = "/tmp/c2m-journey.png"  # noqa: S108 - a fixed place for humans to look at; not asserted
LIVE_TIMEOUT_MS = 20_000  # the order page's stream looks every two seconds


def _maker_id(live: LiveData) -> int:
    with live.database.session() as session:
        found = session.scalar(select(Organisation.id).where(Organisation.name == c2m_demo.MAKER))
    assert isinstance(found, int)
    return found


def _first_operation(live: LiveData, number: str) -> OrderOperation:
    with live.database.session() as session:
        order = session.scalar(select(ConsumerOrder).where(ConsumerOrder.number == number))
        assert order is not None and order.status is OrderStatus.SCHEDULED
        first = session.scalars(
            select(OrderOperation).where(OrderOperation.order_id == order.id).order_by(OrderOperation.seq)
        ).first()
        assert first is not None and first.planned_start is not None
        session.expunge(first)
    return first


@pytest.mark.browser
def test_a_consumer_configures_orders_and_follows_a_vehicle_to_shipped(page: Any, live_data: LiveData) -> None:
    began = time.monotonic()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    consumer = next(user for user in DEMO_USERS if user.role is Role.CONSUMER)
    sign_in(page, consumer.username, consumer.password)

    # The consumer opens the customisable SUV and chooses rear-wheel drive: the tow hitch greys out, saying why.
    page.goto("/c2m")
    page.click("#models a[href='/c2m/models/ZX-S7']")
    page.wait_for_url("**/c2m/models/ZX-S7")
    tow = page.locator("#option-TOW_HITCH")
    expect(tow).to_have_attribute("data-state", "selectable")
    page.click("#option-DRIVE_RWD")
    expect(page.locator("#option-TOW_HITCH")).to_have_attribute("data-state", "unavailable")
    expect(page.locator("#option-TOW_HITCH .reason")).to_have_text("拖钩需要双电机四驱")
    expect(page.locator("#option-TOW_HITCH input")).to_be_disabled()
    expect(page.locator("#option-DRIVE_RWD input")).to_be_checked()

    # A red car, completed at the lowest price, ordered for delivery to Zhejiang.
    page.click("#option-PAINT_RED")
    expect(page.locator("#option-PAINT_RED input")).to_be_checked()
    page.click("#complete")
    expect(page.locator("#order-form")).to_be_visible()
    expect(page.locator("#option-DRIVE_RWD input")).to_be_checked()
    price = page.locator("#price").inner_text()
    page.select_option("#order-form select[name=region]", "zhejiang")
    page.click("#place-order")
    page.wait_for_url(re.compile(r"/c2m/orders/C2M-\d{8}-\d{6}$"))
    number = page.url.rsplit("/", 1)[1]
    expect(page.locator("#order-status strong")).to_have_attribute("data-status", "confirmed")
    expect(page.locator("#order-price")).to_have_text(price)

    # (Not clickable: production.) The maker's planner schedules it; the page follows without a reload.
    now = datetime.now(UTC)
    maker_id = _maker_id(live_data)
    outcome = planning.plan(live_data.database, maker_id, now, reason="browser journey", time_limit_s=2)
    assert outcome.run_id is not None, outcome
    expect(page.locator("#order-status strong")).to_have_attribute("data-status", "scheduled", timeout=LIVE_TIMEOUT_MS)

    # A minute into its first operation it is in production at that work centre's station.
    first = _first_operation(live_data, number)
    assert first.planned_start is not None
    progress.advance(live_data.database, maker_id, first.planned_start + timedelta(minutes=1))
    status = page.locator("#order-status strong")
    expect(status).to_have_attribute("data-status", "in_production", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#order-status")).to_contain_text("冲压线")

    # Days later every operation has run: quality checked, then shipped.
    progress.advance(live_data.database, maker_id, now + timedelta(days=5))
    expect(status).to_have_attribute("data-status", "shipped", timeout=LIVE_TIMEOUT_MS)
    for step in ("configured", "confirmed", "scheduled", "in_production", "quality_checked", "shipped"):
        expect(page.locator(f"#timeline li[data-status={step}]")).to_have_class(re.compile("done|current"))
    page.goto("/c2m/orders")
    expect(page.locator(f"#orders a[href='/c2m/orders/{number}']")).to_be_visible()
    page.screenshot(path=SCREENSHOT, full_page=True)
    assert errors == []
    assert time.monotonic() - began < 90
