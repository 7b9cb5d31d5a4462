"""Demo seeder for programme governance: the 2020–2022 edition run for about 150 enterprises over the seven
industries and Shanghai's 16 districts, every project at a lifecycle stage reached through the lifecycle, with
parks, system integrators in the directory, vertical platforms, the expert pool, talent cohorts, events, support
measures and the annual work plans — all made through the programme's services, so that timelines, audit entries
and validations are the product's own.

Which enterprise reaches which stage, and with what figures, is the pure seeded plan of ``governance_plan`` (143
enterprises) plus the assessment demo's seven, whose diagnoses the projects reuse; the demo enterprise
(上海临港汽车零部件有限公司) is in construction, so that the browser demo can walk it on to acceptance with the
verification its simulated factory's history yields. Every accepted factory's KPI verification is production's own
``run_verification``; for the enterprises without a simulated factory the telemetry-side daily totals it reads are
**synthetic, written at the materialised level** (see ``governance_books``), while the demo enterprise's come from
the simulator.

Runs once, after the accounts and assessment seeders, on the fresh database ``zhizao demo`` makes; on a database that
already holds programme projects it changes nothing and says so.
"""

from __future__ import annotations

import random
import time
from collections import Counter, defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import service as accounts
from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.accounts.schemas import UserCreate
from zhizao.assessment import service_pool
from zhizao.assessment.models import ExpertRecord
from zhizao.assessment.schemas import ExpertCreate, ProfileUpdate
from zhizao.db.engine import Database
from zhizao.demo import governance_community as community
from zhizao.demo.assessment import DEMO_TARGETS, ORGANISATION_NAMES
from zhizao.demo.governance_catalogue import (
    ASSESSMENT_INDUSTRY,
    INTEGRATORS,
    MORE_EXPERTS,
    PARKS,
    REJECTED_INTEGRATOR,
    enterprise_type,
)
from zhizao.demo.governance_lifecycle import (
    Cast,
    diagnose_all,
    existing_diagnosis,
    reach,
    reviewers_for,
    select_benchmarks,
    walk,
)
from zhizao.demo.governance_plan import SEED, DemoProject, assessment_demo_projects, demo_projects
from zhizao.programme import service_editions, service_enterprises, service_parks
from zhizao.programme.kinds import Industry, ProjectStage
from zhizao.programme.models import FactoryProject
from zhizao.programme.schemas_enterprises import EnterpriseCreate, ParkCreate, RecordFields
from zhizao.programme.service_projects import programme_today
from zhizao.seeding import SeedReport
from zhizao.settings import Settings

TITLE = "Programme governance (2020–2022 edition)"
USES_DEMO_INTEGRATOR = {target.name for target in DEMO_TARGETS if target.uses_demo_integrator}


def _fresh(session: Session) -> Session:
    session.rollback()
    return session


def _principal(session: Session, username: str) -> Principal:
    user = _fresh(session).scalars(select(User).where(User.username == username)).one()
    return principal_of(user)


def _cast(session: Session) -> Cast:
    """The seeded logins, and the expert pool with the experts the programme adds."""
    admin = principal_of(_fresh(session).scalars(select(User).where(User.role == Role.ADMIN).order_by(User.id)).one())
    committee = _fresh(session).scalar(select(User.organisation_id).where(User.username == "expert"))
    for expert in MORE_EXPERTS:
        user = UserCreate(
            username=expert.username, display_name=expert.display_name, password=f"zhizao-{expert.username}-demo",
            role=Role.EXPERT, organisation_id=committee,
        )  # fmt: skip
        user_id = accounts.create_user(_fresh(session), None, user).id
        record = ExpertCreate(
            user_id=user_id, industries=list(expert.industries), specialities=list(expert.specialities),
            employer_id=committee, region=expert.region,
        )  # fmt: skip
        service_pool.create_expert(_fresh(session), admin, record)
    pool = (
        _fresh(session)
        .execute(select(User, ExpertRecord.industries).join(ExpertRecord, ExpertRecord.user_id == User.id))
        .all()
    )
    return Cast(
        admin=admin,
        officer=_principal(session, "officer"),
        integrator=_principal(session, "integrator"),
        experts={user.id: principal_of(user) for user, _industries in pool},
        expert_industries={user.id: tuple(industries) for user, industries in pool},
    )


def _parks(session: Session, officer: Principal) -> dict[str, list[int]]:
    """The parks, by district."""
    by_district: dict[str, list[int]] = defaultdict(list)
    for name, district, description in PARKS:
        park = service_parks.create_park(
            _fresh(session), officer, ParkCreate(name=name, district=district, description=description)
        )
        by_district[district.value].append(park.id)
    return by_district


def _integrator_for(rng: random.Random, project: DemoProject) -> str:
    """The integrator that carries the project out: the demo integrator where the assessment demo says so, else
    one serving the industry, the larger ones more often."""
    if project.name in USES_DEMO_INTEGRATOR:
        return ORGANISATION_NAMES["integrator"]
    serving = [entry for entry in INTEGRATORS if project.industry in entry.industries]
    serving = [entry for entry in serving if entry.name != REJECTED_INTEGRATOR]
    weights = [float(entry.revenues[-1]) ** 0.5 for entry in serving]
    return rng.choices([entry.name for entry in serving], weights=weights)[0]


def _record(project: DemoProject, park_id: int | None) -> RecordFields:
    return RecordFields(
        industry=project.industry,
        district=project.district,
        park_id=park_id,
        size=project.size,
        employees=project.employees,
        annual_revenue_cny=project.budget_cny * 12,
        contact_name="智能制造办公室",
    )


def _register(session: Session, cast: Cast, project: DemoProject, park_id: int | None, integrator_id: int) -> int:
    """The enterprise in the programme (registered, or its record added) and its assessment profile."""
    record = _record(project, park_id)
    if project.existing:
        enterprise_id = community.existing_organisation(session, project.name)
        service_enterprises.put_record(_fresh(session), cast.admin, enterprise_id, record)
        return enterprise_id  # its assessment profile is the assessment demo's
    assert project.credit_code is not None
    data = EnterpriseCreate(name=project.name, credit_code=project.credit_code, **record.model_dump())
    enterprise_id = service_enterprises.register_enterprise(_fresh(session), None, data).enterprise_id
    profile = ProfileUpdate(
        industry=ASSESSMENT_INDUSTRY[project.industry], enterprise_type=enterprise_type(project.industry),
        integrator_ids=[integrator_id],
    )  # fmt: skip
    service_pool.update_profile(_fresh(session), cast.admin, enterprise_id, profile)
    return enterprise_id


def seed(database: Database, settings: Settings) -> SeedReport:
    began = time.monotonic()
    with database.session() as session:
        if _fresh(session).scalar(select(func.count()).select_from(FactoryProject)):
            return SeedReport(title=TITLE, headers=("what", "figure"), rows=[("unchanged", "projects exist already")])
        cast = _cast(session)
        edition = service_editions.ensure_default_edition(_fresh(session))
        edition_id, checklist = edition.id, service_editions.edition_rules(edition).acceptance.checklist
        parks = _parks(session, cast.officer)
        integrator_ids = community.integrators(session, cast.admin)
        plan = demo_projects() + assessment_demo_projects()
        rng = random.Random(SEED)  # noqa: S311 - demo data, reproducible on purpose
        enterprises: list[tuple[int, int, DemoProject]] = []  # (enterprise, integrator, plan)
        for index, project in enumerate(plan):
            integrator_id = integrator_ids[_integrator_for(rng, project)]
            in_district = parks.get(project.district.value, [])
            park_id = in_district[index % len(in_district)] if in_district and index % 5 < 3 else None
            enterprise_id = _register(session, cast, project, park_id, integrator_id)
            enterprises.append((enterprise_id, integrator_id, project))
        to_diagnose = [(e, p) for e, _i, p in enterprises if reach(p) >= 1 and not p.existing]
        diagnoses = diagnose_all(session, cast, to_diagnose)
        diagnosed_at = time.monotonic()
        projects: list[tuple[int, DemoProject]] = []
        benchmarks: dict[Industry, list[int]] = defaultdict(list)
        for turn, (enterprise_id, integrator_id, project) in enumerate(enterprises):
            diagnosis_id = diagnoses.get(enterprise_id)
            if project.existing and reach(project) >= 1:
                diagnosis_id = existing_diagnosis(session, enterprise_id)
            reviewers = reviewers_for(cast, project.industry, turn)
            project_id = walk(session, cast, project, enterprise_id, integrator_id, diagnosis_id, reviewers, checklist)
            projects.append((project_id, project))
            if project.stage is ProjectStage.BENCHMARK:
                benchmarks[project.industry].append(project_id)
        decisions = select_benchmarks(session, cast, benchmarks)
        statuses = community.review_integrators(session, cast.officer, integrator_ids)
        codes: dict[Industry, list[str]] = defaultdict(list)
        for _e, _i, project in enterprises:
            if project.credit_code is not None:
                codes[project.industry].append(project.credit_code)
        platforms = community.platforms(session, cast.admin, codes)
        employers = [enterprise_id for enterprise_id, _i, _p in enterprises[::3]] + list(integrator_ids.values())
        cohorts = community.talent(session, cast.officer, edition_id, employers)
        events = community.events(
            session, cast.officer, [(e, p.industry) for e, _i, p in enterprises], list(integrator_ids.values())
        )
        measures = community.support(session, cast.officer, projects)
        tasks = community.work_plan(session, cast.officer, programme_today())
        session.rollback()
    stages = Counter(project.stage.value for _id, project in projects)
    listed = Counter(status.value for status in statuses.values())
    return SeedReport(
        title=TITLE,
        headers=("what", "figure"),
        rows=[
            ("enterprises", f"{len(enterprises)} in {len({p.industry for _e, _i, p in enterprises})} industries, "
                            f"{len({p.district for _e, _i, p in enterprises})} districts, {len(PARKS)} parks"),
            *((f"projects {stage.value}", str(stages.get(stage.value, 0))) for stage in ProjectStage),
            ("on-site diagnoses closed", str(len(diagnoses))),
            ("benchmark decisions", str(len(decisions))),
            ("integrators", ", ".join(f"{count} {status}" for status, count in sorted(listed.items()))),
            ("platforms (enterprises linked)", f"{len(platforms)} ({sum(clients for _name, clients in platforms)})"),
            ("talent cohorts", str(len(cohorts))),
            ("events, requests, matches", ", ".join(map(str, events))),
            ("support measures", str(measures)),
            ("work-plan tasks", str(tasks)),
            ("seconds (of which diagnoses)", f"{time.monotonic() - began:.0f} ({diagnosed_at - began:.0f})"),
        ],
    )  # fmt: skip
