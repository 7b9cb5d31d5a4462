"""The cockpit's numbers equal the records: projects built at known stages, industries and districts, robots and
stored KPI verifications, then counted by the service and shown with links to the records behind each number."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.programme.builders import current_edition, programme_enterprise
from tests.programme.project_builders import built_project
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import PermissionDenied
from zhizao.production.models import KpiVerification
from zhizao.production.programme import verify
from zhizao.production.programme_inputs import CostCategory, CostLine, Coverage, ProductOutput, WindowInputs
from zhizao.programme import service_cockpit
from zhizao.programme.cockpit import TargetKey
from zhizao.programme.cockpit_kpis import KpiMeasure, KpiOutcome
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.programme.models import FactoryProject
from zhizao.programme.service_cockpit import DrillMetric, DrillQuery

S = ProjectStage
BASELINE = (date(2021, 1, 1), date(2021, 3, 31))
EVALUATION = (date(2021, 7, 1), date(2021, 9, 30))


def _window(dates: tuple[date, date], units: int, cost: Decimal, *, days_covered: int | None = None) -> WindowInputs:
    start, end = dates
    days = (end - start).days + 1
    return WindowInputs(
        start=start,
        end=end,
        products=(ProductOutput(product="A", good=units, reference_value=Decimal(1)),),
        labour_hours=Decimal(1000),
        costs=(CostLine(category=CostCategory.MATERIALS, amount=cost, price_index=Decimal(100)),),
        energy_kwh=Decimal(10000),
        coverage=Coverage(telemetry_days=days if days_covered is None else days_covered, equipment_reporting=1,
                          equipment_total=1),
    )  # fmt: skip


def add_verification(world: World, enterprise_id: int, gain: str, cost_change: str, *, covered: bool = True) -> int:
    """A stored verification whose productivity changes by ``gain`` and cost per unit by ``cost_change`` (fractions):
    1000 units in 1000 h at ¥100 a unit before, 1000·(1 + gain) units at ¥100·(1 + cost_change) a unit after."""
    units = int(1000 * (1 + Decimal(gain)))
    after_cost = units * 100 * (1 + Decimal(cost_change))
    result = verify(
        _window(BASELINE, 1000, Decimal(100_000)),
        _window(EVALUATION, units, after_cost, days_covered=None if covered else 10),
    )
    with world.database.session() as session, session.begin():
        row = KpiVerification(
            enterprise_id=enterprise_id, baseline_start=BASELINE[0], baseline_end=BASELINE[1],
            evaluation_start=EVALUATION[0], evaluation_end=EVALUATION[1], formula_version=result.formula_version,
            productivity_verdict=result.kpis[0].verdict.value, cost_verdict=result.kpis[1].verdict.value,
            result=result.model_dump(mode="json"),
        )  # fmt: skip
        session.add(row)
        session.flush()
        return row.id


def add_project(
    world: World,
    edition_id: int,
    stage: ProjectStage,
    industry: Industry = Industry.AUTOMOTIVE,
    district: District = District.PUDONG,
    *,
    name: str | None = None,
    robots: tuple[int, int] = (0, 0),
    kpis: tuple[str, str] | None = None,
    case: tuple[str, str, str] | None = None,
) -> int:
    """An enterprise in ``district`` with a project at ``stage``; optionally its robots (deployed, planned), a
    stored verification of (productivity Δ, cost Δ) and its case narrative (title, zh, en)."""
    enterprise_id, _account = programme_enterprise(world, industry, district, name=name)
    verification_id = add_verification(world, enterprise_id, *kpis) if kpis else None
    recognised = stage in (S.RECOGNISED, S.BENCHMARK)
    with world.database.session() as session, session.begin():
        project = FactoryProject(
            edition_id=edition_id, enterprise_id=enterprise_id, title=f"{name or 'factory'} upgrade",
            industry=industry, stage=stage, robots_deployed=robots[0], robots_planned=robots[1],
            verification_id=verification_id, applied_on=date(2020, 10, 1),
            recognised_on=date(2022, 3, 1) + timedelta(days=enterprise_id) if recognised else None,
            case_title=case[0] if case else None, case_summary_zh=case[1] if case else None,
            case_summary_en=case[2] if case else None,
        )  # fmt: skip
        session.add(project)
        session.flush()
        return project.id


def officer(world: World) -> Principal:
    account = world.user(Role.OFFICER)
    return Principal(account.user_id, account.username, account.username, Role.OFFICER, account.organisation_id)


@pytest.fixture
def edition_id(world: World) -> int:
    return current_edition(world)


def test_cockpit_counts_equal_the_records(world: World, edition_id: int) -> None:
    add_project(
        world,
        edition_id,
        S.RECOGNISED,
        Industry.AUTOMOTIVE,
        District.JIADING,
        robots=(120, 150),
        kpis=("0.25", "-0.22"),
    )
    add_project(
        world, edition_id, S.BENCHMARK, Industry.AUTOMOTIVE, District.JIADING, robots=(300, 300), kpis=("0.40", "-0.30")
    )
    add_project(
        world, edition_id, S.ACCEPTED, Industry.ELECTRONICS, District.SONGJIANG, robots=(40, 60), kpis=("0.10", "-0.25")
    )
    add_project(
        world, edition_id, S.RECOGNISED, Industry.ELECTRONICS, District.PUDONG, kpis=("0.30", "-0.30"), robots=(5, 5)
    )
    add_project(world, edition_id, S.IN_CONSTRUCTION, Industry.BIOMEDICINE, District.PUDONG, robots=(10, 80))
    add_project(world, edition_id, S.APPLIED, Industry.BIOMEDICINE, District.MINHANG)
    add_project(world, edition_id, S.WITHDRAWN, Industry.AEROSPACE, District.MINHANG, robots=(7, 7))
    # Coverage of 10 days: the stored verdicts are "insufficient data" although a Δ is stored beside them.
    low = add_project(world, edition_id, S.RECOGNISED, Industry.AEROSPACE, District.MINHANG)
    with world.database.session() as session, session.begin():
        project = session.get(FactoryProject, low)
        assert project is not None
        project.verification_id = add_verification(world, project.enterprise_id, "0.5", "-0.5", covered=False)

    with world.database.session() as session:
        result = service_cockpit.read_cockpit(session, officer(world))

    progress = {row.key: row.progress for row in result.targets}
    assert (progress[TargetKey.SMART_FACTORIES].measured, progress[TargetKey.SMART_FACTORIES].target) == (4, 100)
    assert progress[TargetKey.BENCHMARK_FACTORIES].measured == 1
    # Robots: 120 + 300 + 40 + 5 + 10, not the withdrawn project's 7.
    assert progress[TargetKey.ROBOTS].measured == 475 and progress[TargetKey.ROBOTS].share == Decimal("0.0475")
    assert result.robots_planned == 150 + 300 + 60 + 5 + 80
    industries = {row.industry: row for row in result.industries}
    assert (industries[Industry.AUTOMOTIVE].recognised, industries[Industry.AUTOMOTIVE].benchmarks) == (2, 1)
    assert (industries[Industry.ELECTRONICS].recognised, industries[Industry.ELECTRONICS].in_pipeline) == (1, 1)
    assert industries[Industry.BIOMEDICINE].in_pipeline == 2
    assert [(step.stage, step.at_stage, step.reached) for step in result.funnel] == [
        (S.APPLIED, 1, 7), (S.DIAGNOSED, 0, 6), (S.PLAN_APPROVED, 0, 6), (S.IN_CONSTRUCTION, 1, 6),
        (S.ACCEPTED, 1, 5), (S.RECOGNISED, 3, 4), (S.BENCHMARK, 1, 1),
    ]  # fmt: skip
    assert result.closed[S.WITHDRAWN] == 1
    districts = {row.district: row for row in result.districts}
    assert (districts[District.JIADING].smart_factories, districts[District.PUDONG].in_pipeline) == (2, 1)
    assert (districts[District.MINHANG].smart_factories, districts[District.MINHANG].closed) == (1, 1)
    kpis = result.kpis
    assert kpis.accepted == 5  # accepted, recognised and benchmark projects
    assert kpis.outcomes == {
        KpiOutcome.MEETS_BOTH: 3,  # +25/−22, +40/−30, +30/−30
        KpiOutcome.BELOW_TARGET: 1,  # +10 %
        KpiOutcome.INSUFFICIENT_DATA: 1,  # low coverage
        KpiOutcome.NOT_VERIFIED: 0,
    }
    assert kpis.mean_productivity_gain_pct == Decimal("26.25")  # (25 + 40 + 10 + 30) / 4
    assert kpis.productivity_gain.insufficient_data == 1

    # Every histogram bar and the "target met" count link to drill-downs listing exactly that many factories.
    def drilled(**filters: Any) -> int:
        query = DrillQuery(DrillMetric.KPIS, **filters)
        with world.database.session() as session:
            return len(service_cockpit.read_drill(session, officer(world), None, query).rows)

    gain = KpiMeasure.PRODUCTIVITY_GAIN
    assert [drilled(measure=gain, lower=b.lower, upper=b.upper) for b in kpis.productivity_gain.buckets] == [
        b.count for b in kpis.productivity_gain.buckets
    ]
    assert drilled(measure=gain, insufficient=True) == 1
    assert drilled(measure=gain, lower=kpis.productivity_target_pct) == kpis.meeting_productivity == 3
    assert drilled(measure=KpiMeasure.COST_REDUCTION, lower=kpis.cost_target_pct) == kpis.meeting_cost == 4


def test_drill_downs_list_the_projects_behind_each_number(world: World, edition_id: int) -> None:
    a = add_project(world, edition_id, S.RECOGNISED, Industry.AUTOMOTIVE, District.JIADING,
                    name="上汽某厂", robots=(30, 30), kpis=("0.25", "-0.25"))  # fmt: skip
    b = add_project(world, edition_id, S.BENCHMARK, Industry.ELECTRONICS, District.PUDONG, robots=(12, 20))
    c = add_project(world, edition_id, S.DIAGNOSED, Industry.ELECTRONICS, District.PUDONG)
    add_project(world, edition_id, S.REJECTED, Industry.ELECTRONICS, District.PUDONG, robots=(9, 9))
    actor = officer(world)

    def ids(query: DrillQuery) -> list[int]:
        with world.database.session() as session:
            return sorted(row.project_id for row in service_cockpit.read_drill(session, actor, None, query).rows)

    assert ids(DrillQuery(DrillMetric.SMART_FACTORIES)) == sorted([a, b])
    assert ids(DrillQuery(DrillMetric.SMART_FACTORIES, industry=Industry.ELECTRONICS)) == [b]
    assert ids(DrillQuery(DrillMetric.SMART_FACTORIES, district=District.JIADING)) == [a]
    assert ids(DrillQuery(DrillMetric.PIPELINE)) == [c]
    assert ids(DrillQuery(DrillMetric.REACHED, stage=S.DIAGNOSED)) == sorted([a, b, c])
    assert ids(DrillQuery(DrillMetric.ROBOTS)) == sorted([a, b])  # the rejected project's robots are not counted
    assert ids(DrillQuery(DrillMetric.KPIS)) == sorted([a, b])
    assert ids(DrillQuery(DrillMetric.KPIS, outcome=KpiOutcome.NOT_VERIFIED)) == [b]
    with world.database.session() as session:
        drill = service_cockpit.read_drill(session, actor, edition_id, DrillQuery(DrillMetric.KPIS))
    first = next(row for row in drill.rows if row.project_id == a)
    assert first.enterprise_name == "上汽某厂" and first.outcome is KpiOutcome.MEETS_BOTH
    assert first.kpis is not None and first.kpis.productivity_change == Decimal("0.25")


def test_only_the_programme_office_reads_the_cockpit(world: World, edition_id: int) -> None:
    enterprise_id, account = programme_enterprise(world)
    caller = Principal(account.user_id, account.username, account.username, Role.ENTERPRISE, enterprise_id)
    with world.database.session() as session, pytest.raises(PermissionDenied):
        service_cockpit.read_cockpit(session, caller)


def test_cockpit_page_links_each_number_to_its_records(client: TestClient, world: World, edition_id: int) -> None:
    add_project(world, edition_id, S.RECOGNISED, Industry.AEROSPACE, District.QINGPU, name="商飞某厂", robots=(8, 8))
    add_project(world, edition_id, S.APPLIED, Industry.AEROSPACE, District.QINGPU)
    headers = bearer(client, world.user(Role.OFFICER))
    page = client.get("/programme/cockpit", headers=headers)
    assert page.status_code == 200, page.text
    html = page.text
    assert f'href="/programme/cockpit/drill/smart_factories?edition_id={edition_id}&amp;industry=aerospace"' in html
    assert f'href="/programme/projects?edition_id={edition_id}&amp;stage=applied"' in html
    assert f'href="/programme/cockpit/drill/robots?edition_id={edition_id}"' in html
    drill = client.get(f"/programme/cockpit/drill/smart_factories?edition_id={edition_id}&industry=aerospace",
                       headers=headers)  # fmt: skip
    assert drill.status_code == 200 and "商飞某厂" in drill.text
    assert client.get("/programme/cockpit/drill/nonsense", headers=headers).status_code == 422
    assert client.get("/programme/cockpit/drill/reached", headers=headers).status_code == 422  # needs a stage


def test_cockpit_json_and_who_may_open_it(client: TestClient, world: World, edition_id: int) -> None:
    add_project(world, edition_id, S.BENCHMARK, Industry.AUTOMOTIVE, robots=(3, 4))
    admin, enterprise = bearer(client, world.user(Role.ADMIN)), bearer(client, world.user(Role.ENTERPRISE))
    response = client.get(f"/api/programme/cockpit?edition_id={edition_id}", headers=admin)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["edition"]["id"] == edition_id
    targets = {row["key"]: row["progress"] for row in body["targets"]}
    assert targets["smart_factories"] == {"measured": 1, "target": 100, "share": "0.0100"}
    assert targets["robots"]["measured"] == 3
    assert client.get("/api/programme/cockpit?edition_id=999999", headers=admin).status_code == 404
    assert client.get("/api/programme/cockpit", headers=enterprise).status_code == 403
    assert client.get("/programme/cockpit", headers=enterprise).status_code == 403
    assert client.get("/api/programme/cockpit").status_code == 401
    assert client.get("/programme/cockpit", follow_redirects=False).headers["location"].startswith("/login")


def test_projects_moved_through_the_lifecycle_count_where_they_stand(world: World) -> None:
    """Built through the programme's own services (application, diagnosis, plan, construction, acceptance)."""
    recognised = built_project(world, S.RECOGNISED, industry=Industry.HIGH_END_EQUIPMENT, district=District.BAOSHAN,
                               robots_deployed=12)  # fmt: skip
    built_project(world, S.IN_CONSTRUCTION, industry=Industry.HIGH_END_EQUIPMENT, district=District.BAOSHAN)
    built_project(world, S.WITHDRAWN, industry=Industry.HIGH_END_EQUIPMENT)
    actor = officer(world)
    with world.database.session() as session:
        result = service_cockpit.read_cockpit(session, actor)
        drill = service_cockpit.read_drill(session, actor, None, DrillQuery(DrillMetric.SMART_FACTORIES))
    row = next(row for row in result.industries if row.industry is Industry.HIGH_END_EQUIPMENT)
    assert (row.recognised, row.in_pipeline, row.quota) == (1, 1, 20)
    assert {r.key: r.progress.measured for r in result.targets}[TargetKey.ROBOTS] == 12
    assert [(step.at_stage, step.reached) for step in result.funnel][:4] == [(0, 2), (0, 2), (0, 2), (1, 2)]
    assert result.closed[S.WITHDRAWN] == 1
    baoshan = next(r for r in result.districts if r.district is District.BAOSHAN)
    assert (baoshan.smart_factories, baoshan.in_pipeline) == (1, 1)
    assert [r.project_id for r in drill.rows] == [recognised.id]
    # The builder stores its acceptance without a KPI verification: counted as accepted, not verified.
    assert result.kpis.accepted == 1 and result.kpis.outcomes[KpiOutcome.NOT_VERIFIED] == 1
