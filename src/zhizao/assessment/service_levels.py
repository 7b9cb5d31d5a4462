"""Maturity levels of diagnoses, read from the stored results, for other contexts (the programme's projects and
acceptances) that must not read assessment tables themselves.

Read-only and without scope checks: the caller has already decided that its own caller may see the project the
diagnosis is evidence for. A level exists only for a closed diagnosis, whose result is final.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.assessment.lifecycle import AssessmentKind, AssessmentStatus
from zhizao.assessment.models import Assessment, AssessmentResult
from zhizao.assessment.scoring import ScoreResult
from zhizao.fields import MAX_ID


@dataclass(frozen=True, slots=True)
class DiagnosisLevel:
    """An assessment as evidence: what it is, whose, and — once closed with a stored result — the level reached."""

    assessment_id: int
    enterprise_id: int
    kind: AssessmentKind
    status: AssessmentStatus
    level: int | None  # levels reached (0–5); None unless a closed diagnosis with its stored result
    overall: float | None
    closed_at: datetime | None

    @property
    def is_closed_diagnosis(self) -> bool:
        return (
            self.kind == AssessmentKind.DIAGNOSIS and self.status == AssessmentStatus.CLOSED and self.level is not None
        )


def _level_of(row: Assessment, stored: AssessmentResult | None) -> DiagnosisLevel:
    final = row.kind == AssessmentKind.DIAGNOSIS and row.status == AssessmentStatus.CLOSED and stored is not None
    score = ScoreResult.model_validate(stored.score) if final and stored is not None else None
    return DiagnosisLevel(
        assessment_id=row.id,
        enterprise_id=row.enterprise_id,
        kind=row.kind,
        status=row.status,
        level=score.level if score else None,
        overall=score.overall if score else None,
        closed_at=stored.computed_at if final and stored is not None else None,
    )


def diagnosis_level(session: Session, assessment_id: int) -> DiagnosisLevel | None:
    """The assessment with its level when it is a closed diagnosis; None when there is no such assessment."""
    if not 1 <= assessment_id <= MAX_ID:
        return None
    row = session.get(Assessment, assessment_id)
    if row is None:
        return None
    return _level_of(row, session.get(AssessmentResult, row.id))


def latest_closed_diagnoses(session: Session, enterprise_ids: Iterable[int]) -> dict[int, DiagnosisLevel]:
    """Each enterprise's most recently closed diagnosis with its level, in one query; enterprises without one
    are left out."""
    wanted = set(enterprise_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Assessment, AssessmentResult)
        .join(AssessmentResult, AssessmentResult.assessment_id == Assessment.id)
        .where(
            Assessment.enterprise_id.in_(wanted),
            Assessment.kind == AssessmentKind.DIAGNOSIS,
            Assessment.status == AssessmentStatus.CLOSED,
        )
        .order_by(AssessmentResult.computed_at, Assessment.id)
    ).all()
    # Ascending, so the latest of each enterprise is the one kept.
    return {row.enterprise_id: _level_of(row, stored) for row, stored in rows}


def latest_closed_diagnosis(session: Session, enterprise_id: int) -> DiagnosisLevel | None:
    """The enterprise's most recently closed diagnosis with its level, or None when it has none."""
    return latest_closed_diagnoses(session, [enterprise_id]).get(enterprise_id)
