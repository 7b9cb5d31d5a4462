"""Pages of the programme's acceptance area: the acceptances in the caller's scope (officers open one there), an
acceptance with its checklist, expert reviews, KPI results with their verdicts and the maturity level, and the forms
of each step (officer: reviewers, checklist, verification, decision; assigned expert: the review); benchmark
selection with the ranking per industry, the quota used and left, and the decision forms.

Every step calls the services with the API's role guards; what a service refuses is shown on the page (422). The
choices the officer's forms offer (experts, projects awaiting acceptance) are read here, as the expert-pool page
reads its candidates; the services check whatever is posted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import exists, select
from sqlalchemy.orm import Session
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import FieldProblem
from zhizao.fields import IdPath, IdQuery, NoNul
from zhizao.production.pages_programme import KPI_LABELS, VERDICT_LABELS, figure, money, percent
from zhizao.production.programme import Kpi, Verdict
from zhizao.programme import acceptance_access, service_acceptance, service_benchmark, service_editions
from zhizao.programme.acceptance import DECISION_LABELS, OPINION_LABELS, STATUS_LABELS, AcceptanceStatus
from zhizao.programme.deps import ACCEPTANCE_VIEWERS, OVERSEERS, AcceptanceViewer, Expert, Overseer
from zhizao.programme.kinds import ProjectStage
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_acceptance import Acceptance
from zhizao.programme.page_forms import form_page, submit
from zhizao.programme.schemas_acceptance import (
    AcceptanceCreate,
    AcceptanceDecide,
    AcceptanceRead,
    BenchmarkDecisionCreate,
    ChecklistItem,
    ChecklistUpdate,
    KpiSummary,
    ReviewersUpdate,
    ReviewSubmit,
    VerificationAttach,
)
from zhizao.ui.forms import optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem

router = APIRouter(include_in_schema=False)

HOME = "/programme/acceptances"
BENCHMARKS = "/programme/benchmarks"
NAV = (
    NavItem(N_("Acceptance"), HOME, roles=frozenset(ACCEPTANCE_VIEWERS), order=620),
    NavItem(N_("Benchmark selection"), BENCHMARKS, roles=frozenset(OVERSEERS), order=630),
)
FormText = Annotated[str, Form(max_length=4000), NoNul]
FormTexts = Annotated[list[str], Form()]
SHOWN_KPIS = (Kpi.PRODUCTIVITY, Kpi.OPERATING_COST, Kpi.DEFECT_RATE, Kpi.ENERGY_KWH_PER_UNIT)


def _ids(values: list[str]) -> list[int]:
    """Ids picked in a form; anything not a number is -1, for the schema to name."""
    return [optional_int(value) or -1 for value in values if value.strip()]


# --- the list ----------------------------------------------------------------------------------------------


def _expert_users(session: Session) -> list[tuple[int, str]]:
    """Active users of role expert (id, name): the reviewers an officer may assign."""
    query = select(User.id, User.display_name).where(User.role == Role.EXPERT, User.is_active)
    return [(user_id, name) for user_id, name in session.execute(query.order_by(User.display_name, User.id)).all()]


def _projects_awaiting(session: Session) -> list[tuple[int, str, str]]:
    """Projects in construction with no open acceptance (id, title, enterprise name), for the officer to open one."""
    is_open = exists(
        select(Acceptance.id).where(
            Acceptance.project_id == FactoryProject.id, Acceptance.status == AcceptanceStatus.OPEN
        )
    )
    query = (
        select(FactoryProject.id, FactoryProject.title, Organisation.name)
        .join(Organisation, Organisation.id == FactoryProject.enterprise_id)
        .where(FactoryProject.stage == ProjectStage.IN_CONSTRUCTION, ~is_open)
        .order_by(Organisation.name, FactoryProject.id)
    )
    return [(project_id, title, name) for project_id, title, name in session.execute(query).all()]


def _list_view(request: Request, principal: Principal, session: Session, problems: list[FieldProblem]) -> Response:
    rows = acceptance_access.list_acceptances(session, principal)
    overseer = principal.role in OVERSEERS
    context = {
        "acceptances": [acceptance_access.acceptance_read(session, row) for row in rows],
        "status_labels": STATUS_LABELS,
        "decision_labels": DECISION_LABELS,
        "can_open": overseer,
        "awaiting": _projects_awaiting(session) if overseer else [],
        "experts": _expert_users(session) if overseer else [],
    }
    return form_page(request, "programme/acceptance_list.html", context, problems)


@router.get(HOME)
def acceptances_page(request: Request, principal: AcceptanceViewer, session: SessionDep) -> Response:
    return _list_view(request, principal, session, [])


@router.post(HOME)
def open_acceptance(
    request: Request,
    principal: Overseer,
    session: SessionDep,
    project_id: Annotated[str, Form(max_length=20)] = "",
    expert_user_ids: FormTexts = [],  # noqa: B006 (FastAPI copies the default)
) -> Response:
    def run() -> AcceptanceRead:
        data = AcceptanceCreate(project_id=optional_int(project_id) or -1, expert_user_ids=_ids(expert_user_ids))
        return service_acceptance.open_acceptance(session, principal, data)

    view = lambda problems: _list_view(request, principal, session, problems)  # noqa: E731
    return submit(session, run, lambda opened: f"{HOME}/{opened.id}", view)


# --- one acceptance ----------------------------------------------------------------------------------------


def _kpi_rows(summary: KpiSummary | None) -> list[dict[str, str]]:
    if summary is None:
        return []
    lines = {line.kpi: line for line in summary.kpis}
    return [
        {
            "kpi": kpi.value,
            "label": KPI_LABELS[kpi],
            "baseline": figure(lines[kpi].baseline),
            "evaluation": figure(lines[kpi].evaluation),
            "change": percent(lines[kpi].change, signed=True),
            "verdict": lines[kpi].verdict,
            "verdict_label": VERDICT_LABELS[Verdict(lines[kpi].verdict)],
        }
        for kpi in SHOWN_KPIS
        if kpi.value in lines
    ]


def _input_rows(summary: KpiSummary | None) -> list[tuple[str, str, str]]:
    if summary is None:
        return []
    before, after = summary.baseline, summary.evaluation
    return [
        (N_("Equivalent units (EU)"), figure(before.equivalent_units), figure(after.equivalent_units)),
        (N_("Labour hours"), figure(before.labour_hours), figure(after.labour_hours)),
        (
            N_("Operating cost at baseline prices (CNY)"),
            money(before.cost_at_constant_prices),
            money(after.cost_at_constant_prices),
        ),
        (N_("Telemetry coverage"), percent(before.coverage), percent(after.coverage)),
    ]


def _detail_view(
    request: Request, principal: Principal, session: Session, acceptance_id: int, problems: list[FieldProblem]
) -> Response:
    read = acceptance_access.acceptance_read(
        session, acceptance_access.get_acceptance(session, principal, acceptance_id)
    )
    is_open = read.status == AcceptanceStatus.OPEN
    overseer = principal.role in OVERSEERS
    own = next((review for review in read.reviews if review.expert_user_id == principal.user_id), None)
    context = {
        "a": read,
        "kpis": _kpi_rows(read.kpi_summary),
        "inputs": _input_rows(read.kpi_summary),
        "status_labels": STATUS_LABELS,
        "decision_labels": DECISION_LABELS,
        "opinion_labels": OPINION_LABELS,
        "can_manage": overseer and is_open,
        "can_review": principal.role == Role.EXPERT and is_open and own is not None,
        "own_review": own,
        "sees_verifications": overseer,
        "options": service_acceptance.verification_options(session, principal, acceptance_id)
        if overseer and is_open
        else [],
        "experts": _expert_users(session) if overseer and is_open else [],
        "reviewer_ids": {review.expert_user_id for review in read.reviews},
    }
    return form_page(request, "programme/acceptance_detail.html", context, problems)


@router.get(HOME + "/{acceptance_id}")
def acceptance_page(
    request: Request, acceptance_id: IdPath, principal: AcceptanceViewer, session: SessionDep
) -> Response:
    return _detail_view(request, principal, session, acceptance_id, [])


def _after_step(
    request: Request, principal: Principal, session: Session, acceptance_id: int, action: Callable[[], object]
) -> Response:
    view = lambda problems: _detail_view(request, principal, session, acceptance_id, problems)  # noqa: E731
    return submit(session, action, f"{HOME}/{acceptance_id}", view)


@router.post(HOME + "/{acceptance_id}/reviewers")
def set_reviewers(
    request: Request,
    acceptance_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    expert_user_ids: FormTexts = [],  # noqa: B006 (FastAPI copies the default)
) -> Response:
    return _after_step(
        request, principal, session, acceptance_id,
        lambda: service_acceptance.set_reviewers(
            session, principal, acceptance_id, ReviewersUpdate(expert_user_ids=_ids(expert_user_ids))
        ),
    )  # fmt: skip


@router.post(HOME + "/{acceptance_id}/checklist")
def mark_checklist(
    request: Request,
    acceptance_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    key: FormTexts = [],  # noqa: B006 (FastAPI copies the default)
    note: FormTexts = [],  # noqa: B006
    passed: FormTexts = [],  # noqa: B006 (the keys whose box is ticked)
) -> Response:
    def run() -> object:
        items = [
            ChecklistItem(key=each, passed=each in passed, note=note[index] if index < len(note) else "")
            for index, each in enumerate(key)
        ]
        return service_acceptance.mark_checklist(session, principal, acceptance_id, ChecklistUpdate(items=items))

    return _after_step(request, principal, session, acceptance_id, run)


@router.post(HOME + "/{acceptance_id}/verification")
def attach_verification(
    request: Request,
    acceptance_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    verification_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    return _after_step(
        request, principal, session, acceptance_id,
        lambda: service_acceptance.attach_verification(
            session, principal, acceptance_id, VerificationAttach(verification_id=optional_int(verification_id) or -1)
        ),
    )  # fmt: skip


@router.post(HOME + "/{acceptance_id}/review")
def submit_review(
    request: Request,
    acceptance_id: IdPath,
    principal: Expert,
    session: SessionDep,
    opinion: Annotated[str, Form(max_length=20)] = "",
    comment: FormText = "",
) -> Response:
    return _after_step(
        request, principal, session, acceptance_id,
        lambda: service_acceptance.submit_review(
            session, principal, acceptance_id, ReviewSubmit.model_validate({"opinion": opinion, "comment": comment})
        ),
    )  # fmt: skip


@router.post(HOME + "/{acceptance_id}/decision")
def decide(
    request: Request,
    acceptance_id: IdPath,
    principal: Overseer,
    session: SessionDep,
    decision: Annotated[str, Form(max_length=20)] = "",
    rationale: FormText = "",
) -> Response:
    return _after_step(
        request, principal, session, acceptance_id,
        lambda: service_acceptance.decide(
            session, principal, acceptance_id,
            AcceptanceDecide.model_validate({"decision": decision, "rationale": rationale}),
        ),
    )  # fmt: skip


# --- benchmark selection -----------------------------------------------------------------------------------


def _benchmark_view(
    request: Request, principal: Principal, session: Session, edition_id: int | None, problems: list[FieldProblem]
) -> Response:
    ranking = service_benchmark.ranking(session, principal, edition_id)
    context: dict[str, Any] = {
        "ranking": ranking,
        "editions": service_editions.list_editions(session),
        "decisions": service_benchmark.list_decisions(session, ranking.edition_id),
        "titles": {e.project_id: f"{e.enterprise_name} · {e.title}" for i in ranking.industries for e in i.entries},
        "percent": percent,
    }
    return form_page(request, "programme/benchmark_ranking.html", context, problems)


@router.get(BENCHMARKS)
def benchmarks_page(request: Request, principal: Overseer, session: SessionDep, edition_id: IdQuery = None) -> Response:
    return _benchmark_view(request, principal, session, edition_id, [])


@router.post(BENCHMARKS + "/decisions")
def decide_benchmark(
    request: Request,
    principal: Overseer,
    session: SessionDep,
    edition_id: IdQuery = None,
    project_id: Annotated[str, Form(max_length=20)] = "",
    selected: Annotated[str, Form(max_length=10)] = "",
    rationale: FormText = "",
) -> Response:
    def run() -> object:
        data = BenchmarkDecisionCreate.model_validate(
            {"project_id": optional_int(project_id) or -1, "selected": selected or None, "rationale": rationale}
        )
        return service_benchmark.decide(session, principal, data)

    suffix = "" if edition_id is None else f"?edition_id={edition_id}"
    view = lambda problems: _benchmark_view(request, principal, session, edition_id, problems)  # noqa: E731
    return submit(session, run, BENCHMARKS + suffix, view)
