"""The C2M JSON API: uploading, checking, releasing and retiring versions; the configurator's steps and completion;
orders and their refusals (nothing created); who may call what and see whose rows."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.c2m.builders import DEMO_CODE, build_maker, build_shop, cheapest
from tests.c2m.test_versions import CONFLICTING, tiny
from tests.conftest import Account, World, bearer
from zhizao.accounts.roles import Role
from zhizao.c2m.models import ConsumerOrder, OrderEvent, OrderOperation
from zhizao.c2m.product.loading import load_demo_model

API = "/api/c2m"


def auth(client: TestClient, account: Account) -> dict[str, str]:
    tokens: dict[str, dict[str, str]] = client.__dict__.setdefault("_c2m_tokens", {})
    if account.username not in tokens:
        tokens[account.username] = bearer(client, account)
    return tokens[account.username]


def fields(response: Any) -> list[str]:
    return [problem["field"] for problem in response.json()["error"]["fields"]]


def stored_orders(world: World) -> list[int]:
    with world.database.session() as session:
        return [
            session.scalar(select(func.count()).select_from(t)) or 0
            for t in (ConsumerOrder, OrderEvent, OrderOperation)
        ]


def test_a_maker_uploads_checks_releases_and_retires(client: TestClient, world: World) -> None:
    maker = world.user(Role.ENTERPRISE)
    headers = auth(client, maker)
    files = {"file": ("mini.yaml", yaml.safe_dump(tiny(), allow_unicode=True).encode(), "application/yaml")}
    created = client.post(f"{API}/models/upload", files=files, headers=headers)
    assert created.status_code == 201, created.text
    version_id = created.json()["id"]
    assert created.json()["status"] == "draft"
    detail = client.get(f"{API}/versions/{version_id}", headers=headers).json()
    assert [family["code"] for family in detail["families"]] == ["PAINT", "BOX"]
    assert detail["routing"][0]["code"] == "PAINTING" and detail["bom_lines"] == 0
    check = client.get(f"{API}/versions/{version_id}/release-check", headers=headers)
    assert check.json() == {"code": "MINI", "version": 1, "releasable": True, "issues": []}
    released = client.post(f"{API}/versions/{version_id}/release", headers=headers)
    assert released.status_code == 200, released.text
    assert client.get(f"{API}/models", headers=headers).json()[0]["code"] == "MINI"
    assert client.post(f"{API}/versions/{version_id}/release", headers=headers).status_code == 409
    retired = client.post(f"{API}/versions/{version_id}/retire", headers=headers)
    assert retired.json()["status"] == "retired"
    assert client.get(f"{API}/models", headers=headers).json() == []
    assert client.get(f"{API}/models/MINI", headers=headers).status_code == 404


def test_bad_definitions_are_refused_naming_the_field(client: TestClient, world: World) -> None:
    headers = auth(client, world.user(Role.ENTERPRISE))
    broken = tiny(rules=[{"kind": "requires", "id": "R1", "option": "RED", "any_of": ["NOPE"]}])
    response = client.post(f"{API}/models", json=broken, headers=headers)
    assert response.status_code == 422
    assert fields(response) == ["body.rules.0.any_of.0"]
    response = client.post(f"{API}/models", json={**tiny(), "version": "2"}, headers=headers)
    assert response.status_code == 422 and fields(response) == ["body.version"]
    files = {"file": ("mini.yaml", b"families: [unclosed", "application/yaml")}
    response = client.post(f"{API}/models/upload", files=files, headers=headers)
    assert response.status_code == 422 and fields(response) == ["file"]
    assert client.get(f"{API}/versions", headers=headers).json() == []
    assert client.post(f"{API}/models", json=tiny(), headers=headers).status_code == 201
    again = client.post(f"{API}/models", json=tiny(), headers=headers)
    assert again.status_code == 409 and fields(again) == ["body.version"]


def test_a_release_with_conflicting_rules_is_blocked(client: TestClient, world: World) -> None:
    headers = auth(client, world.user(Role.ENTERPRISE))
    version_id = client.post(f"{API}/models", json=tiny(rules=CONFLICTING), headers=headers).json()["id"]
    check = client.get(f"{API}/versions/{version_id}/release-check", headers=headers).json()
    assert check["releasable"] is False and check["issues"][0]["kind"] == "conflicting_rules"
    response = client.post(f"{API}/versions/{version_id}/release", headers=headers)
    assert response.status_code == 422
    assert fields(response) == ["definition.rules"]
    assert client.get(f"{API}/versions/{version_id}", headers=headers).json()["status"] == "draft"


def test_the_configurator_greys_out_with_reasons_and_completes(client: TestClient, world: World) -> None:
    build_maker(world)
    headers = auth(client, world.user(Role.CONSUMER))
    step = client.post(f"{API}/models/{DEMO_CODE}/step", json={"version": 1, "chosen": ["DRIVE_RWD"]}, headers=headers)
    assert step.status_code == 200, step.text
    options = {option["code"]: option for family in step.json()["families"] for option in family["options"]}
    tow = options["TOW_HITCH"]
    assert tow["state"] == "unavailable"
    assert [reason["rule_id"] for reason in tow["reasons"]] == ["R-TOW-AWD"]
    assert tow["reasons"][0]["text"] == "拖钩需要双电机四驱"
    assert "后置单电机后驱" in tow["because_of"]
    assert options["DRIVE_AWD"]["state"] == "selectable"  # a switch within its family, not greyed out
    assert options["BAT_75"]["state"] == "unavailable"  # discontinued
    assert step.json()["complete"] is False
    done = client.post(
        f"{API}/models/{DEMO_CODE}/complete", json={"version": 1, "chosen": ["TOW_HITCH"]}, headers=headers
    )
    assert done.status_code == 200
    assert "DRIVE_AWD" in done.json()["chosen"] and done.json()["optimal"] is True
    whole = client.post(
        f"{API}/models/{DEMO_CODE}/step", json={"version": 1, "chosen": done.json()["chosen"]}, headers=headers
    )
    assert whole.json()["complete"] is True and whole.json()["price"] == done.json()["price"]
    conflict = client.post(
        f"{API}/models/{DEMO_CODE}/step", json={"version": 1, "chosen": ["TOW_HITCH", "DRIVE_RWD"]}, headers=headers
    )
    assert conflict.json()["valid"] is False and conflict.json()["conflict"]
    stale = client.post(f"{API}/models/{DEMO_CODE}/step", json={"version": 2, "chosen": []}, headers=headers)
    assert stale.status_code == 422 and fields(stale) == ["body.version"]
    unknown = client.post(f"{API}/models/{DEMO_CODE}/step", json={"version": 1, "chosen": ["NOPE"]}, headers=headers)
    assert unknown.status_code == 422 and fields(unknown) == ["body.chosen.0"]
    refused = client.post(
        f"{API}/models/{DEMO_CODE}/complete", json={"version": 1, "chosen": ["TOW_HITCH", "DRIVE_RWD"]}, headers=headers
    )
    assert refused.status_code == 422


def test_orders_and_their_refusals(client: TestClient, world: World) -> None:
    build_maker(world)
    consumer = world.user(Role.CONSUMER)
    headers = auth(client, consumer)
    body = {"model_code": DEMO_CODE, "version": 1, "chosen": list(cheapest()), "region": "zhejiang"}
    refusals = [
        ({**body, "version": 2}, ["body.version"]),
        ({**body, "chosen": ["BAT_75" if code == "BAT_66" else code for code in cheapest(("BAT_66",))]}, None),
        ({**body, "chosen": [code for code in cheapest() if code != "WARR_STD"]}, ["body.chosen"]),
        ({**body, "region": "atlantis"}, ["body.region"]),
        ({**body, "model_code": "ZX-NONE"}, ["body.model_code"]),
    ]
    for wrong, expected in refusals:
        response = client.post(f"{API}/orders", json=wrong, headers=headers)
        assert response.status_code == 422, response.text
        if expected is not None:
            assert fields(response) == expected
        else:
            assert fields(response)[0].startswith("body.chosen.") and "discontinued" in response.text
    assert stored_orders(world) == [0, 0, 0]
    placed = client.post(f"{API}/orders", json=body, headers=headers)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["status"] == "confirmed" and order["model_code"] == DEMO_CODE and order["model_version"] == 1
    assert [event["status"] for event in order["events"]] == ["confirmed"]
    assert [op["code"] for op in order["operations"]][:2] == ["STAMPING", "WELD_UNDERBODY"]
    assert client.get(f"{API}/orders", headers=headers).json()["total"] == 1
    assert client.get(f"{API}/orders/{order['id']}", headers=headers).json()["number"] == order["number"]
    assert client.get(f"{API}/orders?week=2026-W99", headers=headers).status_code == 422


def test_whose_orders_and_versions_each_caller_sees(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    rival = world.user(Role.ENTERPRISE)
    for account in (shop.other_consumer, rival):
        assert client.get(f"{API}/orders/{shop.order_id}", headers=auth(client, account)).status_code == 404
        assert client.get(f"{API}/orders", headers=auth(client, account)).json()["total"] == 0
    assert client.get(f"{API}/orders/{shop.order_id}/bom", headers=auth(client, rival)).status_code == 404
    assert client.get(f"{API}/versions/{shop.maker.version_id}", headers=auth(client, rival)).status_code == 404
    bom = client.get(f"{API}/orders/{shop.order_id}/bom", headers=auth(client, shop.maker.maker))
    assert bom.status_code == 200 and len(bom.json()) > 100
    maker_view = client.get(f"{API}/orders", headers=auth(client, shop.maker.maker)).json()
    assert [item["number"] for item in maker_view["items"]] == [shop.order_number]
    assert client.get(f"{API}/orders/{shop.order_id}", headers=auth(client, shop.consumer)).status_code == 200


def test_role_checks(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    body = {"model_code": DEMO_CODE, "version": 1, "chosen": list(cheapest()), "region": "shanghai"}
    assert client.post(f"{API}/orders", json=body, headers=auth(client, shop.maker.maker)).status_code == 403
    assert client.post(f"{API}/orders", json=body, headers=auth(client, world.user(Role.ADMIN))).status_code == 403
    demo = load_demo_model().model_dump(mode="json")
    assert client.post(f"{API}/models", json=demo, headers=auth(client, shop.consumer)).status_code == 403
    consumer_headers = auth(client, shop.consumer)
    assert client.get(f"{API}/versions", headers=consumer_headers).status_code == 403
    assert client.get(f"{API}/orders/{shop.order_id}/bom", headers=consumer_headers).status_code == 403
    assert client.get(f"{API}/models").status_code == 401
