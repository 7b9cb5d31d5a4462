"""The demo programme's community, through the services: system integrators' directory applications and the
office's reviews, vertical platforms with the enterprises they serve, talent cohorts with trainees (completed,
certified, a few excellent consultants), events with supply–demand requests and matches, support measures on
projects, and the annual work plans of 2020–2022.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import service as accounts
from zhizao.accounts.credit_code import ALPHABET, complete
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind
from zhizao.accounts.schemas import OrganisationCreate
from zhizao.demo.governance_catalogue import (
    COHORTS,
    DEMANDS,
    EVENTS,
    GIVEN_NAMES,
    INTEGRATORS,
    PLATFORMS,
    REJECTED_INTEGRATOR,
    SUPPLIES,
    SUPPORT_PROVIDERS,
    SURNAMES,
    WORK_PLAN,
)
from zhizao.demo.governance_plan import DIVISION_CODES, DemoProject
from zhizao.programme import service_directory, service_events, service_platforms, service_support, service_talent
from zhizao.programme import service_workplan as workplan
from zhizao.programme.directory import IntegratorStatus, ReviewDecision
from zhizao.programme.kinds import District, Industry, ProjectStage
from zhizao.programme.models_community import EventKind, MatchSide, SupportKind, TaskStatus, TraineeStatus
from zhizao.programme.schemas_community import (
    CertificationCreate,
    CohortCreate,
    EventCreate,
    ExcellentSelection,
    MatchCreate,
    MatchRequestCreate,
    SupportCreate,
    TraineeCreate,
    TraineeUpdate,
    WorkTaskCreate,
)
from zhizao.programme.schemas_directory import (
    IntegratorApplication,
    IntegratorReview,
    PlatformClientCreate,
    PlatformCreate,
    PlatformServiceItem,
    RevenueEntry,
)
from zhizao.programme.service_enterprises import organisation_district

SEED = 20201  # the community's own draws, independent of the enterprises'


def _fresh(session: Session) -> Session:
    session.rollback()
    return session


def _organisation(
    session: Session, name: str, kind: OrganisationKind, district: District, credit_code: str | None
) -> int:
    data = OrganisationCreate(name=name, kind=kind, district=organisation_district(district), credit_code=credit_code)
    return accounts.create_organisation(_fresh(session), None, data).id


def existing_organisation(session: Session, name: str) -> int:
    found = _fresh(session).scalar(select(Organisation.id).where(Organisation.name == name))
    assert found is not None, f"{name} is seeded by the accounts seeder first"
    return found


def _credit_code(rng: random.Random, district: District) -> str:
    return complete("91" + DIVISION_CODES[district] + "".join(rng.choice(ALPHABET) for _ in range(9)))


# --- integrators -----------------------------------------------------------------------------------------------


def integrators(session: Session, admin: Principal) -> dict[str, int]:
    """Each integrator's organisation (made here unless the accounts seeder made it) and its application."""
    rng = random.Random(SEED)  # noqa: S311 - demo data, reproducible on purpose
    ids = {}
    for entry in INTEGRATORS:
        if entry.existing:
            ids[entry.name] = existing_organisation(session, entry.name)
        else:
            code = _credit_code(rng, entry.district)
            ids[entry.name] = _organisation(session, entry.name, OrganisationKind.INTEGRATOR, entry.district, code)
        application = IntegratorApplication(
            description=entry.description,
            contact_name=f"{SURNAMES[len(ids) % len(SURNAMES)]}经理",
            contact_phone=f"021-6{len(ids):03d}{rng.randint(1000, 9999)}",
            industries=list(entry.industries),
            capabilities=list(entry.capabilities),
            revenues=[RevenueEntry(year=year, revenue_cny=value) for year, value in entry.revenue_by_year().items()],
        )
        service_directory.put_application(_fresh(session), admin, ids[entry.name], application)
    return ids


def review_integrators(session: Session, officer: Principal, ids: dict[str, int]) -> dict[str, IntegratorStatus]:
    """List those meeting the edition's criteria, turn down the one below the revenue minimum; integrators with no
    delivered project yet wait in the queue."""
    statuses = {}
    for name, integrator_id in ids.items():
        entry = service_directory.read_entry(_fresh(session), officer, integrator_id)
        if name == REJECTED_INTEGRATOR:
            review = IntegratorReview(
                decision=ReviewDecision.REJECT, note="营业收入低于目录入选标准（1 亿元），暂不入选"
            )
        elif entry.criteria.met:
            review = IntegratorReview(decision=ReviewDecision.LIST, note="收入与交付业绩符合本期目录标准")
        else:
            statuses[name] = entry.status
            continue
        statuses[name] = service_directory.review(_fresh(session), officer, integrator_id, review).status
    return statuses


# --- platforms -------------------------------------------------------------------------------------------------


def platforms(session: Session, admin: Principal, codes: dict[Industry, list[str]]) -> list[tuple[str, int]]:
    """Each platform with its services, and the registered enterprises of its industry it serves (linked by credit
    code); returns (platform, linked clients)."""
    rng = random.Random(SEED + 1)  # noqa: S311 - demo data, reproducible on purpose
    rows = []
    for entry in PLATFORMS:
        if entry.existing:
            operator = existing_organisation(session, entry.operator)
        else:
            code = _credit_code(rng, entry.district)
            operator = _organisation(session, entry.operator, OrganisationKind.PLATFORM, entry.district, code)
        data = PlatformCreate(
            operator_id=operator, name=entry.name, industry=entry.industry, description=entry.description,
            services=[PlatformServiceItem(name=name) for name in entry.services],
            enterprises_served=entry.enterprises_served, served_as_of=date(2022, 12, 31),
        )  # fmt: skip
        platform_id = service_platforms.create_platform(_fresh(session), admin, data).id
        clients = codes.get(entry.industry, [])[:6]
        for credit_code in clients:
            client = PlatformClientCreate(credit_code=credit_code)
            service_platforms.link_client(_fresh(session), admin, platform_id, client)
        rows.append((entry.name, len(clients)))
    return rows


# --- talent ----------------------------------------------------------------------------------------------------


def _trainee_name(index: int) -> str:
    return SURNAMES[(index * 7) % len(SURNAMES)] + GIVEN_NAMES[(index * 11) % len(GIVEN_NAMES)]


def talent(session: Session, officer: Principal, edition_id: int, employers: Sequence[int]) -> list[tuple[str, str]]:
    """The cohorts with their trainees: most complete the course, most of those are certified, a few drop out;
    the best consultant of each consultant cohort is selected as excellent. Returns (cohort, counts) rows."""
    rows = []
    number = 0
    for year, track, name, provider, starts, ends, size in COHORTS:
        cohort = CohortCreate(
            edition_id=edition_id, name=name, track=track, provider=provider, starts_on=date(year, *starts),
            ends_on=date(year, *ends), capacity=size + 5,
        )  # fmt: skip
        cohort_id = service_talent.create_cohort(_fresh(session), officer, cohort).id
        certified = 0
        for position in range(size):
            number += 1
            data = TraineeCreate(name=_trainee_name(number), employer_id=employers[number % len(employers)])
            trainee_id = service_talent.add_trainee(_fresh(session), officer, cohort_id, data).id
            if year == 2022 and ends[0] > 6:
                continue  # the last cohort is still in training
            outcome = TraineeStatus.DROPPED if position % 13 == 5 else TraineeStatus.COMPLETED
            service_talent.update_trainee(_fresh(session), officer, trainee_id, TraineeUpdate(status=outcome))
            if outcome is TraineeStatus.DROPPED or position % 6 == 4:
                continue  # completed without passing the certification exam
            prefix = "GHS" if track.value == "planner" else "ZXS"
            certificate = CertificationCreate(
                certificate_no=f"{prefix}-{year}-{cohort_id:02d}{position + 1:03d}",
                certified_on=date(year, *ends) + timedelta(days=21),
            )
            service_talent.certify(_fresh(session), officer, trainee_id, certificate)
            certified += 1
            if track.value == "consultant" and position in (0, 7):
                selection = ExcellentSelection(
                    rationale="主持完成 3 家企业的智能制造诊断与方案编制，企业满意度高，评为优秀咨询师",
                    selected_on=date(year + 1, 1, 15),
                )
                service_talent.select_excellent(_fresh(session), officer, trainee_id, selection)
        rows.append((name, f"{size} enrolled, {certified} certified"))
    return rows


# --- events and matchmaking --------------------------------------------------------------------------------------


def events(
    session: Session, officer: Principal, enterprises: Sequence[tuple[int, Industry]], integrator_ids: Sequence[int]
) -> tuple[int, int, int]:
    """The events, and at each matchmaking event enterprises' demands and integrators' supplies, most matched;
    returns (events, requests, matched pairs)."""
    requests = matched = 0
    for index, (title, kind, held_on, district, venue, organiser) in enumerate(EVENTS):
        held = date.fromisoformat(held_on)
        data = EventCreate(title=title, kind=kind, held_on=held, district=district, venue=venue, organiser=organiser)
        event_id = service_events.create_event(_fresh(session), officer, data).id
        if kind is not EventKind.MATCHMAKING:
            continue
        for pair in range(3):
            enterprise_id, industry = enterprises[(index * 3 + pair) * 7 % len(enterprises)]
            topic = (index + pair) % len(DEMANDS)
            demand = MatchRequestCreate(
                organisation_id=enterprise_id, side=MatchSide.DEMAND, subject=DEMANDS[topic], industry=industry,
                description=f"寻求{DEMANDS[topic]}的成熟方案与实施服务，计划年内启动", event_id=event_id,
            )  # fmt: skip
            supply = MatchRequestCreate(
                organisation_id=integrator_ids[(index + pair) % len(integrator_ids)], side=MatchSide.SUPPLY,
                subject=SUPPLIES[topic], industry=industry, description=f"提供{SUPPLIES[topic]}，含实施与运维",
                event_id=event_id,
            )  # fmt: skip
            demand_id = service_events.create_request(_fresh(session), officer, demand).id
            supply_id = service_events.create_request(_fresh(session), officer, supply).id
            requests += 2
            if pair < 2:
                note = MatchCreate(counterpart_id=supply_id, note="会上洽谈，达成合作意向")
                service_events.match(_fresh(session), officer, demand_id, note, held + timedelta(days=pair + 3))
                matched += 1
    return len(EVENTS), requests, matched


# --- support measures and the work plan --------------------------------------------------------------------------


SUPPORTED_STAGES = frozenset(
    {ProjectStage.PLAN_APPROVED, ProjectStage.IN_CONSTRUCTION, ProjectStage.ACCEPTED, ProjectStage.RECOGNISED,
     ProjectStage.BENCHMARK}
)  # fmt: skip


def support(session: Session, officer: Principal, projects: Sequence[tuple[int, DemoProject]]) -> int:
    """Subsidies for every third project under way or done, and loans, funds, leases and insurance for some."""
    kinds = list(SupportKind)
    recorded = 0
    for index, (project_id, project) in enumerate(projects):
        if project.stage not in SUPPORTED_STAGES or index % 3:
            continue
        chosen = [SupportKind.SUBSIDY] + ([kinds[1 + (index // 6) % 4]] if index % 2 == 0 else [])
        for kind in chosen:
            provider, percent = SUPPORT_PROVIDERS[kind]
            amount = (project.budget_cny * percent / 100).quantize(Decimal("1000"))
            data = SupportCreate(
                kind=kind, amount_cny=amount, provider=provider, granted_on=date(project.applied_year, 11, 20),
                reference=f"{kind.value.upper()}-{project.applied_year}-{project_id:04d}",
            )  # fmt: skip
            service_support.record_measure(_fresh(session), officer, project_id, data)
            recorded += 1
    return recorded


def work_plan(session: Session, officer: Principal, today: date) -> int:
    tasks = 0
    for year, entries in WORK_PLAN.items():
        for title, due, status, progress, note in entries:
            data = WorkTaskCreate(
                year=year, title=title, owner_id=officer.user_id, due_on=date(year, *due), status=TaskStatus(status),
                progress=progress, note=note or None,
            )  # fmt: skip
            workplan.create_task(_fresh(session), officer, data, today)
            tasks += 1
    return tasks
