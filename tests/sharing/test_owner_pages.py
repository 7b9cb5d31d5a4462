"""Owner pages and the billing configuration of a listing: offering a machine, tariff versions and availability
through the pages; wear components only where the machine has the signals wear metering needs, incident alarms
only of the machine's own rules, tariffs that price exactly what the listing meters; problems shown beside their
fields (never a 500); another enterprise gets 404, an officer 403."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.sharing.owner_helpers import SPINDLE, add_load_signal, add_rule, field_errors, sign_in
from tests.sharing.tenant_cases import API, at, bearer, build_offer
from tests.telemetry.builders import build_plant
from zhizao.accounts.roles import Role

OWNER = "/sharing/owner"


def _fields(response: object) -> set[str]:
    return {problem["field"] for problem in response.json()["error"]["fields"]}  # type: ignore[attr-defined]


def test_an_owner_offers_a_machine_prices_it_and_opens_a_window_through_the_pages(
    client: TestClient, world: World
) -> None:
    plant = build_plant(world)
    owner = world.user(Role.ENTERPRISE, plant.enterprise_id)
    csrf = sign_in(client, owner, OWNER + "/new")
    form = client.get(OWNER + "/new").text
    assert f'value="{plant.equipment_id}"' in form and f'value="{plant.robot_id}"' in form
    offer = {"csrf_token": csrf, "equipment_id": str(plant.equipment_id), "title": "立式加工中心 VMC 850",
             "axes": "3", "envelope_x_mm": "850", "materials": "铝合金、45钢", "precision_mm": "0.008",
             "location": "嘉定"}  # fmt: skip
    created = client.post(OWNER + "/new", data=offer, follow_redirects=False)
    assert created.status_code == 303, created.text
    listing_page = created.headers["location"]
    listing_id = int(listing_page.rsplit("/", 1)[1])
    assert "立式加工中心" in client.get(OWNER).text

    tariff = {"csrf_token": csrf, "hourly_rate": "95", "setup_rate": "30", "no_show_share": "0.5",
              "band_notice_0": "0", "band_share_0": "0.5", "band_notice_1": "24", "band_share_1": "0"}  # fmt: skip
    added = client.post(f"{listing_page}/tariffs", data=tariff, follow_redirects=False)
    assert added.status_code == 303, added.text
    versions = client.get(f"{listing_page}/tariffs").text
    assert 'id="tariff-1"' in versions and "95.00" in versions
    window = {"csrf_token": csrf, "start_at": at(1).strftime("%Y-%m-%d %H:%M%z"),
              "end_at": at(8).strftime("%Y-%m-%d %H:%M%z"), "note": "白班"}  # fmt: skip
    assert client.post(f"{listing_page}/availability", data=window, follow_redirects=False).status_code == 303
    windows = client.get(f"{listing_page}/availability").text
    window_id = int(re.search(r'id="window-(\d+)"', windows).group(1))  # type: ignore[union-attr]

    edit = {"csrf_token": csrf, "title": "立式加工中心 VMC 850", "axes": "3", "materials": "铝合金", "published": "on"}
    assert client.post(listing_page, data=edit, follow_redirects=False).status_code == 303
    public = client.get("/sharing?q=VMC").text
    assert "立式加工中心" in public and "95.00" in public
    detail = client.get(f"{API}/listings/{listing_id}").json()  # the API with the page's session
    assert detail["materials"] == ["铝合金"] and detail["wear_components"] == [] and detail["published"] is True

    removed = client.post(
        f"{OWNER}/availability/{window_id}/delete", data={"csrf_token": csrf, "listing_id": str(listing_id)},
        follow_redirects=False,
    )  # fmt: skip
    assert removed.status_code == 303 and removed.headers["location"] == f"{listing_page}/availability"
    assert f'id="window-{window_id}"' not in client.get(f"{listing_page}/availability").text


def test_bad_input_on_the_pages_is_shown_beside_its_field(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    page = f"{OWNER}/listings/{offer.listing_id}"
    csrf = sign_in(client, offer.owner, page)
    negative = client.post(
        f"{page}/tariffs", data={"csrf_token": csrf, "hourly_rate": "-5", "setup_rate": "1.234", "band_notice_0": "24",
                                 "band_share_0": "0.5"},
    )  # fmt: skip
    assert negative.status_code == 422
    errors = field_errors(negative.text)
    assert {"hourly_rate", "setup_rate", "cancellation"} <= set(errors), errors
    assert 'name="hourly_rate" size="8" required value="-5"' in negative.text  # what was typed stays

    # The test plant's CNC reports spindle speed but no spindle load: spindle wear cannot be metered there.
    spindle = {"csrf_token": csrf, "title": "五轴", "wear_bearing_1": "ball", "wear_speed_1": "10000",
               "wear_load_1": "100", "wear_l10h_1": "20000"}  # fmt: skip
    refused = client.post(page, data=spindle)
    assert refused.status_code == 422
    assert "spindle_load_pct" in field_errors(refused.text)["wear_1"]  # beside the row it was typed in
    assert 'data-field="wear_1"' in refused.text.split('id="wear-1"')[1].split('id="wear-2"')[0]
    not_a_number = client.post(page, data={**spindle, "wear_l10h_1": "lots"})
    assert not_a_number.status_code == 422 and "number" in field_errors(not_a_number.text)["wear_1"]
    too_many_axes = client.post(page, data={"csrf_token": csrf, "title": "五轴", "axes": "13"})
    assert too_many_axes.status_code == 422 and set(field_errors(too_many_axes.text)) == {"axes"}

    window = client.post(
        f"{page}/availability", data={"csrf_token": csrf, "start_at": "2030-01-02 08:00", "end_at": "2030-01-01 08:00"}
    )
    assert window.status_code == 422 and "end_at" in field_errors(window.text)
    garbled = client.post(f"{page}/availability", data={"csrf_token": csrf, "start_at": "明天", "end_at": ""})
    assert garbled.status_code == 422 and "start_at" in field_errors(garbled.text)


def test_wear_components_need_the_signals_and_the_tariff_prices_exactly_them(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    owner = bearer(client, offer.owner)
    listing = f"{API}/listings/{offer.listing_id}"
    refused = client.patch(listing, json={"wear_components": [SPINDLE]}, headers=owner)
    assert refused.status_code == 422 and _fields(refused) == {"body.wear_components[0]"}
    assert "spindle_load_pct" in refused.json()["error"]["fields"][0]["message"]
    not_yet = client.post(f"{listing}/tariffs", json={"hourly_rate": "120", "wear_rates": {"spindle": "90000"}},
                          headers=owner)  # fmt: skip
    assert not_yet.status_code == 422 and _fields(not_yet) == {"body.wear_rates.spindle"}
    thermal = {"kind": "thermal", "component_id": "casting", "delta_t_ref_k": 40.0, "cycles_ref": 10000.0}
    unmetered = client.patch(listing, json={"wear_components": [thermal]}, headers=owner)
    assert unmetered.status_code == 422 and _fields(unmetered) == {"body.wear_components[0]"}
    assert "thermal_cycle_k" in unmetered.json()["error"]["fields"][0]["message"]

    load_signal = add_load_signal(world, offer.equipment_id)
    accepted = client.patch(listing, json={"wear_components": [{**SPINDLE, "l10h_ref": 20000}]}, headers=owner)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["wear_components"][0]["min_coverage"] == 0.95  # stored as the meter reads it
    missing = client.post(f"{listing}/tariffs", json={"hourly_rate": "120"}, headers=owner)
    assert missing.status_code == 422 and _fields(missing) == {"body.wear_rates.spindle"}
    two = {"hourly_rate": "120", "wear_rates": {"spindle": "1", "tool": "1"}}
    unknown = client.post(f"{listing}/tariffs", json=two, headers=owner)
    assert unknown.status_code == 422 and _fields(unknown) == {"body.wear_rates.tool"}
    fire = {"hourly_rate": "1", "wear_rates": {"spindle": "1"}, "incident_rates": {"fire": "1"}}
    bad_kind = client.post(f"{listing}/tariffs", json=fire, headers=owner)
    assert bad_kind.status_code == 422 and any(f.startswith("body.incident_rates") for f in _fields(bad_kind))

    rule = add_rule(world, offer.owner, load_signal)
    assert rule > 0
    stranger_rule = client.patch(listing, json={"incident_alarms": {"NOT_HERE": "crash"}}, headers=owner)
    assert stranger_rule.status_code == 422 and _fields(stranger_rule) == {"body.incident_alarms.NOT_HERE"}
    alarms = client.patch(listing, json={"incident_alarms": {"SPINDLE_OVERLOAD": "overload"}}, headers=owner)
    assert alarms.status_code == 200 and alarms.json()["incident_alarms"] == {"SPINDLE_OVERLOAD": "overload"}
    wear_only = {"hourly_rate": "120", "wear_rates": {"spindle": "90000"}}
    unpriced_incident = client.post(f"{listing}/tariffs", json=wear_only, headers=owner)
    assert _fields(unpriced_incident) == {"body.incident_rates.overload"}
    full = {"hourly_rate": "120", "wear_rates": {"spindle": "90000"}, "incident_rates": {"overload": "200"}}
    priced = client.post(f"{listing}/tariffs", json=full, headers=owner)
    assert priced.status_code == 201 and priced.json()["rates"]["incident_rates"] == {"overload": "200.00"}
    page = client.get(f"{OWNER}/listings/{offer.listing_id}", headers=owner)
    assert page.status_code == 200 and 'id="unpriced"' not in page.text


def test_a_machine_without_load_signals_is_offered_with_a_time_only_tariff(client: TestClient, world: World) -> None:
    plant = build_plant(world)
    owner = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    body = {"equipment_id": plant.robot_id, "title": "上下料机器人", "published": True, "rates": {"hourly_rate": "60"}}
    created = client.post(f"{API}/listings", json=body, headers=owner)
    assert created.status_code == 201 and created.json()["wear_components"] == []
    with_wear = {**body, "equipment_id": plant.equipment_id, "wear_components": [SPINDLE],
                 "rates": {"hourly_rate": "60", "wear_rates": {"spindle": "1000"}}}  # fmt: skip
    refused = client.post(f"{API}/listings", json=with_wear, headers=owner)
    assert refused.status_code == 422 and "body.wear_components[0]" in _fields(refused)


def test_another_enterprise_gets_404_and_an_officer_403(client: TestClient, world: World) -> None:
    offer = build_offer(world, client)
    page = f"{OWNER}/listings/{offer.listing_id}"
    stranger = world.user(Role.ENTERPRISE)
    csrf = sign_in(client, stranger, OWNER)
    assert offer.listing_id and f"listing-{offer.listing_id}" not in client.get(OWNER).text
    for path in (page, f"{page}/tariffs", f"{page}/availability"):
        assert client.get(path).status_code == 404, path
    assert client.post(page, data={"csrf_token": csrf, "title": "抢"}).status_code == 404
    assert client.post(f"{page}/tariffs", data={"csrf_token": csrf, "hourly_rate": "1"}).status_code == 404
    window = {"csrf_token": csrf, "start_at": "2030-01-01 08:00", "end_at": "2030-01-01 18:00"}
    assert client.post(f"{page}/availability", data=window).status_code == 404
    gone = client.post(f"{OWNER}/availability/{offer.window_id}/delete", data={"csrf_token": csrf})
    assert gone.status_code == 404
    not_mine = client.post(OWNER + "/new", data={"csrf_token": csrf, "equipment_id": str(offer.equipment_id),
                                                 "title": "别人的"})  # fmt: skip
    assert not_mine.status_code == 422 and "equipment_id" in field_errors(not_mine.text)
    sign_in(client, world.user(Role.OFFICER), "/account")
    assert client.get(OWNER).status_code == 403 and client.get(page).status_code == 403
