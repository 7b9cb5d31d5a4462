"""Sharing through the API and the pages: tenant isolation of bookings, roles, the public listing without login,
the booking form with its quote, "my bookings" and "bookings on my equipment" with confirm."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.sharing.tenant_cases import (
    API,
    TENANT_BODIES,
    TENANT_CASES,
    TENANT_QUERIES,
    at,
    bearer,
    build_offer,
    request,
)
from zhizao.accounts.roles import Role


def test_each_side_sees_only_its_bookings(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    made = request(client, offer, at(2), 4).json()
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"{API}/bookings/{made['id']}", headers=stranger).status_code == 404
    assert client.get(f"{API}/bookings", headers=stranger).json()["total"] == 0
    confirm = {"action": "confirm"}
    assert client.post(f"{API}/bookings/{made['id']}/transitions", json=confirm, headers=stranger).status_code == 404
    mine = client.get(f"{API}/bookings?side=lessee", headers=bearer(client, offer.lessee)).json()
    assert [row["id"] for row in mine["items"]] == [made["id"]]
    theirs = client.get(f"{API}/bookings?side=owner", headers=bearer(client, offer.owner)).json()
    assert [row["id"] for row in theirs["items"]] == [made["id"]]
    assert client.get(f"{API}/bookings?side=owner", headers=bearer(client, offer.lessee)).json()["total"] == 0
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.get(f"{API}/bookings/{made['id']}", headers=officer).status_code == 200
    assert client.post(f"{API}/bookings/{made['id']}/transitions", json=confirm, headers=officer).status_code == 403
    # The lessee may not confirm its own request; the owner may not book its own machine.
    lessee_confirms = client.post(
        f"{API}/bookings/{made['id']}/transitions", json=confirm, headers=bearer(client, offer.lessee)
    )
    assert lessee_confirms.status_code == 403
    own = client.post(
        f"{API}/bookings",
        json={"listing_id": offer.listing_id, "start_at": at(3).isoformat(), "end_at": at(3, 1).isoformat()},
        headers=bearer(client, offer.owner),
    )
    assert own.status_code == 422 and own.json()["error"]["fields"][0]["field"] == "body.listing_id"


def _login(client: TestClient, account: Account, page: str) -> str:
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token is not None
    data = {"username": account.username, "password": account.password, "csrf_token": token.group(1)}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 303
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(page).text)
    assert found is not None
    return found.group(1)


def test_pages_from_public_listing_to_confirmation(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    client.cookies.clear()
    public = client.get("/sharing?material=钛&min_axes=5")
    assert public.status_code == 200 and "五轴加工中心" in public.text
    assert "五轴加工中心" not in client.get("/sharing?material=铸铁").text
    anonymous_detail = client.get(f"/sharing/equipment/{offer.listing_id}")
    assert anonymous_detail.status_code == 200 and 'id="availability"' in anonymous_detail.text
    assert 'id="booking-form"' not in anonymous_detail.text

    detail = f"/sharing/equipment/{offer.listing_id}"
    csrf = _login(client, offer.lessee, detail)
    start, end = at(2).astimezone().strftime("%Y-%m-%d %H:%M%z"), at(2, 3).astimezone().strftime("%Y-%m-%d %H:%M%z")
    form = {"start_at": start, "end_at": end, "csrf_token": csrf}
    quoted = client.post(detail, data={**form, "intent": "quote"})
    assert quoted.status_code == 200 and "360.00" in quoted.text  # 3 h × 120 CNY
    past = client.post(detail, data={**form, "start_at": "2020-01-01 08:00", "intent": "quote"})
    assert past.status_code == 422
    booked = client.post(detail, data={**form, "intent": "request"}, follow_redirects=False)
    assert booked.status_code == 303 and booked.headers["location"] == "/sharing/bookings/mine"
    mine = client.get("/sharing/bookings/mine")
    assert "360.00" in mine.text
    booking_id = int(re.search(r'id="booking-(\d+)"', mine.text).group(1))  # type: ignore[union-attr]

    csrf = _login(client, offer.owner, "/sharing/bookings/owner")
    done = client.post(
        f"/sharing/bookings/{booking_id}/action",
        data={"action": "confirm", "back": "owner", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert f"SH-{booking_id}" in client.get("/sharing/bookings/owner").text


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)  # the route walk runs both backends
@pytest.mark.parametrize("route", sorted(TENANT_CASES), ids=" ".join)
def test_tenant_cases_give_404(client: TestClient, world: World, route: tuple[str, str]) -> None:
    """The cases the route walk merges: another enterprise gets 404 on each sharing route with an id."""
    method, path = route
    caller, params = TENANT_CASES[route](world, client)
    url = re.sub(r"{(\w+)}", lambda match: str(params[match.group(1)]), path)
    body = TENANT_BODIES.get(route, {}) if method in ("POST", "PATCH") else None
    response = client.request(
        method, url, params=TENANT_QUERIES.get(route, {}), json=body, headers=bearer(client, caller)
    )
    assert response.status_code == 404, response.text
