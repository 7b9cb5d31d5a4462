"""Evaluating one window of one equipment with its deployed models: the health assessment of its baseline, the
predictions of its other models, and the cases they open — written in one transaction, once per window.

Which windows count: a failed machine (OutOfService) is assessed as failure, one in maintenance or setup mode as
check function; otherwise a window is compared with the baseline only when the machine executed throughout it in
production mode (the baseline describes the machine at work; idle and changing windows are skipped, not stored).
A replayed or concurrently evaluated window finds its row already there and writes nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.maintenance import cases, registry
from zhizao.maintenance.health.kinds import ModelKind
from zhizao.maintenance.health.predictor import BaselinePredictor, FeatureWindow
from zhizao.maintenance.health.reading import WINDOW_US, StateSignals, machine_state, values_of, window_means
from zhizao.maintenance.health.scoring import Assessment, assess
from zhizao.maintenance.health.windows import CHECK_MODES, at_work
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceModel, ModelDeployment, Prediction
from zhizao.telemetry.machinery import MachineryItemState
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import to_us


@dataclass(frozen=True, slots=True)
class Deployed:
    """A deployment as the observer caches it (plain values, no session attached)."""

    id: int
    enterprise_id: int
    model_id: int
    kind: ModelKind
    signal_map: dict[str, int]
    since_us: int = -1  # the end of the model's training period: windows before it are not assessed

    @classmethod
    def of(cls, row: ModelDeployment, model: MaintenanceModel) -> Deployed:
        since = to_us(model.training_end) if model.training_end is not None else -1
        return cls(row.id, row.enterprise_id, row.model_id, row.kind, dict(row.signal_map), since)


@dataclass(frozen=True, slots=True)
class Outcome:
    assessments: int = 0
    predictions: int = 0
    skipped: bool = False


def drivers_json(result: Assessment, signal_map: dict[str, int]) -> list[dict[str, Any]]:
    return [
        {"signal": d.signal, "signal_id": signal_map.get(d.signal), "contribution": round(d.contribution, 4),
         "z": round(d.z, 4), "value": d.value, "median": d.median, "direction": d.direction}
        for d in result.drivers
    ]  # fmt: skip


def _exists(
    session: Session, model: type[HealthAssessment] | type[Prediction], deployment_id: int, end_us: int
) -> bool:
    row = session.scalar(
        select(model.id).where(model.deployment_id == deployment_id, model.window_end_us == end_us).limit(1)
    )
    return row is not None


def evaluate_window(
    session: Session,
    store: TelemetryStore,
    equipment_id: int,
    deployments: Sequence[Deployed],
    signals: StateSignals,
    end_us: int,
) -> Outcome:
    """Evaluate the window ending at ``end_us`` (a multiple of ``WINDOW_US``) with every deployment given."""
    start_us = end_us - WINDOW_US
    state, mode = machine_state(store, signals, start_us, end_us)
    s_last = state.last if state is not None else None
    m_last = mode.last if mode is not None else None
    flagged = s_last == MachineryItemState.OUT_OF_SERVICE or m_last in CHECK_MODES
    if not flagged and not at_work(state, mode):
        return Outcome(skipped=True)
    assessed = predicted = 0
    try:
        with session.begin():
            equipment = session.get(Equipment, equipment_id)
            if equipment is None:
                return Outcome(skipped=True)
            for deployment in deployments:
                model = session.get(MaintenanceModel, deployment.model_id)
                if model is None:
                    continue
                predictor = registry.predictor_of(model)
                history = max(1, predictor.history_windows)
                means = window_means(store, deployment.signal_map, end_us - history * WINDOW_US, end_us)
                names = list(predictor.signals)
                current = values_of(means.get(start_us, {}), names)
                if isinstance(predictor, BaselinePredictor):
                    if _exists(session, HealthAssessment, deployment.id, end_us):
                        continue
                    result = assess(predictor.baseline, current, state=s_last, mode=m_last)
                    row = HealthAssessment(
                        enterprise_id=deployment.enterprise_id, equipment_id=equipment_id, deployment_id=deployment.id,
                        window_start_us=start_us, window_end_us=end_us, status=result.status, score=result.score,
                        d2=result.d2, drivers=drivers_json(result, deployment.signal_map), missing=result.missing,
                        out_of_spec=result.out_of_spec,
                    )  # fmt: skip
                    session.add(row)
                    session.flush()
                    cases.on_assessment(session, equipment, row, deployment.signal_map)
                    assessed += 1
                    continue
                if flagged or _exists(session, Prediction, deployment.id, end_us):
                    continue  # other models judge a machine at work only
                earlier = [values_of(means.get(end_us - k * WINDOW_US, {}), names) for k in range(history, 1, -1)]
                window = FeatureWindow(equipment_id, start_us, end_us, current, s_last, m_last, earlier)
                output = predictor.predict(window)
                prediction = Prediction(
                    enterprise_id=deployment.enterprise_id, equipment_id=equipment_id, deployment_id=deployment.id,
                    model_id=model.id, kind=model.kind, window_start_us=start_us, window_end_us=end_us,
                    value=output.value, unit=output.unit, label=output.label, alert=output.alert,
                    detail=output.detail,
                )  # fmt: skip
                session.add(prediction)
                session.flush()
                cases.on_prediction(session, equipment, prediction, deployment.signal_map)
                predicted += 1
    except IntegrityError:  # another worker stored this window first: its rows stand
        return Outcome()
    return Outcome(assessed, predicted)


def predict_now(
    session: Session, store: TelemetryStore, deployment: ModelDeployment, signals: StateSignals, end_us: int
) -> Prediction:
    """Apply a deployment to the window ending at ``end_us`` on demand and store the prediction (any model kind:
    a baseline's prediction is its health score). Within the caller's transaction."""
    model = session.get(MaintenanceModel, deployment.model_id)
    assert model is not None
    predictor = registry.predictor_of(model)
    start_us = end_us - WINDOW_US
    history = max(1, predictor.history_windows)
    means = window_means(store, deployment.signal_map, end_us - history * WINDOW_US, end_us)
    names = list(predictor.signals)
    state, mode = machine_state(store, signals, start_us, end_us)
    earlier = [values_of(means.get(end_us - k * WINDOW_US, {}), names) for k in range(history, 1, -1)]
    window = FeatureWindow(
        deployment.equipment_id, start_us, end_us, values_of(means.get(start_us, {}), names),
        state.last if state else None, mode.last if mode else None, earlier,
    )  # fmt: skip
    output = predictor.predict(window)
    existing = session.scalar(
        select(Prediction).where(Prediction.deployment_id == deployment.id, Prediction.window_end_us == end_us)
    )
    if existing is not None:
        return existing
    row = Prediction(
        enterprise_id=deployment.enterprise_id, equipment_id=deployment.equipment_id, deployment_id=deployment.id,
        model_id=model.id, kind=model.kind, window_start_us=start_us, window_end_us=end_us, value=output.value,
        unit=output.unit, label=output.label, alert=output.alert, detail=output.detail,
    )  # fmt: skip
    session.add(row)
    session.flush()
    if model.kind != ModelKind.HEALTH_BASELINE:
        equipment = session.get(Equipment, deployment.equipment_id)
        if equipment is not None:
            cases.on_prediction(session, equipment, row, deployment.signal_map)
    return row
