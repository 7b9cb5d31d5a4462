"""Reading equipment health: the current status of each piece of equipment (with staleness), its history, the
predictions of its models, and an on-demand prediction.

Current health is the latest stored assessment, unless that is older than ``STALE_AFTER`` while the equipment's
signals have not reported since either: then it is ``check function`` (N_("no recent data")) — the stream observer
only runs on data, so silence has to be noticed when reading. Equipment without a deployed baseline is ``not
enough data``, with no score.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.errors import Conflict, InputError
from zhizao.maintenance import registry
from zhizao.maintenance.health import access
from zhizao.maintenance.health.evaluate import predict_now
from zhizao.maintenance.health.kinds import CaseState, HealthStatus, ModelKind
from zhizao.maintenance.health.reading import WINDOW_US, moment_us, state_signals
from zhizao.maintenance.health.schemas import AssessmentRead, DriverRead, EquipmentHealthRead
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceCase, ModelDeployment, Prediction
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import from_us, now_us
from zhizao.ui.i18n import N_

STALE_AFTER = timedelta(minutes=15)
MAX_HISTORY = 5_000


def assessment_read(row: HealthAssessment) -> AssessmentRead:
    return AssessmentRead(
        id=row.id, equipment_id=row.equipment_id, deployment_id=row.deployment_id,
        window_start=from_us(row.window_start_us), window_end=from_us(row.window_end_us), status=row.status,
        score=row.score, d2=row.d2, drivers=[DriverRead.model_validate(d) for d in row.drivers],
        missing=list(row.missing), out_of_spec=list(row.out_of_spec),
    )  # fmt: skip


def _none(equipment_id: int, status: HealthStatus, note: str, deployment_id: int | None = None) -> AssessmentRead:
    return AssessmentRead(
        id=None, equipment_id=equipment_id, deployment_id=deployment_id, window_start=None, window_end=None,
        status=status, score=None, d2=None, drivers=[], missing=[], out_of_spec=[], note=note,
    )  # fmt: skip


def _latest_sample_us(store: TelemetryStore, session: Session, equipment_id: int) -> int | None:
    ids = list(session.scalars(select(Signal.id).where(Signal.equipment_id == equipment_id)))
    latest = store.latest(ids) if ids else {}
    return max((point.ts_us for point in latest.values()), default=None)


def current(
    session: Session, store: TelemetryStore, equipment: Equipment, deployment: ModelDeployment | None
) -> AssessmentRead:
    if deployment is None:
        return _none(equipment.id, HealthStatus.NOT_ENOUGH_DATA, N_("no baseline deployed"))
    row = session.scalar(
        select(HealthAssessment)
        .where(HealthAssessment.deployment_id == deployment.id)
        .order_by(HealthAssessment.window_end_us.desc())
        .limit(1)
    )
    stale_us = now_us() - int(STALE_AFTER.total_seconds() * 1_000_000)
    if row is None or row.window_end_us < stale_us:
        latest = _latest_sample_us(store, session, equipment.id)
        if latest is None or latest < stale_us:
            return _none(equipment.id, HealthStatus.CHECK_FUNCTION, N_("no recent data"), deployment.id)
        if row is None:
            return _none(equipment.id, HealthStatus.NOT_ENOUGH_DATA, N_("not assessed yet"), deployment.id)
    return assessment_read(row)


def overview(
    session: Session, store: TelemetryStore, actor: Principal, enterprise_id: int | None = None
) -> list[EquipmentHealthRead]:
    """Every piece of equipment the caller may read, with its current health."""
    clause = access.equipment_clause(session, actor, Equipment.id, Equipment.enterprise_id, enterprise_id)
    equipment = session.scalars(select(Equipment).where(clause).order_by(Equipment.enterprise_id, Equipment.code)).all()
    ids = [e.id for e in equipment]
    deployments = {
        row.equipment_id: row
        for row in session.scalars(
            select(ModelDeployment).where(
                ModelDeployment.equipment_id.in_(ids),
                ModelDeployment.active,
                ModelDeployment.kind == ModelKind.HEALTH_BASELINE,
            )
        )
    }
    open_cases = dict(
        session.execute(
            select(MaintenanceCase.equipment_id, func.max(MaintenanceCase.id))
            .where(MaintenanceCase.equipment_id.in_(ids), MaintenanceCase.state != CaseState.CLOSED)
            .group_by(MaintenanceCase.equipment_id)
        ).all()
    )
    return [
        EquipmentHealthRead(
            equipment_id=e.id,
            enterprise_id=e.enterprise_id,
            code=e.code,
            name=e.name,
            equipment_type=e.equipment_type.value,
            baseline_model_id=deployments[e.id].model_id if e.id in deployments else None,
            assessment=current(session, store, e, deployments.get(e.id)),
            open_case_id=open_cases.get(e.id),
        )
        for e in equipment
    ]


def equipment_health(
    session: Session, store: TelemetryStore, actor: Principal, equipment_id: int
) -> EquipmentHealthRead:
    equipment = access.equipment_for_read(session, actor, equipment_id)
    deployment = baseline_deployment(session, equipment.id)
    open_case = session.scalar(
        select(func.max(MaintenanceCase.id)).where(
            MaintenanceCase.equipment_id == equipment.id, MaintenanceCase.state != CaseState.CLOSED
        )
    )
    return EquipmentHealthRead(
        equipment_id=equipment.id, enterprise_id=equipment.enterprise_id, code=equipment.code, name=equipment.name,
        equipment_type=equipment.equipment_type.value, baseline_model_id=deployment.model_id if deployment else None,
        assessment=current(session, store, equipment, deployment), open_case_id=open_case,
    )  # fmt: skip


def baseline_deployment(session: Session, equipment_id: int) -> ModelDeployment | None:
    return session.scalar(
        select(ModelDeployment).where(
            ModelDeployment.equipment_id == equipment_id,
            ModelDeployment.active,
            ModelDeployment.kind == ModelKind.HEALTH_BASELINE,
        )
    )


def _range(start: datetime | None, end: datetime | None) -> tuple[int, int]:
    end_us = moment_us(end, "query.end") if end is not None else now_us() + WINDOW_US
    start_us = moment_us(start, "query.start") if start is not None else end_us - 24 * 3600 * 1_000_000
    if end_us <= start_us:
        raise InputError.for_field("query.end", "must be after start")
    return start_us, end_us


def history(
    session: Session,
    actor: Principal,
    equipment_id: int,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int = 1_000,
) -> Sequence[HealthAssessment]:
    """The equipment's assessments in [start, end) (default: the last day), oldest first."""
    equipment = access.equipment_for_read(session, actor, equipment_id)
    start_us, end_us = _range(start, end)
    rows = session.scalars(
        select(HealthAssessment)
        .where(
            HealthAssessment.equipment_id == equipment.id,
            HealthAssessment.window_end_us > start_us,
            HealthAssessment.window_end_us <= end_us,
        )
        .order_by(HealthAssessment.window_end_us.desc())
        .limit(min(limit, MAX_HISTORY))
    ).all()
    return list(reversed(rows))


def predictions(
    session: Session,
    actor: Principal,
    *,
    equipment_id: int | None = None,
    model_id: int | None = None,
    limit: int = 200,
) -> Sequence[Prediction]:
    clauses = [access.equipment_clause(session, actor, Prediction.equipment_id, Prediction.enterprise_id)]
    if equipment_id is not None:
        clauses.append(Prediction.equipment_id == equipment_id)
    if model_id is not None:
        clauses.append(Prediction.model_id == model_id)
    return session.scalars(
        select(Prediction).where(*clauses).order_by(Prediction.window_end_us.desc(), Prediction.id.desc()).limit(limit)
    ).all()


def predict(session: Session, store: TelemetryStore, actor: Principal, deployment_id: int) -> Prediction:
    """Apply a deployment to the latest complete window now and store the prediction."""
    with session.begin():
        deployment = registry.deployment_for(session, actor, deployment_id, write=True)
        if not deployment.active:
            raise Conflict(f"deployment {deployment_id} is retired")
        end_us = now_us() // WINDOW_US * WINDOW_US
        return predict_now(session, store, deployment, state_signals(session, deployment.equipment_id), end_us)
