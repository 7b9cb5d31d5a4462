"""The accounts API as a client uses it, and the one error shape for every kind of bad input."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from zhizao.accounts.roles import Role


def _assert_error(response: object, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return body["error"]  # type: ignore[no-any-return]


def test_admin_manages_organisations_and_users(client: TestClient, world: World) -> None:
    admin = bearer(client, world.user(Role.ADMIN))
    created = client.post(
        "/api/organisations",
        json={
            "name": "上海临港汽车零部件有限公司",
            "kind": "enterprise",
            "credit_code": "91350100m000100y43",
            "district": "浦东新区",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    org = created.json()
    assert org["credit_code"] == "91350100M000100Y43"  # normalised to upper case
    user = client.post(
        "/api/users",
        json={
            "username": "zhanggong",
            "display_name": "张工",
            "password": "line-1-engineer",
            "role": "enterprise",
            "organisation_id": org["id"],
            "email": "zhang@example.com",
        },
        headers=admin,
    )
    assert user.status_code == 201, user.text
    assert "password" not in user.json() and "password_hash" not in user.json()
    token = client.post("/api/auth/token", data={"username": "zhanggong", "password": "line-1-engineer"})
    me = client.get("/api/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    assert me.json()["organisation_name"] == "上海临港汽车零部件有限公司"
    listed = client.get("/api/users", params={"organisation_id": org["id"]}, headers=admin).json()
    assert [row["username"] for row in listed["items"]] == ["zhanggong"] and listed["total"] == 1
    audit = client.get("/api/audit", params={"entity_type": "user"}, headers=admin).json()
    assert any(
        entry["action"] == "user.create" and entry["after"]["username"] == "zhanggong" for entry in audit["items"]
    )


def test_enterprise_user_sees_only_its_own_organisation(client: TestClient, world: World) -> None:
    mine = world.user(Role.ENTERPRISE)
    world.user(Role.ENTERPRISE)
    listed = client.get("/api/organisations", headers=bearer(client, mine)).json()
    assert [row["id"] for row in listed["items"]] == [mine.organisation_id]


def test_officer_reads_audit_but_cannot_manage_users(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.get("/api/audit", headers=officer).status_code == 200
    _assert_error(client.get("/api/users", headers=officer), 403, "forbidden")


def test_personal_api_token_works_until_revoked(client: TestClient, world: World) -> None:
    account = world.user(Role.INTEGRATOR)
    headers = bearer(client, account)
    created = client.post("/api/me/tokens", json={"name": "gateway", "expires_in_days": 30}, headers=headers)
    assert created.status_code == 201
    token = created.json()["token"]
    as_token = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/me", headers=as_token).json()["username"] == account.username
    listed = client.get("/api/me/tokens", headers=headers).json()
    assert "token" not in listed[0] and listed[0]["last_used_at"] is not None
    assert client.delete(f"/api/me/tokens/{created.json()['id']}", headers=headers).json()["revoked_at"]
    _assert_error(client.get("/api/me", headers=as_token), 401, "not_authenticated")


def test_password_change_signs_out_old_tokens(client: TestClient, world: World) -> None:
    account = world.user(Role.EXPERT)
    headers = bearer(client, account)
    wrong = client.post(
        "/api/me/password", json={"current_password": "not-it-at-all", "new_password": "new-pass-2020"}, headers=headers
    )
    error = _assert_error(wrong, 422, "invalid_input")
    assert error["fields"] == [{"field": "body.current_password", "message": "is not your current password"}]
    changed = client.post(
        "/api/me/password",
        json={"current_password": account.password, "new_password": "new-pass-2020"},
        headers=headers,
    )
    assert changed.status_code == 204
    _assert_error(client.get("/api/me", headers=headers), 401, "not_authenticated")
    fresh = client.post("/api/auth/token", data={"username": account.username, "password": "new-pass-2020"})
    assert fresh.status_code == 200


def test_wrong_password_then_lockout(client: TestClient, world: World, settings: object) -> None:
    account = world.user(Role.CONSUMER)
    for _ in range(3):  # the settings fixture locks after 3 failures
        response = client.post("/api/auth/token", data={"username": account.username, "password": "nope-nope-nope"})
        _assert_error(response, 401, "not_authenticated")
        assert response.headers["www-authenticate"] == "Bearer"
    locked = client.post("/api/auth/token", data={"username": account.username, "password": account.password})
    _assert_error(locked, 429, "login_throttled")
    assert int(locked.headers["retry-after"]) > 0


def test_bad_input_gets_the_one_error_shape(client: TestClient, world: World) -> None:
    admin = bearer(client, world.user(Role.ADMIN))
    json_headers = {**admin, "Content-Type": "application/json"}
    _assert_error(client.post("/api/users", content=b"{not json", headers=json_headers), 400, "malformed_input")
    missing = _assert_error(client.post("/api/users", json={"username": "x"}, headers=admin), 422, "invalid_input")
    fields = {problem["field"] for problem in missing["fields"]}  # type: ignore[attr-defined]
    assert {"body.username", "body.display_name", "body.password", "body.role"} <= fields
    wrong_type = client.post("/api/organisations", json={"name": "A", "kind": "bakery"}, headers=admin)
    assert _assert_error(wrong_type, 422, "invalid_input")["fields"][0]["field"] == "body.kind"  # type: ignore[index]
    bad_code = client.post(
        "/api/organisations", json={"name": "A", "kind": "enterprise", "credit_code": "123"}, headers=admin
    )
    assert "18 characters" in _assert_error(bad_code, 422, "invalid_input")["message"]  # type: ignore[operator]
    extra = client.post("/api/organisations", json={"name": "A", "kind": "enterprise", "owner": "me"}, headers=admin)
    _assert_error(extra, 422, "invalid_input")
    _assert_error(client.get("/api/users/not-a-number", headers=admin), 422, "invalid_input")
    _assert_error(client.get("/api/users/987654", headers=admin), 404, "not_found")
    _assert_error(client.get("/api/no-such-route", headers=admin), 404, "not_found")
    _assert_error(client.put("/api/users", json={}, headers=admin), 405, "method_not_allowed")
    _assert_error(client.get("/api/users", params={"limit": 100000}, headers=admin), 422, "invalid_input")


def test_an_oversize_body_is_refused_before_it_is_read(client: TestClient, world: World) -> None:
    admin = bearer(client, world.user(Role.ADMIN))
    huge = b'{"name": "' + b"x" * (13 * 1024 * 1024) + b'"}'  # over the 12 MiB default
    response = client.post("/api/organisations", content=huge, headers={**admin, "Content-Type": "application/json"})
    _assert_error(response, 413, "payload_too_large")

    def chunks() -> object:  # no Content-Length: the limit is enforced while the body streams in
        for _ in range(13):
            yield b"x" * (1024 * 1024)

    streamed = client.post("/api/organisations", content=chunks(), headers=admin)  # type: ignore[arg-type]
    _assert_error(streamed, 413, "payload_too_large")


def test_duplicate_organisation_is_a_conflict(client: TestClient, world: World) -> None:
    admin = bearer(client, world.user(Role.ADMIN))
    body = {"name": "上海某电子有限公司", "kind": "enterprise"}
    assert client.post("/api/organisations", json=body, headers=admin).status_code == 201
    _assert_error(client.post("/api/organisations", json=body, headers=admin), 409, "conflict")


def test_membership_rules_name_the_field(client: TestClient, world: World) -> None:
    admin = bearer(client, world.user(Role.ADMIN))
    government = world.organisation()
    response = client.post(
        "/api/users",
        json={
            "username": "wrongfit",
            "display_name": "W",
            "password": "long-enough-pw",
            "role": "officer",
            "organisation_id": government,
        },
        headers=admin,
    )
    error = _assert_error(response, 422, "invalid_input")
    assert error["fields"] == [
        {"field": "body.role", "message": "role officer cannot act for an organisation of kind enterprise"}
    ]


def test_values_a_database_cannot_store_are_named_not_crashed_on(client: TestClient, world: World) -> None:
    admin = bearer(client, world.user(Role.ADMIN))
    too_big = _assert_error(client.get("/api/users/2147483648", headers=admin), 422, "invalid_input")
    assert too_big["fields"][0]["field"] == "path.user_id"  # type: ignore[index]
    query = _assert_error(client.get("/api/audit", params={"actor_id": 2**63}, headers=admin), 422, "invalid_input")
    assert query["fields"][0]["field"] == "query.actor_id"  # type: ignore[index]
    nul = client.post("/api/organisations", json={"name": "上海\u0000公司", "kind": "enterprise"}, headers=admin)
    assert _assert_error(nul, 422, "invalid_input")["fields"] == [
        {"field": "body.name", "message": "must not contain NUL characters"}
    ]
    login = client.post("/api/auth/token", data={"username": "admin\u0000", "password": "whatever-123"})
    _assert_error(login, 401, "not_authenticated")
