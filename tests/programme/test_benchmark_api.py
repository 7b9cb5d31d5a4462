"""Benchmark selection through the API: the ranking per industry from verified results and levels, decisions with
a rationale that designate a benchmark factory, and the industry quotas (409 naming the industry, nothing changed)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import World, bearer
from tests.programme.tenant_cases_acceptance import project, registered_enterprise, verified_enterprise
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.bench.web import StatementCounter
from zhizao.programme.kinds import Industry, ProjectStage
from zhizao.programme.models import FactoryProject, ProjectEvent
from zhizao.programme.models_acceptance import BenchmarkDecision

API = "/api/programme/benchmarks"
RECOGNISED = ProjectStage.RECOGNISED


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _recognised(world: World, industry: Industry, *, level: int = 3, on: date = date(2022, 3, 1), **kpis: int) -> int:
    """A recognised project whose verification shows the KPIs asked for (see ``verified_enterprise``)."""
    verified = verified_enterprise(world, industry, **kpis)
    return project(
        world, verified.enterprise_id, RECOGNISED, level=level, verification_id=verified.verification_id,
        recognised_on=on,
    )  # fmt: skip


def _industry(ranking: dict[str, Any], industry: Industry) -> dict[str, Any]:
    return next(entry for entry in ranking["industries"] if entry["industry"] == industry.value)


def test_the_ranking_orders_by_level_then_verified_results(client: TestClient, world: World) -> None:
    forty_five = _recognised(world, Industry.AUTOMOTIVE)  # +20 % and −25 %: 45 points, level 3
    fifty = _recognised(world, Industry.AUTOMOTIVE, labour_hours=960)  # +25 % and −25 %: 50 points
    level_four = _recognised(world, Industry.AUTOMOTIVE, level=4, on=date(2022, 6, 1))  # 45 points, level 4
    cost_missed = _recognised(world, Industry.AUTOMOTIVE, cost=108_000)  # −10 %: not eligible
    low_level = project(world, registered_enterprise(world), RECOGNISED, level=2)  # and nothing verified
    project(world, registered_enterprise(world), ProjectStage.ACCEPTED)  # not recognised: not listed
    office = bearer(client, world.user(Role.OFFICER))

    ranking = _ok(client.get(API, headers=office))
    assert ranking["edition_code"] == "2020-2022" and ranking["min_maturity_level"] == 3
    automotive = _industry(ranking, Industry.AUTOMOTIVE)
    assert (automotive["quota"], automotive["designated"], automotive["left"]) == (3, 0, 3)
    entries = automotive["entries"]
    assert [(e["project_id"], e["rank"]) for e in entries] == [
        (level_four, 1), (fifty, 2), (forty_five, 3), (cost_missed, None), (low_level, None),
    ]  # fmt: skip
    assert [float(e["score"]) for e in entries[:3]] == [45.0, 50.0, 45.0]
    assert entries[3]["reasons"] == ["the verified cost verdict is does_not_meet, not meets"]
    assert entries[4]["reasons"] == [
        "maturity level 2 is below the minimum 3", "no KPI verification is stored for the project",
    ]  # fmt: skip
    only = _ok(client.get(API, params={"industry": "aerospace"}, headers=office))
    assert [entry["industry"] for entry in only["industries"]] == ["aerospace"]
    assert client.get(API, params={"edition_id": 999_999}, headers=office).status_code == 404


def test_selection_designates_within_the_quota_and_refuses_beyond_it(client: TestClient, world: World) -> None:
    first = _recognised(world, Industry.AEROSPACE, labour_hours=960)  # aerospace: a quota of 1
    second = _recognised(world, Industry.AEROSPACE)
    office = bearer(client, world.user(Role.OFFICER))

    chosen = _ok(
        client.post(
            f"{API}/decisions", json={"project_id": first, "selected": True, "rationale": "排名第一"}, headers=office
        ),
        201,
    )
    assert (chosen["rank"], chosen["selected"], float(chosen["score"])) == (1, True, 50.0)
    with world.database.session() as session:
        assert session.get(FactoryProject, first).stage == ProjectStage.BENCHMARK  # type: ignore[union-attr]
        event = session.scalars(select(ProjectEvent).where(ProjectEvent.project_id == first)).one()
        assert (event.action, event.evidence["decision_id"], event.rationale) == (
            "designate_benchmark",
            chosen["id"],
            "排名第一",
        )
        assert session.scalar(select(func.count()).where(AuditEntry.action == "benchmark.decide")) == 1

    beyond = client.post(
        f"{API}/decisions", json={"project_id": second, "selected": True, "rationale": "补充"}, headers=office
    )
    assert beyond.status_code == 409, beyond.text
    assert "aerospace" in beyond.json()["error"]["message"]
    assert [p["field"] for p in beyond.json()["error"]["fields"]] == ["industry"]
    with world.database.session() as session:
        assert session.get(FactoryProject, second).stage == RECOGNISED  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(BenchmarkDecision)) == 1

    aerospace = _industry(_ok(client.get(API, headers=office)), Industry.AEROSPACE)
    assert (aerospace["designated"], aerospace["left"]) == (1, 0)
    assert [(e["project_id"], e["rank"], e["stage"]) for e in aerospace["entries"]] == [
        (first, 1, "benchmark"), (second, 2, "recognised"),
    ]  # fmt: skip

    # Recording that a factory was not selected is always possible, and leaves it recognised.
    passed_over = {"project_id": second, "selected": False, "rationale": "名额已满"}
    _ok(client.post(f"{API}/decisions", json=passed_over, headers=office), 201)
    decisions = _ok(client.get(f"{API}/decisions", headers=office))
    assert [(d["project_id"], d["selected"]) for d in decisions] == [(second, False), (first, True)]
    again = client.post(
        f"{API}/decisions", json={"project_id": first, "selected": True, "rationale": "x"}, headers=office
    )
    assert again.status_code == 409  # a benchmark already


def test_an_industry_without_a_quota_has_no_benchmarks(client: TestClient, world: World) -> None:
    fmcg = _recognised(world, Industry.FMCG_ENVIRONMENTAL)  # the 2020–2022 edition names no FMCG benchmarks
    office = bearer(client, world.user(Role.OFFICER))
    refused = client.post(
        f"{API}/decisions", json={"project_id": fmcg, "selected": True, "rationale": "优秀"}, headers=office
    )
    assert refused.status_code == 409
    assert "fmcg_environmental" in refused.json()["error"]["message"]


def test_a_decision_needs_a_rationale_and_an_eligible_recognised_project(client: TestClient, world: World) -> None:
    unverified = project(world, registered_enterprise(world), RECOGNISED, level=4)
    accepted = project(world, registered_enterprise(world), ProjectStage.ACCEPTED, level=4)
    office = bearer(client, world.user(Role.OFFICER))

    def fields(body: dict[str, Any], status: int = 422) -> list[str]:
        response = client.post(f"{API}/decisions", json=body, headers=office)
        assert response.status_code == status, response.text
        return [problem["field"] for problem in response.json()["error"]["fields"]]

    assert fields({"project_id": unverified, "selected": False}) == ["body.rationale"]
    assert fields({"project_id": unverified, "selected": False, "rationale": " \n "}) == ["body.rationale"]
    assert fields({"project_id": unverified, "selected": True, "rationale": "优秀"}) == ["body.project_id"]
    assert fields({"project_id": accepted, "selected": True, "rationale": "优秀"}, 409) == ["body.project_id"]
    assert fields({"project_id": 999_999, "selected": False, "rationale": "优秀"}) == ["body.project_id"]
    with world.database.session() as session:
        assert session.scalar(select(func.count()).select_from(BenchmarkDecision)) == 0
        assert session.get(FactoryProject, unverified).stage == RECOGNISED  # type: ignore[union-attr]


def test_the_ranking_reads_every_factory_in_a_few_queries(client: TestClient, world: World) -> None:
    """No query per ranked factory: the statements stay the same from one recognised factory to three."""
    office = bearer(client, world.user(Role.OFFICER))

    def statements() -> int:
        with StatementCounter(world.database) as counter:
            _ok(client.get(API, headers=office))
        return counter.count

    _recognised(world, Industry.AUTOMOTIVE)
    one = statements()
    _recognised(world, Industry.AUTOMOTIVE, labour_hours=960)
    _recognised(world, Industry.ELECTRONICS, level=4)
    assert statements() == one
