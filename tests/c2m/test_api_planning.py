"""The planning and analytics API and pages, as the maker's enterprise users use them; other roles and makers kept
out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.c2m.planning_world import Maker, Orders, build_maker
from tests.conftest import World, bearer
from tests.pages import csrf_field, sign_in_page
from zhizao.accounts.roles import Role


def _maker_with_orders(world: World, count: int = 2) -> Maker:
    maker = build_maker(world)
    orders = Orders(world, maker)
    now = datetime.now(UTC)
    for k in range(count):
        orders.add(due_at=now + timedelta(days=2), created_at=now - timedelta(days=7 * k + 1), chosen=["WHITE"])
    return maker


def test_a_maker_plans_and_reads_its_schedule(client: TestClient, world: World) -> None:
    maker = _maker_with_orders(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, maker.maker_id))
    planned = client.post("/api/c2m/plan", json={"time_limit_s": 2}, headers=headers)
    assert planned.status_code == 200, planned.text
    body = planned.json()
    assert body["planned"] == 6 and body["scheduled_orders"] == 2
    assert body["run"]["reason"].startswith("requested by ") and body["run"]["solver_status"] == "optimal"

    board = client.get("/api/c2m/schedule", headers=headers).json()
    assert {centre["code"] for centre in board["work_centres"]} == {"HG-PR-01", "HG-PR-02", "HG-PT-01", "HG-TS-01"}
    assert len(board["bars"]) == 6 and not board["truncated"]
    assert {bar["state"] for bar in board["bars"]} == {"planned"}
    assert [run["id"] for run in board["runs"]] == [body["run"]["id"]]
    run = client.get(f"/api/c2m/schedule/runs/{body['run']['id']}", headers=headers)
    assert run.status_code == 200 and run.json()["operations"] == 6

    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"/api/c2m/schedule/runs/{body['run']['id']}", headers=stranger).status_code == 404
    assert client.get("/api/c2m/schedule", headers=stranger).json()["bars"] == []


def test_bad_plan_and_window_input_is_a_422_naming_the_field(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE, build_maker(world).maker_id))
    response = client.post("/api/c2m/plan", json={"time_limit_s": 0}, headers=headers)
    assert response.status_code == 422
    assert "time_limit_s" in response.text
    assert client.get("/api/c2m/schedule?hours_after=100000", headers=headers).status_code == 422


def test_only_the_makers_users_and_administrators_reach_planning(client: TestClient, world: World) -> None:
    maker = build_maker(world)
    for role in (Role.CONSUMER, Role.OFFICER, Role.EXPERT):
        headers = bearer(client, world.user(role))
        assert client.post("/api/c2m/plan", json={}, headers=headers).status_code == 403
        assert client.get("/api/c2m/analytics/popularity", headers=headers).status_code == 403
    admin = bearer(client, world.user(Role.ADMIN))
    assert client.get("/api/c2m/schedule", headers=admin).status_code == 422  # which maker?
    answer = client.get(f"/api/c2m/schedule?enterprise_id={maker.maker_id}", headers=admin)
    assert answer.status_code == 200 and len(answer.json()["work_centres"]) == 4
    own = bearer(client, world.user(Role.ENTERPRISE, maker.maker_id))
    assert client.get(f"/api/c2m/schedule?enterprise_id={maker.maker_id}", headers=own).status_code == 200
    other = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get(f"/api/c2m/schedule?enterprise_id={maker.maker_id}", headers=other).status_code == 404


def test_analytics_endpoints_answer_for_the_callers_orders_only(client: TestClient, world: World) -> None:
    maker = _maker_with_orders(world, count=6)
    headers = bearer(client, world.user(Role.ENTERPRISE, maker.maker_id))
    popular = client.get("/api/c2m/analytics/popularity", headers=headers).json()
    assert (popular["model_code"], popular["orders"]) == ("ZX-T", 6)
    white = next(o for f in popular["families"] for o in f["options"] if o["code"] == "WHITE")
    assert white["share"] == 1.0
    assert client.get("/api/c2m/analytics/co-occurrence?min_orders=1", headers=headers).status_code == 200
    trend = client.get("/api/c2m/analytics/trend?option=WHITE&weeks=6", headers=headers).json()
    assert len(trend["week_starts"]) == 7 and trend["option"]["code"] == "WHITE"
    forecast = client.get("/api/c2m/analytics/forecast", headers=headers).json()
    assert {o["code"]: o["forecast_share"] for o in forecast["options"]}["WHITE"] == 1.0
    assert {t["method"] for t in forecast["backtests"]} == {"naive", "mean", "ses", "holt"}
    volume = client.get("/api/c2m/analytics/volume?vehicles=10", headers=headers).json()
    assert {p["part_number"]: p["quantity"] for p in volume["parts"]}["PAINT-L"] == 40.0

    stranger = bearer(client, world.user(Role.ENTERPRISE))
    assert client.get("/api/c2m/analytics/popularity", headers=stranger).json()["orders"] == 0
    assert client.get("/api/c2m/analytics/popularity?model=ZX-T", headers=stranger).status_code == 422
    assert client.get("/api/c2m/analytics/trend?option=bad", headers=headers).status_code == 422


def test_the_schedule_and_analytics_pages(client: TestClient, world: World) -> None:
    maker = _maker_with_orders(world, count=6)
    sign_in_page(client, world.user(Role.ENTERPRISE, maker.maker_id))
    page = client.get("/c2m/maker/schedule")
    assert page.status_code == 200 and "plan-form" in page.text
    planned = client.post(
        "/c2m/maker/schedule/plan", data={"time_limit": "2", "csrf_token": csrf_field(page.text)},
        follow_redirects=False,
    )  # fmt: skip
    assert planned.status_code == 303
    page = client.get("/c2m/maker/schedule")
    assert "gantt-chart" in page.text and "requested by" in page.text
    refused = client.post("/c2m/maker/schedule/plan", data={"time_limit": "nan", "csrf_token": csrf_field(page.text)})
    assert refused.status_code == 422
    assert client.get("/c2m/maker/analytics?model=&weeks=12").status_code == 200  # the form sent empty
    analytics = client.get("/c2m/maker/analytics?option=WHITE")
    assert analytics.status_code == 200
    for section in ("popularity", "pairs", "trend-chart", "backtests", "parts"):
        assert f'id="{section}"' in analytics.text
