"""JSON API of the programme's acceptance area: acceptances (验收) with their checklist, KPI verification, maturity
level, expert reviews and decision; benchmark (标杆) rankings and decisions.

Officers and administrators reach every acceptance; an expert those they are assigned to review (another is a
404). Benchmark selection is the office's alone.
"""

from __future__ import annotations

from fastapi import APIRouter, status

from zhizao.accounts.deps import SessionDep
from zhizao.fields import IdPath, IdQuery
from zhizao.programme import acceptance_access, service_acceptance, service_benchmark
from zhizao.programme.acceptance import AcceptanceStatus
from zhizao.programme.deps import AcceptanceViewer, Expert, Overseer
from zhizao.programme.kinds import Industry
from zhizao.programme.schemas_acceptance import (
    AcceptanceCreate,
    AcceptanceDecide,
    AcceptanceRead,
    BenchmarkDecisionCreate,
    BenchmarkDecisionRead,
    BenchmarkRanking,
    ChecklistUpdate,
    ReviewersUpdate,
    ReviewSubmit,
    VerificationAttach,
    VerificationOption,
)

router = APIRouter(prefix="/api/programme", tags=["programme"])

CREATED = status.HTTP_201_CREATED


# --- acceptances -------------------------------------------------------------------------------------------


@router.get("/acceptances")
def list_acceptances(
    principal: AcceptanceViewer, session: SessionDep, project_id: IdQuery = None, status: AcceptanceStatus | None = None
) -> list[AcceptanceRead]:
    """Acceptances in the caller's scope, open ones first (at most 200)."""
    rows = acceptance_access.list_acceptances(session, principal, project_id=project_id, status=status)
    return [acceptance_access.acceptance_read(session, row) for row in rows]


@router.post("/acceptances", status_code=CREATED)
def open_acceptance(data: AcceptanceCreate, principal: Overseer, session: SessionDep) -> AcceptanceRead:
    """Open the acceptance of a project in construction with its reviewing experts; 409 when one is open already."""
    return service_acceptance.open_acceptance(session, principal, data)


@router.get("/acceptances/{acceptance_id}")
def read_acceptance(acceptance_id: IdPath, principal: AcceptanceViewer, session: SessionDep) -> AcceptanceRead:
    row = acceptance_access.get_acceptance(session, principal, acceptance_id)
    return acceptance_access.acceptance_read(session, row)


@router.put("/acceptances/{acceptance_id}/reviewers")
def set_reviewers(
    acceptance_id: IdPath, data: ReviewersUpdate, principal: Overseer, session: SessionDep
) -> AcceptanceRead:
    return service_acceptance.set_reviewers(session, principal, acceptance_id, data)


@router.put("/acceptances/{acceptance_id}/checklist")
def mark_checklist(
    acceptance_id: IdPath, data: ChecklistUpdate, principal: Overseer, session: SessionDep
) -> AcceptanceRead:
    """Mark items of the edition's checklist as met or not, with notes; items not named keep their marks."""
    return service_acceptance.mark_checklist(session, principal, acceptance_id, data)


@router.get("/acceptances/{acceptance_id}/verifications")
def verification_options(acceptance_id: IdPath, principal: Overseer, session: SessionDep) -> list[VerificationOption]:
    """The stored KPI verifications of the project's enterprise, one of which the acceptance rests on."""
    return service_acceptance.verification_options(session, principal, acceptance_id)


@router.put("/acceptances/{acceptance_id}/verification")
def attach_verification(
    acceptance_id: IdPath, data: VerificationAttach, principal: Overseer, session: SessionDep
) -> AcceptanceRead:
    """Attach a stored KPI verification of the enterprise; the current maturity level is taken with it."""
    return service_acceptance.attach_verification(session, principal, acceptance_id, data)


@router.put("/acceptances/{acceptance_id}/review")
def submit_review(acceptance_id: IdPath, data: ReviewSubmit, principal: Expert, session: SessionDep) -> AcceptanceRead:
    """An assigned expert's review (pass or fail, with a comment); again while open replaces it."""
    return service_acceptance.submit_review(session, principal, acceptance_id, data)


@router.post("/acceptances/{acceptance_id}/decision")
def decide_acceptance(
    acceptance_id: IdPath, data: AcceptanceDecide, principal: Overseer, session: SessionDep
) -> AcceptanceRead:
    """Pass (422 naming each unmet requirement unless all hold; the project becomes accepted) or fail, with a
    rationale."""
    return service_acceptance.decide(session, principal, acceptance_id, data)


# --- benchmark selection -----------------------------------------------------------------------------------


@router.get("/benchmarks")
def benchmark_ranking(
    principal: Overseer, session: SessionDep, edition_id: IdQuery = None, industry: Industry | None = None
) -> BenchmarkRanking:
    """Per industry of the edition (the current one unless named): quota, designated, left and the ranking."""
    return service_benchmark.ranking(session, principal, edition_id, industry)


@router.get("/benchmarks/decisions")
def list_benchmark_decisions(
    principal: Overseer, session: SessionDep, edition_id: IdQuery = None
) -> list[BenchmarkDecisionRead]:
    return service_benchmark.list_decisions(session, edition_id)


@router.post("/benchmarks/decisions", status_code=CREATED)
def decide_benchmark(data: BenchmarkDecisionCreate, principal: Overseer, session: SessionDep) -> BenchmarkDecisionRead:
    """Designate a recognised factory a benchmark (409 naming the industry when its quota is used up) or record
    that it was not, with a rationale."""
    return service_benchmark.decide(session, principal, data)
