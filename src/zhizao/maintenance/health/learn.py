"""Learning an equipment's health baseline from a period it ran normally, registered as a model (and deployed).

Candidate signals: the equipment's numeric measurement signals (or those named). Windows: whole minutes of the
period in which the machine was executing in production mode throughout (from its OPC 40001 state and mode
signals; every window with data when it has none). The fit itself is ``baseline.fit_baseline``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.maintenance import registry
from zhizao.maintenance.health import access
from zhizao.maintenance.health.baseline import FORMAT, Baseline, NotEnoughData, fit_baseline
from zhizao.maintenance.health.kinds import ModelKind
from zhizao.maintenance.health.predictor import baseline_artefact
from zhizao.maintenance.health.reading import (
    STATE_LOOKBACK_US,
    WINDOW_S,
    WINDOW_US,
    moment_us,
    state_signals,
    window_means,
)
from zhizao.maintenance.health.schemas import BaselineLearn
from zhizao.maintenance.health.scoring import MAINTENANCE_BELOW, health_score, mahalanobis_sq, normal_limit
from zhizao.maintenance.health.windows import working_windows
from zhizao.maintenance.models_health import MaintenanceModel
from zhizao.telemetry.kinds import DataType, SignalKind
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.paging import all_raw
from zhizao.telemetry.timeutil import now_us

MAX_PERIOD_DAYS = 31
MAX_PERIOD_US = MAX_PERIOD_DAYS * 86_400_000_000


def _period(data: BaselineLearn, now_us: int) -> tuple[int, int]:
    start_us, end_us = moment_us(data.start, "body.start"), moment_us(data.end, "body.end")
    if end_us <= start_us:
        raise InputError.for_field("body.end", "must be after start")
    if end_us > now_us + 5 * WINDOW_US:
        raise InputError.for_field("body.end", "must not lie in the future")
    if end_us - start_us > MAX_PERIOD_US:
        raise InputError.for_field("body.end", f"a baseline period is at most {MAX_PERIOD_DAYS} days")
    return start_us // WINDOW_US * WINDOW_US, -(-end_us // WINDOW_US) * WINDOW_US


def candidate_signals(session: Session, equipment_id: int, requested: list[str] | None) -> dict[str, int]:
    signals = registry.equipment_signals(session, equipment_id)
    if requested is None:
        chosen = {
            name: s.id
            for name, s in sorted(signals.items())
            if s.kind == SignalKind.MEASUREMENT and s.data_type in (DataType.FLOAT, DataType.INT)
        }
        if not chosen:
            raise InputError.for_field("body.signals", "the equipment has no numeric measurement signal")
        return chosen
    missing = [name for name in requested if name not in signals]
    if missing:
        raise InputError.for_field("body.signals", f"the equipment has no numeric signal {', '.join(missing)}")
    if len(set(requested)) != len(requested):
        raise InputError.for_field("body.signals", "name each signal once")
    return {name: signals[name].id for name in requested}


def features(
    session: Session, store: TelemetryStore, equipment_id: int, names: dict[str, int], start_us: int, end_us: int
) -> tuple[np.ndarray, int]:
    """The window-feature matrix of the period (rows: windows at work with any data) and the windows considered."""
    by_window = window_means(store, names, start_us, end_us)
    starts = list(range(start_us, end_us, WINDOW_US))
    signals = state_signals(session, equipment_id)

    def points(signal_id: int | None) -> list[tuple[int, float]] | None:
        return None if signal_id is None else all_raw(store, signal_id, start_us - STATE_LOOKBACK_US, end_us)

    mask = working_windows(points(signals.state_id), points(signals.mode_id), starts, WINDOW_US)
    order = list(names)
    rows = [
        [by_window[start].get(name, np.nan) for name in order]
        for start, working in zip(starts, mask, strict=True)
        if working and start in by_window
    ]
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(order)), len(starts)


def training_metrics(baseline: Baseline, matrix: np.ndarray, names: list[str]) -> dict[str, float | int]:
    """How the baseline judges its own period: the share of windows over the 99 % limit and under maintenance."""
    columns = [names.index(name) for name in baseline.signals]
    rows = matrix[:, columns]
    rows = rows[~np.isnan(rows).any(axis=1)]
    z = (rows - np.asarray(baseline.median)) / np.asarray(baseline.scale)
    d2 = np.asarray([mahalanobis_sq(row, baseline.location, baseline.precision) for row in z])
    p = len(baseline.signals)
    scores = np.asarray([health_score(max(0.0, v), p) for v in d2])
    return {
        "windows": baseline.windows, "signals": p, "shrinkage": round(baseline.shrinkage, 4),
        "normal_limit_d2": round(normal_limit(p), 4),
        "share_over_limit": round(float((d2 > normal_limit(p)).mean()), 4),
        "share_maintenance_required": round(float((scores < MAINTENANCE_BELOW).mean()), 4),
        "median_score": round(float(np.median(scores)), 2),
    }  # fmt: skip


def learn_baseline(
    session: Session, store: TelemetryStore, actor: Principal, equipment_id: int, data: BaselineLearn
) -> MaintenanceModel:
    """Fit, register (and by default deploy) a baseline; 422 "not enough data" with the counts when it cannot."""
    with session.begin():
        equipment = access.equipment_for_write(session, actor, equipment_id)
        start_us, end_us = _period(data, now_us())
        names = candidate_signals(session, equipment.id, data.signals)
        matrix, considered = features(session, store, equipment.id, names, start_us, end_us)
        fit = fit_baseline(matrix, list(names), window_s=WINDOW_S)
        if isinstance(fit, NotEnoughData):
            notes = "; ".join(fit.notes)
            raise InputError.for_field(
                "body.start",
                f"not enough data: {fit.reason} ({matrix.shape[0]} of {considered} windows at work)"
                + (f"; {notes}" if notes else ""),
            )
        metrics = training_metrics(fit, matrix, list(names)) | {"dropped": len(names) - len(fit.signals)}
        model = registry.create_model(
            session, actor, enterprise_id=equipment.enterprise_id, equipment_id=equipment.id,
            name=f"health-baseline/{equipment.code}", kind=ModelKind.HEALTH_BASELINE, artefact_format=FORMAT,
            artefact=baseline_artefact(fit), signals=fit.signals, metrics=metrics,
            training_start=datetime.fromtimestamp(start_us / 1e6, UTC),
            training_end=datetime.fromtimestamp(end_us / 1e6, UTC),
            note="; ".join(filter(None, [data.note, *fit.notes])) or None,
        )  # fmt: skip
        if data.deploy:
            registry.deploy(session, actor, model, equipment)
    return model
