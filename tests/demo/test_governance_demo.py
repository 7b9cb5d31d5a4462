"""The programme-governance demo: about 150 enterprises over the seven industries and sixteen districts, projects at
every stage reached through the lifecycle, verified KPIs for every accepted factory, benchmarks within their
quotas, and the community around them — seeded once (on SQLite: on PostgreSQL it takes minutes) and read here.

Determinism: the plan is drawn twice and compared, and the database is compared with it name by name and stage by
stage, so two seedings hold the same programme; seeding again changes nothing.
"""

from __future__ import annotations

import shutil
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.conftest import TEST_SECRET
from zhizao.accounts import demo as accounts_demo
from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import AuditEntry, Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.db.engine import Database, create_database
from zhizao.demo import SEEDERS, governance
from zhizao.demo import assessment as assessment_demo
from zhizao.demo.governance_plan import assessment_demo_projects, demo_projects
from zhizao.production.models import KpiVerification
from zhizao.production.programme import Kpi
from zhizao.production.programme_service import verification_of
from zhizao.programme import service_cockpit, service_directory, service_editions, service_platforms, service_talent
from zhizao.programme.acceptance import Decision
from zhizao.programme.kinds import FUNNEL_STAGES, District, Industry, ProjectStage
from zhizao.programme.models import EnterpriseRecord, FactoryProject, ProjectEvent
from zhizao.programme.models_acceptance import Acceptance, BenchmarkDecision
from zhizao.programme.models_community import Cohort
from zhizao.seeding import SeedReport
from zhizao.settings import Settings, load_settings
from zhizao.simulator import seed as factory_demo
from zhizao.simulator.seed import DEMO_ENTERPRISE

MEETS = "meets"


@pytest.fixture(scope="module")
def seeded(
    sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Database, Settings, SeedReport]]:
    """One SQLite database with the accounts, factory, assessment and governance demos, for every test here."""
    directory = tmp_path_factory.mktemp("governance-demo")
    shutil.copyfile(sqlite_template, directory / "zhizao.db")
    settings = load_settings(data_dir=directory, secret_key=TEST_SECRET)
    database = create_database(settings)
    accounts_demo.seed(database, settings)
    factory_demo.seed(database, settings)
    assessment_demo.seed(database, settings)
    report = governance.seed(database, settings)
    yield database, settings, report
    database.dispose()


def _officer(session: Session) -> Principal:
    officer = principal_of(session.scalars(select(User).where(User.username == "officer")).one())
    session.rollback()
    return officer


def _stages(session: Session) -> dict[str, ProjectStage]:
    query = select(Organisation.name, FactoryProject.stage).join(
        FactoryProject, FactoryProject.enterprise_id == Organisation.id
    )
    return dict(session.execute(query).all())


def test_the_seeder_runs_after_the_assessment_demo() -> None:
    assert SEEDERS.index(governance.seed) == SEEDERS.index(assessment_demo.seed) + 1


def test_about_150_enterprises_over_every_industry_and_district(seeded: tuple[Database, Settings, SeedReport]) -> None:
    database, _settings, _report = seeded
    with database.session() as session:
        records = session.scalars(select(EnterpriseRecord)).all()
        assert 140 <= len(records) <= 160
        assert {record.industry for record in records} == set(Industry)
        assert {record.district for record in records} == set(District)
        assert sum(record.park_id is not None for record in records) >= 30
        projects = session.scalars(select(FactoryProject)).all()
        assert len(projects) == len(records)  # one project each, in the current edition
        assert {project.stage for project in projects} == set(ProjectStage)
        assert _stages(session)[DEMO_ENTERPRISE] is ProjectStage.IN_CONSTRUCTION  # the browser demo walks it on


def test_the_database_holds_the_plan_and_the_plan_is_drawn_alike_each_time(
    seeded: tuple[Database, Settings, SeedReport],
) -> None:
    database, _settings, _report = seeded
    assert demo_projects() == demo_projects() and assessment_demo_projects() == assessment_demo_projects()
    planned = {project.name: project.stage for project in demo_projects() + assessment_demo_projects()}
    with database.session() as session:
        assert _stages(session) == planned


def test_every_stage_was_reached_through_the_lifecycle(seeded: tuple[Database, Settings, SeedReport]) -> None:
    database, _settings, _report = seeded
    with database.session() as session:
        for project in session.scalars(select(FactoryProject)):
            moves = session.execute(
                select(ProjectEvent.action, ProjectEvent.from_stage, ProjectEvent.to_stage)
                .where(ProjectEvent.project_id == project.id)
                .order_by(ProjectEvent.id)
            ).all()
            assert moves[0] == ("apply", None, "applied"), project.title
            path = [to_stage for _action, _from, to_stage in moves if to_stage is not None]
            assert path[-1] == project.stage.value, project.title
            funnel = [stage.value for stage in FUNNEL_STAGES]
            ended = project.stage in (ProjectStage.REJECTED, ProjectStage.WITHDRAWN)
            walked = path[:-1] if ended else path
            assert walked == funnel[: len(walked)], (project.title, path)  # one step at a time, none skipped
            if ended:
                assert moves[-1][0] in ("reject", "withdraw") and session.scalar(
                    select(ProjectEvent.rationale).where(ProjectEvent.project_id == project.id).order_by(
                        ProjectEvent.id.desc()).limit(1)
                ), project.title  # fmt: skip
            if len(walked) > 1:
                assert project.diagnosis_id is not None and project.maturity_level is not None
        transitions = session.scalar(select(func.count()).where(AuditEntry.action.like("programme_project.%")))
        assert transitions is not None and transitions > 500


def test_accepted_factories_have_their_verified_kpis(seeded: tuple[Database, Settings, SeedReport]) -> None:
    database, _settings, _report = seeded
    plan = {project.name: project for project in demo_projects() + assessment_demo_projects()}
    accepted = (ProjectStage.ACCEPTED, ProjectStage.RECOGNISED, ProjectStage.BENCHMARK)
    with database.session() as session:
        rows = session.execute(
            select(Organisation.name, FactoryProject, KpiVerification)
            .join(FactoryProject, FactoryProject.enterprise_id == Organisation.id)
            .join(KpiVerification, KpiVerification.id == FactoryProject.verification_id)
            .where(FactoryProject.stage.in_(accepted))
        ).all()
        assert len(rows) == sum(project.stage in accepted for project in plan.values()) >= 75
        for name, project, verification in rows:
            assert (verification.productivity_verdict, verification.cost_verdict) == (MEETS, MEETS), name
            result = verification_of(verification)
            gain, cost = result.kpi(Kpi.PRODUCTIVITY).change, result.kpi(Kpi.OPERATING_COST).change
            assert gain is not None and cost is not None
            assert abs(gain * 100 - plan[name].productivity_gain_pct) < Decimal("0.5"), name
            assert abs(cost * 100 + plan[name].cost_reduction_pct) < Decimal("0.05"), name
            assert result.baseline.coverage.share == 1 and project.maturity_level is not None
        failed = session.execute(
            select(FactoryProject.stage, KpiVerification.productivity_verdict)
            .join(Acceptance, Acceptance.project_id == FactoryProject.id)
            .join(KpiVerification, KpiVerification.id == Acceptance.verification_id)
            .where(Acceptance.decision == Decision.FAILED)
        ).all()
        assert len(failed) == 3 and all(row == (ProjectStage.IN_CONSTRUCTION, "does_not_meet") for row in failed)
        cockpit = service_cockpit.read_cockpit(session, _officer(session))
        assert cockpit.kpis.accepted == len(rows) and cockpit.kpis.meeting_productivity == len(rows)


def test_benchmarks_stay_within_their_quotas(seeded: tuple[Database, Settings, SeedReport]) -> None:
    database, _settings, _report = seeded
    with database.session() as session:
        edition = service_editions.current_edition(session)
        quotas = service_editions.edition_targets(edition).benchmark_quotas
        benchmarks = Counter(
            session.scalars(select(FactoryProject.industry).where(FactoryProject.stage == ProjectStage.BENCHMARK))
        )
        assert sum(benchmarks.values()) >= 5
        assert all(count <= quotas.get(industry, 0) for industry, count in benchmarks.items()), benchmarks
        decisions = session.scalars(select(BenchmarkDecision)).all()
        assert sum(decision.selected for decision in decisions) == sum(benchmarks.values())
        assert any(not decision.selected for decision in decisions)


def test_the_community_is_there(seeded: tuple[Database, Settings, SeedReport]) -> None:
    database, _settings, _report = seeded
    with database.session() as session:
        edition = service_editions.current_edition(session)
        over_1bn, over_10bn, listed = service_directory.integrator_counts(session, edition)
        assert listed >= 10 and over_1bn >= 5 and 1 <= over_10bn <= 2
        platforms, served = service_platforms.platform_counts(session)
        assert 4 <= platforms <= 6 and served > 5000
        assert (session.scalar(select(func.count()).select_from(Cohort)) or 0) >= 4
        counts = service_talent.talent_counts(session, edition.id)
        assert counts.certified > 50 and counts.excellent >= 2
        cockpit = service_cockpit.read_cockpit(session, _officer(session))
        assert all(row.measures and row.amount_cny > 0 for row in cockpit.support)


def test_seeding_again_changes_nothing(seeded: tuple[Database, Settings, SeedReport]) -> None:
    database, settings, _report = seeded
    with database.session() as session:
        before = session.scalar(select(func.count()).select_from(AuditEntry))
    report = governance.seed(database, settings)
    assert report.rows == [("unchanged", "projects exist already")]
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_projects_carry_the_days_of_their_decisions(seeded: tuple[Database, Settings, SeedReport]) -> None:
    """Applications in the edition's years and recognitions after them, as the office registered them."""
    database, _settings, _report = seeded
    with database.session() as session:
        rows = session.execute(select(FactoryProject.applied_on, FactoryProject.recognised_on, FactoryProject.stage))
        days = list(rows)
    assert {applied.year for applied, _, _ in days} <= {2020, 2021, 2022}
    recognised = [
        (applied, on) for applied, on, stage in days if stage in (ProjectStage.RECOGNISED, ProjectStage.BENCHMARK)
    ]
    assert recognised and all(on is not None and applied < on and on.year <= 2023 for applied, on in recognised)
