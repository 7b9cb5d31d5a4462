"""The report (PDF) and the ratings workbook of a finished assessment, built from what is stored: the
result (score and gap plan), the enterprise and its profile, the team (lead first) and the industry benchmark.

A report exists once the result is final — a closed diagnosis or a submitted self-assessment; before that it is a
409 naming the status. Who may download is who may read the assessment (``service_access``), so an expert who is
not on the diagnosis gets 404 before the status is looked at.
"""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation, User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.assessment.benchmark import Benchmark, PeerScore, benchmark
from zhizao.assessment.gaps import GapPlan
from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.assessment.model import load_model
from zhizao.assessment.models import Assessment, AssessmentResult, EnterpriseProfile, MemberStatus
from zhizao.assessment.report import ReportExpert, ReportInput, render_pdf, render_ratings_xlsx, sheet_rows
from zhizao.assessment.report_text import report_language
from zhizao.assessment.scoring import ScoreResult
from zhizao.assessment.service_access import get_assessment, team
from zhizao.assessment.service_ratings import independent_ratings, item_ratings, sheet_of, stored_ratings
from zhizao.errors import Conflict

# The status in which each kind of assessment has its final, stored result.
FINAL_STATUS = {AssessmentKind.DIAGNOSIS: AssessmentStatus.CLOSED, AssessmentKind.SELF: AssessmentStatus.SUBMITTED}


def finished_assessment(session: Session, actor: Principal, assessment_id: int) -> Assessment:
    """The assessment if the caller may read it (else 404) and its result is final (else 409 naming the status)."""
    row = get_assessment(session, actor, assessment_id)
    final = FINAL_STATUS[row.kind]
    if row.status != final:
        raise Conflict(
            f"{row.kind.value} assessment {row.id} is {row.status.value}: its report exists once it is {final.value}"
        )
    return row


def _stored(session: Session, row: Assessment) -> AssessmentResult:
    stored = session.get(AssessmentResult, row.id)
    if stored is None:  # a final assessment always has one; only a database edited by hand lacks it
        raise Conflict(f"assessment {row.id} has no stored result")
    return stored


def report_team(session: Session, row: Assessment) -> list[ReportExpert]:
    """The experts who accepted the diagnosis, lead (the first on the team) first, with their employers' names."""
    members = [expert for member, expert in team(session, row.id) if member.status == MemberStatus.ACCEPTED]
    users = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_([expert.user_id for expert in members]))
        ).all()
    )
    employers = dict(
        session.execute(
            select(Organisation.id, Organisation.name).where(
                Organisation.id.in_([expert.employer_id for expert in members if expert.employer_id is not None])
            )
        ).all()
    )
    return [
        ReportExpert(
            name=users.get(expert.user_id) or f"expert {expert.id}",
            employer=employers.get(expert.employer_id, "") if expert.employer_id is not None else "",
            specialities=list(expert.specialities),
            lead=position == 0,
        )
        for position, expert in enumerate(members)
    ]


def latest_scores(session: Session, industry: str) -> list[PeerScore]:
    """Each enterprise of ``industry`` (by its current profile) with its latest stored overall score."""
    rows = session.execute(
        select(Assessment.enterprise_id, AssessmentResult.score)
        .join(AssessmentResult, AssessmentResult.assessment_id == Assessment.id)
        .join(EnterpriseProfile, EnterpriseProfile.enterprise_id == Assessment.enterprise_id)
        .where(EnterpriseProfile.industry == industry)
        .order_by(AssessmentResult.computed_at, Assessment.id)
    ).all()
    latest: dict[int, float] = {}
    for enterprise_id, score in rows:
        latest[enterprise_id] = float(score["overall"])  # later rows replace earlier ones
    return [PeerScore(enterprise_id, industry, overall) for enterprise_id, overall in latest.items()]


def report_input(session: Session, row: Assessment, timezone: str) -> ReportInput:
    """What the PDF is made of, from the stored result: a diagnosis's with its team, a self-assessment's with none
    (the enterprise rated itself, so the report marks the ratings self-declared and only the enterprise signs)."""
    stored = _stored(session, row)
    if stored.gaps is None:
        raise Conflict(f"assessment {row.id} has no gap plan stored: its next level had nothing applicable rated")
    score = ScoreResult.model_validate(stored.score)
    enterprise = session.get(Organisation, row.enterprise_id)
    profile = session.get(EnterpriseProfile, row.enterprise_id)
    assert enterprise is not None and profile is not None  # no assessment is created without both
    peers: Benchmark = benchmark(
        row.enterprise_id, profile.industry, score.overall, latest_scores(session, profile.industry)
    )
    return ReportInput(
        enterprise_name=enterprise.name,
        industry=profile.industry,
        enterprise_type=row.enterprise_type,
        model_version=row.model_version,
        diagnosis_date=_local_date(stored, timezone),
        score=score,
        gaps=GapPlan.model_validate(stored.gaps),
        experts=report_team(session, row) if row.kind == AssessmentKind.DIAGNOSIS else [],
        kind=row.kind,
        benchmark=peers,
    )


def _local_date(stored: AssessmentResult, timezone: str) -> date:
    return stored.computed_at.astimezone(ZoneInfo(timezone)).date()


def report_pdf(session: Session, actor: Principal, assessment_id: int, lang: str, timezone: str) -> bytes:
    report_language(lang)  # a wrong language is refused before anything is read
    row = finished_assessment(session, actor, assessment_id)
    return render_pdf(report_input(session, row, timezone), lang)


def ratings_xlsx(session: Session, actor: Principal, assessment_id: int, lang: str) -> bytes:
    """The consensus (or the enterprise's own) ratings, then each expert's independent ones by name — except for
    enterprise users, who see a diagnosis's consensus only (as in ``service_ratings.visible_ratings``)."""
    report_language(lang)
    row = finished_assessment(session, actor, assessment_id)
    independent = {} if actor.role == Role.ENTERPRISE else independent_ratings(session, row.id)
    sheet = sheet_of(row, item_ratings(stored_ratings(session, row.id, None)), independent)
    experts = [expert for _member, expert in team(session, row.id)]
    users = dict(
        session.execute(
            select(User.id, User.display_name).where(User.id.in_([expert.user_id for expert in experts]))
        ).all()
    )
    names = {f"expert-{expert.id}": users.get(expert.user_id, "") or f"expert-{expert.id}" for expert in experts}
    return render_ratings_xlsx(load_model(row.model_version), sheet_rows(sheet, lang, names), lang)
