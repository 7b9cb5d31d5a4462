"""Maintenance cases: opened once when an equipment's health degrades (or its RUL runs short), with the evidence and
a recommended action; acknowledged; closed with a resolution — by a user, or by a work order through ``close_case``.

Opening: a health assessment with a degraded status (maintenance required, out of specification, failure) opens a
case when ``CONFIRM_WINDOWS`` assessments in a row were degraded (a failure at once), unless the equipment already
has a case that is not closed: then that case's evidence is updated (last seen, worst score), and nothing else —
one case per episode, not one per assessment. A RUL prediction under ``RUL_CASE_BELOW_H`` hours, or any other
predictor's alert, does the same.

Lifecycle (pure transition table, ``TRANSITIONS``): open → acknowledged → closed, and open → closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, NotFound
from zhizao.fields import MAX_ID
from zhizao.maintenance.health import access
from zhizao.maintenance.health.actions import recommend
from zhizao.maintenance.health.kinds import DEGRADED_STATUSES, CaseState, CaseTrigger, HealthStatus, ModelKind
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceCase, Prediction
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.timeutil import from_us

CONFIRM_WINDOWS = 2
RUL_CASE_BELOW_H = 24.0
CHART_MARGIN_US = 3_600_000_000  # the evidence chart shows an hour before the case's first window
CASE_FIELDS = ("state", "status", "acknowledged_by", "comment", "closed_by", "resolution")


class CaseEvent(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    CLOSE = "close"


TRANSITIONS: dict[tuple[CaseState, CaseEvent], CaseState] = {
    (CaseState.OPEN, CaseEvent.ACKNOWLEDGE): CaseState.ACKNOWLEDGED,
    (CaseState.OPEN, CaseEvent.CLOSE): CaseState.CLOSED,
    (CaseState.ACKNOWLEDGED, CaseEvent.CLOSE): CaseState.CLOSED,
}


def transition(state: CaseState, event: CaseEvent) -> CaseState:
    target = TRANSITIONS.get((state, event))
    if target is None:
        raise Conflict(f"a case that is {state.value} cannot be {event.value}d")
    return target


def evidence_chart(case: MaintenanceCase) -> str:
    """The health page of the equipment over the case's period, charting the signals that drove it."""
    evidence = case.evidence or {}
    start = int(evidence.get("start_us", 0)) - CHART_MARGIN_US
    end = int(evidence.get("end_us", 0)) + CHART_MARGIN_US
    signals = ",".join(str(i) for i in evidence.get("signal_ids", []))
    return f"/maintenance/health/equipment/{case.equipment_id}?start_us={start}&end_us={end}&signals={signals}"


def _open_case(session: Session, equipment_id: int) -> MaintenanceCase | None:
    return session.scalar(
        select(MaintenanceCase)
        .where(MaintenanceCase.equipment_id == equipment_id, MaintenanceCase.state != CaseState.CLOSED)
        .order_by(MaintenanceCase.id.desc())
        .limit(1)
    )


def _confirmed(session: Session, row: HealthAssessment) -> bool:
    if row.status == HealthStatus.FAILURE:
        return True
    recent = session.scalars(
        select(HealthAssessment.status)
        .where(HealthAssessment.deployment_id == row.deployment_id, HealthAssessment.window_end_us <= row.window_end_us)
        .order_by(HealthAssessment.window_end_us.desc())
        .limit(CONFIRM_WINDOWS)
    ).all()
    return len(recent) == CONFIRM_WINDOWS and all(status in DEGRADED_STATUSES for status in recent)


def _touch(case: MaintenanceCase, end_us: int, score: float | None, drivers: list[str]) -> None:
    evidence = dict(case.evidence or {})
    evidence["end_us"] = max(int(evidence.get("end_us", end_us)), end_us)
    evidence["assessments"] = int(evidence.get("assessments", 0)) + 1
    if score is not None:
        worst = evidence.get("worst_score")
        evidence["worst_score"] = score if worst is None else min(float(worst), score)
    evidence["recent_drivers"] = drivers
    case.evidence = evidence
    case.last_seen_at = datetime.now(UTC)


def on_assessment(
    session: Session, equipment: Equipment, row: HealthAssessment, signal_map: dict[str, int]
) -> MaintenanceCase | None:
    """Open a case for a degraded assessment, or update the open one. Within the caller's transaction."""
    if row.status not in DEGRADED_STATUSES:
        return None
    names = [d["signal"] for d in row.drivers] or list(row.out_of_spec)
    case = _open_case(session, equipment.id)
    if case is not None:
        _touch(case, row.window_end_us, row.score, names)
        return case
    if not _confirmed(session, row):
        return None
    failure_mode, action = recommend(equipment.equipment_type, names, status=row.status)
    evidence: dict[str, Any] = {
        "drivers": row.drivers, "out_of_spec": row.out_of_spec, "score": row.score, "worst_score": row.score,
        "d2": row.d2, "start_us": row.window_start_us, "end_us": row.window_end_us, "assessments": 1,
        "signal_ids": [signal_map[n] for n in names if n in signal_map], "recent_drivers": names,
    }  # fmt: skip
    return _new_case(session, equipment, CaseTrigger.HEALTH, row.status, failure_mode, action, evidence, row.id, None)


def on_prediction(
    session: Session, equipment: Equipment, row: Prediction, signal_map: dict[str, int]
) -> MaintenanceCase | None:
    """Open (or update) a case for a short RUL or another predictor's alert. Within the caller's transaction."""
    short_rul = row.kind == ModelKind.RUL and row.unit == "h" and row.value is not None and row.value < RUL_CASE_BELOW_H
    if not (short_rul or (row.alert and row.kind != ModelKind.HEALTH_BASELINE)):
        return None
    case = _open_case(session, equipment.id)
    if case is not None:
        _touch(case, row.window_end_us, None, list(signal_map))
        return case
    trigger = CaseTrigger.RUL if row.kind == ModelKind.RUL else CaseTrigger.DIAGNOSIS
    failure_mode, action = recommend(equipment.equipment_type, list(signal_map), trigger=trigger)
    evidence: dict[str, Any] = {
        "prediction": {"kind": row.kind.value, "value": row.value, "unit": row.unit, "label": row.label},
        "start_us": row.window_start_us, "end_us": row.window_end_us, "assessments": 1,
        "signal_ids": list(signal_map.values()), "drivers": [], "recent_drivers": list(signal_map),
    }  # fmt: skip
    status = HealthStatus.MAINTENANCE_REQUIRED
    return _new_case(session, equipment, trigger, status, failure_mode, action, evidence, None, row.id)


def _new_case(
    session: Session, equipment: Equipment, trigger: CaseTrigger, status: HealthStatus, failure_mode: str,
    action: str, evidence: dict[str, Any], assessment_id: int | None, prediction_id: int | None,
) -> MaintenanceCase:  # fmt: skip
    case = MaintenanceCase(
        enterprise_id=equipment.enterprise_id, equipment_id=equipment.id, state=CaseState.OPEN, trigger=trigger,
        status=status, title=f"{equipment.code} {equipment.name}"[:200], failure_mode=failure_mode,
        recommended_action=action, evidence=evidence, assessment_id=assessment_id, prediction_id=prediction_id,
    )  # fmt: skip
    session.add(case)
    session.flush()
    audit.record(
        session, None, action="maintenance_case.open", entity_type="maintenance_case", entity_id=case.id,
        organisation_id=equipment.enterprise_id, after=audit.snapshot(case, CASE_FIELDS), detail=failure_mode,
    )  # fmt: skip
    return case


def case_for_read(session: Session, actor: Principal, case_id: int) -> MaintenanceCase:
    case = session.get(MaintenanceCase, case_id) if 0 < case_id <= MAX_ID else None
    if case is None:
        raise NotFound(f"case {case_id} not found")
    try:
        access.equipment_for_read(session, actor, case.equipment_id)
    except NotFound:
        raise NotFound(f"case {case_id} not found") from None
    return case


def _case_for_write(session: Session, actor: Principal, case_id: int) -> MaintenanceCase:
    case = case_for_read(session, actor, case_id)
    if not access.may_write(actor):
        raise NotFound(f"case {case_id} not found")
    return case


def list_cases(
    session: Session,
    actor: Principal,
    *,
    state: CaseState | None = None,
    equipment_id: int | None = None,
    enterprise_id: int | None = None,
    limit: int = 200,
) -> Sequence[MaintenanceCase]:
    clauses = [
        access.equipment_clause(
            session, actor, MaintenanceCase.equipment_id, MaintenanceCase.enterprise_id, enterprise_id
        )
    ]
    if state is not None:
        clauses.append(MaintenanceCase.state == state)
    if equipment_id is not None:
        clauses.append(MaintenanceCase.equipment_id == equipment_id)
    return session.scalars(
        select(MaintenanceCase).where(*clauses).order_by(MaintenanceCase.id.desc()).limit(limit)
    ).all()


class _Transaction:
    """Joins the caller's transaction when one is open (a work order closing its case), else opens one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.own = None if session.in_transaction() else session.begin()

    def __enter__(self) -> None:
        if self.own is not None:
            self.own.__enter__()

    def __exit__(self, *exc: object) -> None:
        if self.own is not None:
            self.own.__exit__(*exc)


def acknowledge_case(session: Session, actor: Principal, case_id: int, comment: str | None = None) -> MaintenanceCase:
    with _Transaction(session):
        case = _case_for_write(session, actor, case_id)
        before = audit.snapshot(case, CASE_FIELDS)
        case.state = transition(case.state, CaseEvent.ACKNOWLEDGE)
        case.acknowledged_at, case.acknowledged_by, case.comment = datetime.now(UTC), actor.username, comment
        audit.record(
            session, actor, action="maintenance_case.acknowledge", entity_type="maintenance_case", entity_id=case.id,
            organisation_id=case.enterprise_id, before=before, after=audit.snapshot(case, CASE_FIELDS),
        )  # fmt: skip
    return case


def close_case(session: Session, actor: Principal, case_id: int, resolution: str) -> MaintenanceCase:
    """Close a case with its resolution. Called by users, and by a work order's service inside its own transaction
    (this joins it). 404 for a case the actor may not change; 409 when the case is already closed."""
    with _Transaction(session):
        case = _case_for_write(session, actor, case_id)
        before = audit.snapshot(case, CASE_FIELDS)
        case.state = transition(case.state, CaseEvent.CLOSE)
        case.closed_at, case.closed_by, case.resolution = datetime.now(UTC), actor.username, resolution
        audit.record(
            session, actor, action="maintenance_case.close", entity_type="maintenance_case", entity_id=case.id,
            organisation_id=case.enterprise_id, before=before, after=audit.snapshot(case, CASE_FIELDS),
        )  # fmt: skip
    return case


def period_of(case: MaintenanceCase) -> tuple[datetime, datetime]:
    evidence = case.evidence or {}
    return from_us(int(evidence.get("start_us", 0))), from_us(int(evidence.get("end_us", 0)))
