"""The catalogue: offering equipment with a tariff, tariff validation by field, versions, search filters,
availability with free spans, and who sees an unpublished listing."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.sharing.tenant_cases import API, RATES, at, bearer, build_offer, request
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role


def test_a_tariff_with_negative_rates_is_refused_by_field(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    owner = bearer(client, offer.owner)
    bad = {"hourly_rate": "-5", "setup_rate": "10.001", "wear_rates": {"spindle": "-0.1"}}
    response = client.post(f"{API}/listings/{offer.listing_id}/tariffs", json=bad, headers=owner)
    assert response.status_code == 422
    fields = {problem["field"] for problem in response.json()["error"]["fields"]}
    assert fields == {"body.hourly_rate", "body.setup_rate", "body.wear_rates.spindle"}
    missing = client.post(f"{API}/listings/{offer.listing_id}/tariffs", json={"setup_rate": "1"}, headers=owner)
    assert missing.json()["error"]["fields"][0]["field"] == "body.hourly_rate"
    bands = {"hourly_rate": "1", "no_show_share": "1.5", "cancellation": [{"min_notice_h": "24", "share": "0.5"}]}
    response = client.post(f"{API}/listings/{offer.listing_id}/tariffs", json=bands, headers=owner)
    assert {p["field"] for p in response.json()["error"]["fields"]} == {"body.no_show_share", "body.cancellation"}


def test_tariff_versions_and_quotes_follow_the_latest(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    owner = bearer(client, offer.owner)
    old = request(client, offer, at(2), 2).json()
    newer = client.post(
        f"{API}/listings/{offer.listing_id}/tariffs", json={**RATES, "hourly_rate": "150"}, headers=owner
    )
    assert newer.status_code == 201 and newer.json()["version"] == 2
    assert newer.json()["rates"]["hourly_rate"] == "150.00"  # stored as a string, never a float
    params = {"start_at": at(3).isoformat(), "end_at": at(3, 3).isoformat()}
    quote = client.get(f"{API}/listings/{offer.listing_id}/quote", params=params, headers=bearer(client, offer.lessee))
    assert quote.json()["amount_cny"] == "450.00" and quote.json()["tariff_version"] == 2
    kept = client.get(f"{API}/bookings/{old['id']}", headers=bearer(client, offer.lessee)).json()
    assert kept["quote_cny"] == "240.00" and kept["tariff_id"] == old["tariff_id"]


def test_search_filters(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    lessee = bearer(client, offer.lessee)

    def found(**params: str | int) -> list[int]:
        return [row["id"] for row in client.get(f"{API}/listings", params=params, headers=lessee).json()]

    assert found() == [offer.listing_id]
    assert found(material="钛") == [offer.listing_id]
    assert found(material="铸铁") == []
    assert found(min_axes=5, min_x_mm=600, max_precision_mm="0.01") == [offer.listing_id]
    assert found(min_axes=6) == []
    assert found(equipment_type="cnc_machine_tool", q="临港") == [offer.listing_id]
    assert found(q="浦东") == []


def test_unpublished_listing_is_seen_by_its_owner_only(client: TestClient, world: World) -> None:
    offer = build_offer(world, client, published=False)
    lessee, owner = bearer(client, offer.lessee), bearer(client, offer.owner)
    assert client.get(f"{API}/listings/{offer.listing_id}", headers=lessee).status_code == 404
    assert client.get(f"{API}/listings", headers=lessee).json() == []
    assert client.get(f"{API}/listings/{offer.listing_id}", headers=owner).status_code == 200
    assert [row["id"] for row in client.get(f"{API}/listings?mine=true", headers=owner).json()] == [offer.listing_id]
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.get(f"{API}/listings/{offer.listing_id}", headers=officer).status_code == 200


def test_offering_needs_own_equipment_and_a_tariff_to_publish(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    foreign = build_plant(world)
    body = {"equipment_id": foreign.equipment_id, "title": "别人的机床"}
    response = client.post(f"{API}/listings", json=body, headers=bearer(client, offer.owner))
    assert response.json()["error"]["fields"][0]["field"] == "body.equipment_id"
    unpriced = {"equipment_id": offer.robot_id, "title": "机器人", "published": True}
    response = client.post(f"{API}/listings", json=unpriced, headers=bearer(client, offer.owner))
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "body.rates"
    lessee = client.post(f"{API}/listings", json=body, headers=bearer(client, world.user(Role.OFFICER)))
    assert lessee.status_code == 403


def test_availability_shows_free_spans_around_confirmed_bookings(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    made = request(client, offer, at(2), 4).json()
    client.post(
        f"{API}/bookings/{made['id']}/transitions", json={"action": "confirm"}, headers=bearer(client, offer.owner)
    )
    answer = client.get(f"{API}/listings/{offer.listing_id}/availability", headers=bearer(client, offer.lessee)).json()
    assert len(answer["windows"]) == 1
    free = [(span["start_at"], span["end_at"]) for span in answer["free"]]
    assert len(free) == 2
    assert free[0][1].startswith(at(2).strftime("%Y-%m-%dT%H:00"))
    assert free[1][0].startswith(at(2, 4).strftime("%Y-%m-%dT%H:00"))
    overlap = client.post(
        f"{API}/listings/{offer.listing_id}/availability",
        json={"start_at": at(5).isoformat(), "end_at": at(6).isoformat()},
        headers=bearer(client, offer.owner),
    )
    assert overlap.status_code == 409 and overlap.json()["error"]["fields"][0]["field"] == "body.start_at"
