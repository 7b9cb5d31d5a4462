"""End-to-end: a real Chromium signs in through the forms, follows navigation, switches language, creates
an organisation and a user, and is sent to sign-in where it must be."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from zhizao.accounts.demo import DEMO_USERS, DemoUser
from zhizao.accounts.roles import Role

from .live import LiveServer

ADMIN_ONLY = ("/admin/users", "/admin/organisations")
AUDIT = "/admin/audit"
SCREENSHOT = "/tmp/zhizao-admin-home.png"  # noqa: S108 - a fixed place for humans to look at; not asserted


def path_of(page: Any) -> str:
    parts = urlsplit(page.url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def url_is(server: LiveServer, path: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(server.url(path))}$")


def sign_in(page: Any, username: str, password: str) -> None:
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")


def sign_out(page: Any) -> None:
    page.click("form[action='/logout'] button[type=submit]")


def nav_link(page: Any, href: str) -> Any:
    return page.locator(f"nav.mainnav a[data-nav='{href}']")


def admin() -> DemoUser:
    return next(user for user in DEMO_USERS if user.role is Role.ADMIN)


@pytest.mark.browser
@pytest.mark.parametrize("user", DEMO_USERS, ids=lambda user: user.username)
def test_each_role_signs_in_sees_its_navigation_and_signs_out(
    page: Any, live_server: LiveServer, user: DemoUser
) -> None:
    sign_in(page, user.username, user.password)
    # The programme office lands on its cockpit; everyone else on the home page.
    expect(page).to_have_url(url_is(live_server, "/programme/cockpit" if user.role is Role.OFFICER else "/"))
    expect(page.locator("nav.mainnav")).to_be_visible()
    expect(nav_link(page, "/")).to_have_count(1)

    expected = set()
    if user.role is Role.ADMIN:
        expected = {*ADMIN_ONLY, AUDIT}
    elif user.role is Role.OFFICER:
        expected = {AUDIT}
    for href in (*ADMIN_ONLY, AUDIT):
        expect(nav_link(page, href)).to_have_count(1 if href in expected else 0)

    if user.role is Role.ADMIN:
        page.screenshot(path=SCREENSHOT, full_page=True)

    sign_out(page)
    expect(page).to_have_url(url_is(live_server, "/login"))
    expect(page.locator("nav.mainnav")).to_have_count(0)
    # Signed out for real: the home page sends us back to sign-in.
    page.goto("/")
    expect(page).to_have_url(url_is(live_server, "/login?next=/"))


@pytest.mark.browser
def test_wrong_password_shows_an_error_and_stays_on_login(page: Any, live_server: LiveServer) -> None:
    expert = next(user for user in DEMO_USERS if user.role is Role.EXPERT)
    sign_in(page, expert.username, expert.password + "-wrong")
    expect(page.locator("#login-error")).to_be_visible()
    assert urlsplit(page.url).path == "/login"
    expect(page.locator("nav.mainnav")).to_have_count(0)


@pytest.mark.browser
def test_language_switch_sets_and_keeps_the_language(page: Any, live_server: LiveServer) -> None:
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

    page.click("a[hreflang='en']")
    expect(page).to_have_url(url_is(live_server, "/login"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("a[hreflang='zh_CN']")).to_have_count(1)

    # The choice is a cookie: it holds on the next pages, signed in or not.
    user = admin()
    sign_in(page, user.username, user.password)
    # The programme office lands on its cockpit; everyone else on the home page.
    expect(page).to_have_url(url_is(live_server, "/programme/cockpit" if user.role is Role.OFFICER else "/"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/admin/users")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    # And back again.
    page.click("a[hreflang='zh_CN']")
    expect(page).to_have_url(url_is(live_server, "/admin/users"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


@pytest.mark.browser
def test_admin_creates_an_organisation_and_a_user_who_can_sign_in(page: Any, live_server: LiveServer) -> None:
    user = admin()
    sign_in(page, user.username, user.password)
    # The programme office lands on its cockpit; everyone else on the home page.
    expect(page).to_have_url(url_is(live_server, "/programme/cockpit" if user.role is Role.OFFICER else "/"))

    org_name = "上海松江浏览器测试精密机械有限公司"
    page.goto("/admin/organisations")
    form = page.locator("form#new-organisation")
    form.locator("input[name=name]").fill(org_name)
    form.locator("select[name=kind]").select_option("enterprise")
    form.locator("input[name=credit_code]").fill("")
    form.locator("select[name=district]").select_option("松江区")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url('/admin/organisations/'))}\d+$"))
    organisation_id = urlsplit(page.url).path.rsplit("/", 1)[1]
    expect(page.locator("main")).to_contain_text(org_name)

    username, password = "browser.enterprise", "Browser-Test-pass-42"
    page.goto("/admin/users")
    form = page.locator("form#new-user")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=display_name]").fill("周工（浏览器测试）")
    form.locator("input[name=password]").fill(password)
    form.locator("input[name=email]").fill("browser.enterprise@example.com")
    form.locator("select[name=role]").select_option("enterprise")
    form.locator("select[name=organisation_id]").select_option(organisation_id)
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url('/admin/users/'))}\d+\?created=1$"))
    expect(page.locator("main")).to_contain_text(username)

    sign_out(page)
    expect(page).to_have_url(url_is(live_server, "/login"))
    sign_in(page, username, password)
    expect(page).to_have_url(url_is(live_server, "/"))
    expect(page.locator("main")).to_contain_text(org_name)
    expect(nav_link(page, "/")).to_have_count(1)
    for href in (*ADMIN_ONLY, AUDIT):
        expect(nav_link(page, href)).to_have_count(0)


@pytest.mark.browser
def test_anonymous_admin_page_redirects_to_login(page: Any, live_server: LiveServer) -> None:
    page.goto("/admin/users")
    expect(page).to_have_url(url_is(live_server, "/login?next=/admin/users"))
    assert path_of(page) == "/login?next=/admin/users"
    expect(page.locator("input[name=next]")).to_have_value("/admin/users")


@pytest.mark.browser
def test_enterprise_sees_its_plant_and_the_equipment_page_goes_live(page: Any, live_server: LiveServer) -> None:
    page.goto(live_server.url("/login"))
    sign_in(page, "enterprise", "zhizao-enterprise-demo")
    page.goto(live_server.url("/assets"))
    expect(page.locator("#robot-count")).to_have_text("4")
    page.get_by_role("link", name="缸体加工线").click()
    expect(page.locator("#line-states .tile")).to_have_count(7)  # six machines and the AI inspection station
    page.locator("#line-states .tile").first.click()
    # The page opens a server-sent-events stream; its first event flips the status from 连接中… to 实时.
    expect(page.locator("#live-status")).to_have_text("实时", timeout=10_000)
    expect(page.locator("#history canvas")).to_have_count(1)


@pytest.mark.browser
def test_the_oee_dashboard_draws_its_charts_and_drills_down(page: Any, live_server: LiveServer) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(live_server.url("/login"))
    sign_in(page, "enterprise", "zhizao-enterprise-demo")
    yesterday = (datetime.now(ZoneInfo("Asia/Shanghai")).date() - timedelta(days=1)).isoformat()
    page.goto(live_server.url(f"/production/oee?start={yesterday}&end={yesterday}"))
    expect(page.locator("#oee-value")).to_have_text(re.compile(r"^\d+\.\d %$"))
    for chart in ("#trend-chart", "#waterfall-chart", "#pareto-chart"):
        expect(page.locator(f"{chart} canvas")).to_have_count(1)
    # The two lines and the connected cell (other browser tests may add lines of their own to the demo enterprise).
    rows = page.locator("#drill-down tbody tr")
    for line in ("缸体加工线", "总装线", "柔性加工单元"):
        expect(rows.filter(has_text=line)).to_have_count(1)
    rows.filter(has_text="缸体加工线").locator("a").first.click()
    expect(page.locator("#drill-down tbody tr")).to_have_count(7)  # the line's six machines and inspection station
    assert errors == []
