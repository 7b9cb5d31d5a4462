"""The C2M pages: browsing and configuring without JavaScript (form posts), greyed-out options with their reasons,
completing and ordering as a consumer, the order page with its live timeline, and the maker's pages (upload with
errors by field, a release blocked with its report, orders with filters, an order's BOM and operations)."""

from __future__ import annotations

import re

import pytest
import yaml
from fastapi.testclient import TestClient

from tests.c2m.builders import DEMO_CODE, build_maker, build_shop, cheapest
from tests.c2m.test_versions import CONFLICTING, tiny
from tests.conftest import World
from tests.pages import csrf_field, sign_in_page
from zhizao.accounts.roles import Role
from zhizao.c2m import pages

CONFIGURE = f"/c2m/models/{DEMO_CODE}"


def option_label(html: str, code: str) -> str:
    """The ``<label>`` of one option on the configurator page."""
    found = re.search(rf'<label class="c2m-option[^"]*" id="option-{code}".*?</label>', html, re.S)
    assert found is not None, f"no option {code} on the page"
    return found.group(0)


def post_choices(client: TestClient, chosen: list[str], intent: str = "step", version: str = "1") -> str:
    token = csrf_field(client.get(CONFIGURE).text)
    # Each family's inputs are named after it; the page reads the values of every ``pick.*`` name alike.
    data = {"csrf_token": token, "version": version, "intent": intent, "pick.ANY": chosen}
    response = client.post(CONFIGURE, data=data)
    assert response.status_code == 200, response.text[:2000]
    return response.text


def test_anyone_browses_and_configures_without_javascript(client: TestClient, world: World) -> None:
    build_maker(world)
    listing = client.get("/c2m")
    assert listing.status_code == 200 and f'href="{CONFIGURE}"' in listing.text
    first = client.get(CONFIGURE)
    assert first.status_code == 200
    assert 'id="family-BATTERY"' in first.text and "disabled" in option_label(first.text, "BAT_75")
    html = post_choices(client, ["DRIVE_RWD"])
    tow = option_label(html, "TOW_HITCH")
    assert "state-unavailable" in tow and "disabled" in tow
    assert "拖钩需要双电机四驱" in tow and "后置单电机后驱" in tow
    assert "disabled" not in option_label(html, "DRIVE_AWD")  # the other drive is a switch, not greyed out
    assert 'value="DRIVE_RWD" checked' in option_label(html, "DRIVE_RWD")
    assert 'id="not-complete"' in html
    conflict = post_choices(client, ["DRIVE_RWD", "TOW_HITCH"])
    assert 'id="conflict"' in conflict and "拖钩需要双电机四驱" in conflict
    completed = post_choices(client, ["TOW_HITCH"], intent="complete")
    assert 'value="DRIVE_AWD" checked' in option_label(completed, "DRIVE_AWD")
    assert f"/login?next={CONFIGURE}" in completed  # complete, but only a consumer orders
    unknown = client.post(CONFIGURE, data={"csrf_token": csrf_field(completed), "version": "1", "pick.X": "NOPE"})
    assert unknown.status_code == 422 and "body.chosen.0" in unknown.text
    assert client.get("/c2m/models/ZX-NONE").status_code == 404


def test_a_consumer_orders_and_follows_the_order(
    client: TestClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    shop = build_shop(world)
    sign_in_page(client, shop.consumer)
    html = post_choices(client, ["TOW_HITCH"], intent="complete")
    assert 'id="order-form"' in html
    token = csrf_field(html)
    chosen = re.findall(r'<input type="hidden" name="chosen" value="([A-Z0-9_]+)">', html)
    assert sorted(chosen) == sorted(cheapest(("TOW_HITCH",)))
    stale = client.post(
        "/c2m/orders",
        data={"csrf_token": token, "model_code": DEMO_CODE, "version": "2", "chosen": chosen, "region": "hubei"},
    )  # type: ignore[arg-type]
    assert stale.status_code == 422 and "body.version" in stale.text
    placed = client.post(
        "/c2m/orders",
        data={"csrf_token": token, "model_code": DEMO_CODE, "version": "1", "chosen": chosen, "region": "hubei"},  # type: ignore[arg-type]
        follow_redirects=False,
    )
    assert placed.status_code == 303, placed.text[:2000]
    location = placed.headers["location"]
    assert re.fullmatch(r"/c2m/orders/C2M-\d{8}-\d{6}", location)
    page = client.get(location)
    assert page.status_code == 200
    assert 'data-status="confirmed"' in page.text and f'sse-connect="{location}/live"' in page.text
    assert "电动伸缩拖钩" in page.text  # the configuration, by name
    mine = client.get("/c2m/orders")
    assert location in mine.text and f"/c2m/orders/{shop.order_number}" in mine.text
    monkeypatch.setattr(pages, "LIVE_MAX_S", 0.001)
    monkeypatch.setattr(pages, "LIVE_INTERVAL_S", 0.001)
    live = client.get(f"{location}/live")
    assert live.headers["content-type"].startswith("text/event-stream")
    assert live.text.startswith("event: timeline\ndata: ") and 'data-status="confirmed"' in live.text
    sign_in_page(client, shop.other_consumer)
    assert client.get(f"/c2m/orders/{shop.order_number}").status_code == 404
    assert client.get(f"/c2m/orders/{shop.order_number}/live").status_code == 404
    assert client.get("/c2m/orders/not-an-order").status_code == 404


def test_the_maker_pages(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    sign_in_page(client, shop.maker.maker)
    versions_page = client.get("/c2m/maker/models")
    assert f'href="/c2m/maker/versions/{shop.maker.version_id}"' in versions_page.text
    token = csrf_field(versions_page.text)
    broken = tiny(rules=[{"kind": "requires", "id": "R1", "option": "RED", "any_of": ["NOPE"]}])
    files = {"file": ("mini.yaml", yaml.safe_dump(broken, allow_unicode=True).encode(), "application/yaml")}
    refused = client.post("/c2m/maker/models", data={"csrf_token": token}, files=files)
    assert refused.status_code == 422 and "file.rules.0.any_of.0" in refused.text
    files = {"file": ("mini.yaml", yaml.safe_dump(tiny(rules=CONFLICTING), allow_unicode=True).encode(), "text/yaml")}
    created = client.post("/c2m/maker/models", data={"csrf_token": token}, files=files, follow_redirects=False)
    assert created.status_code == 303
    draft = client.get(created.headers["location"])
    assert 'id="release-check"' in draft.text and "R-RED-BLUE" in draft.text
    release_url = created.headers["location"] + "/release"
    blocked = client.post(release_url, data={"csrf_token": token})
    assert blocked.status_code == 422 and "definition.rules" in blocked.text
    orders_page = client.get("/c2m/maker/orders", params={"status": "confirmed", "region": "shanghai", "week": "x"})
    assert f"/c2m/maker/orders/{shop.order_number}" in orders_page.text
    assert shop.order_number not in client.get("/c2m/maker/orders", params={"region": "tibet"}).text
    detail = client.get(f"/c2m/maker/orders/{shop.order_number}")
    assert detail.status_code == 200 and 'id="bom"' in detail.text and "STAMPING" in detail.text
    sign_in_page(client, world.user(Role.ENTERPRISE))
    assert client.get(f"/c2m/maker/orders/{shop.order_number}").status_code == 404
    assert client.get(f"/c2m/maker/versions/{shop.maker.version_id}").status_code == 404
