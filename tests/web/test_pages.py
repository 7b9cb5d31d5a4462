"""The browser-facing shell: sign-in with CSRF and safe cookies, role-gated pages, languages, health, metrics."""

from __future__ import annotations

import json
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import Account, World
from zhizao.accounts.roles import Role


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _sign_in(client: TestClient, account: Account, next_path: str = "/") -> None:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": account.username,
            "password": account.password,
            "next": next_path,
            "csrf_token": _csrf(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def test_sign_in_sets_a_safe_session_cookie_and_lands_on_next(client: TestClient, world: World) -> None:
    account = world.user(Role.ADMIN)
    form = client.get("/login")
    response = client.post(
        "/login",
        data={
            "username": account.username,
            "password": account.password,
            "next": "/admin/users",
            "csrf_token": _csrf(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/admin/users"
    cookie = response.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert client.get("/admin/users").status_code == 200


def test_sign_in_without_csrf_token_is_refused(client: TestClient, world: World) -> None:
    account = world.user(Role.ADMIN)
    client.get("/login")  # the session now holds a token the attacker's form cannot know
    forged = client.post("/login", data={"username": account.username, "password": account.password})
    assert forged.status_code == 403


def test_wrong_password_shows_the_form_again(client: TestClient, world: World) -> None:
    account = world.user(Role.EXPERT)
    form = client.get("/login")
    response = client.post(
        "/login", data={"username": account.username, "password": "wrong-wrong-wrong", "csrf_token": _csrf(form.text)}
    )
    assert response.status_code == 401
    assert "用户名或密码错误" in response.text


def test_next_never_redirects_off_site(client: TestClient, world: World) -> None:
    account = world.user(Role.OFFICER)
    form = client.get("/login")
    for target in ("//evil.example.com/x", "https://evil.example.com", "/\\evil.example.com"):
        response = client.post(
            "/login",
            data={
                "username": account.username,
                "password": account.password,
                "next": target,
                "csrf_token": _csrf(form.text if target.startswith("//") else client.get("/login").text),
            },
            follow_redirects=False,
        )
        assert response.headers["location"] == "/", target


def test_anonymous_page_visit_redirects_to_sign_in(client: TestClient) -> None:
    response = client.get("/admin/users", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/login?next=/admin/users"


def test_navigation_and_pages_follow_the_role(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.OFFICER))
    home = client.get("/")
    assert 'data-nav="/admin/audit"' in home.text and 'data-nav="/admin/users"' not in home.text
    forbidden = client.get("/admin/users")
    assert forbidden.status_code == 403 and "您无权访问此页面" in forbidden.text
    assert client.get("/admin/audit").status_code == 200


def test_cookie_session_needs_csrf_header_for_api_writes(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.ENTERPRISE))
    refused = client.post("/api/me/tokens", json={"name": "from-browser"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "csrf_failed"
    token = _csrf(client.get("/account").text)
    accepted = client.post("/api/me/tokens", json={"name": "from-browser"}, headers={"X-CSRF-Token": token})
    assert accepted.status_code == 201
    assert client.get("/api/me").status_code == 200  # reads need no token


def test_admin_creates_an_organisation_through_the_form(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.ADMIN))
    page = client.get("/admin/organisations")
    bad = client.post(
        "/admin/organisations",
        data={
            "name": "上海某新材料有限公司",
            "kind": "enterprise",
            "credit_code": "91350100M000100Y44",
            "csrf_token": _csrf(page.text),
        },
    )
    assert bad.status_code == 422 and "check character" in bad.text
    good = client.post(
        "/admin/organisations",
        data={
            "name": "上海某新材料有限公司",
            "kind": "enterprise",
            "credit_code": "91350100M000100Y43",
            "district": "金山区",
            "csrf_token": _csrf(page.text),
        },
        follow_redirects=False,
    )
    assert good.status_code == 303
    detail = client.get(good.headers["location"])
    assert "上海某新材料有限公司" in detail.text and "金山区" in detail.text


def test_sign_out_ends_the_session(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.PLATFORM))
    home = client.get("/")
    assert client.post("/logout", follow_redirects=False).status_code == 403  # no token: not us
    response = client.post("/logout", data={"csrf_token": _csrf(home.text)}, follow_redirects=False)
    assert response.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_password_change_signs_the_browser_out(client: TestClient, world: World) -> None:
    account = world.user(Role.INTEGRATOR)
    _sign_in(client, account)
    page = client.get("/account")
    response = client.post(
        "/account/password",
        data={"current_password": account.password, "new_password": "a-new-password-1", "csrf_token": _csrf(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert client.get("/account", follow_redirects=False).status_code == 303


def test_language_switch_is_remembered(client: TestClient) -> None:
    assert "登录" in client.get("/login").text
    switched = client.get("/lang/en", params={"next": "/login"}, follow_redirects=False)
    assert switched.headers["location"] == "/login"
    english = client.get("/login")
    assert 'lang="en"' in english.text and "Sign in" in english.text and "登录" not in english.text
    assert (
        client.get("/lang/xx", params={"next": "//evil.example.com"}, follow_redirects=False).headers["location"] == "/"
    )


def test_unknown_page_is_a_friendly_404(client: TestClient) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404 and "页面不存在" in response.text


def test_health_and_metrics(client: TestClient, world: World) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok"}
    admin = world.user(Role.ADMIN)
    token = client.post("/api/auth/token", data={"username": admin.username, "password": admin.password}).json()
    client.get(f"/api/users/{admin.user_id}", headers={"Authorization": f"Bearer {token['access_token']}"})
    metrics = client.get("/metrics").text
    assert 'route="/api/users/{user_id}"' in metrics
    assert "zhizao_http_request_duration_seconds_bucket" in metrics


def test_admin_home_charts_active_users_by_role(client: TestClient, world: World) -> None:
    admin = world.user(Role.ADMIN)
    world.user(Role.ENTERPRISE)
    world.user(Role.ENTERPRISE)
    _sign_in(client, admin)
    match = re.search(r'id="users-by-role-data">(.*?)</script>', client.get("/").text)
    assert match
    data = json.loads(match.group(1))
    counts = dict(zip(data["labels"], data["values"], strict=True))
    assert counts["企业用户"] == 2 and counts["平台管理员"] == 1
    assert "/static/vendor/echarts.min.js" in client.get("/").text
    assert client.get("/static/vendor/echarts.min.js").status_code == 200


def test_unexpected_error_is_a_500_in_the_one_shape_and_a_friendly_page(app: FastAPI) -> None:
    def explode() -> None:
        raise RuntimeError("boom: internal detail that must not leak")

    app.add_api_route("/api/explode", explode)
    app.add_api_route("/explode", explode)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as client:
        api = client.get("/api/explode")
        page = client.get("/explode")
    assert api.status_code == 500 and api.json()["error"]["code"] == "internal_error"
    assert "boom" not in api.text
    assert page.status_code == 500 and "boom" not in page.text and "<html" in page.text


def test_the_programme_office_lands_on_its_cockpit(client: TestClient, world: World) -> None:
    _sign_in(client, world.user(Role.OFFICER))
    landing = client.get("/", follow_redirects=False)
    assert landing.status_code == 303 and landing.headers["location"] == "/programme/cockpit"
    _sign_in(client, world.user(Role.ENTERPRISE))
    assert client.get("/", follow_redirects=False).status_code == 200
