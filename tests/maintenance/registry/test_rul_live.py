"""A RUL model on live equipment: registered from its file, deployed with a signal mapping, fed per-minute telemetry
of a unit wearing out through the health observer on a SQLite store; its predictions (with intervals) are stored
and a case opens once the RUL falls under the threshold. Cycles: one per two minutes at work (the model's header)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select

from tests.conftest import World
from tests.maintenance.health.support import MINUTE_US, health_plant, write
from tests.maintenance.registry.builders import CYCLE_MINUTES, unit_readings
from zhizao.errors import InputError
from zhizao.maintenance import cases, registry
from zhizao.maintenance.health.kinds import CaseTrigger
from zhizao.maintenance.health.observer import HealthObserver
from zhizao.maintenance.models_health import MaintenanceCase, Prediction
from zhizao.maintenance.rul.online import live_cycles
from zhizao.telemetry.store.base import Point
from zhizao.telemetry.store.factory import open_store

START_US = 1_767_571_200_000_000  # 2026-01-05 00:00 UTC
LIFE = 60  # cycles until the unit fails
SEEN = 57  # cycles of it written to the store


def test_live_cycles_are_runs_of_minutes_at_work() -> None:
    at_work, idle = 3.0, 2.0
    minutes: list[dict[str, float | None]] = [
        {"machinery_item_state": at_work, "a": 1.0},
        {"machinery_item_state": idle, "a": 100.0},  # idle: counts towards no cycle
        {"machinery_item_state": at_work, "a": 3.0},
        {"machinery_item_state": at_work, "a": None},  # no data: skipped
        {"machinery_item_state": at_work, "a": 5.0},
        {"machinery_item_state": at_work, "a": 7.0},
        {"machinery_item_state": None, "a": 9.0},
        {"machinery_item_state": at_work, "a": 11.0},  # an incomplete last run waits for its next minute
    ]
    assert live_cycles(minutes, ["a"], 2).tolist() == [[2.0], [6.0]]
    assert live_cycles([], ["a"], 2).shape == (0, 1)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_rul_predictions_on_live_equipment_open_a_case(
    world: World, rul_model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two-minute cycles make hours short: a case under half an hour (15 cycles) stands for "under 24 h".
    monkeypatch.setattr(cases, "RUL_CASE_BELOW_H", 0.5)
    hp = health_plant(world)
    with world.database.session() as session:
        model = registry.register_file(session, hp.actor, name="spindle rul", artefact=rul_model_file.read_bytes())
    # Named as the model names them, not as the equipment does.
    with pytest.raises(InputError, match="vib, temp"), world.database.session() as session:
        registry.deploy_model(session, hp.actor, model.id, hp.equipment_id)
    mapping = {"vib": "vibration_rms_mm_s", "temp": "temperature_c"}
    with world.database.session() as session:
        deployment = registry.deploy_model(session, hp.actor, model.id, hp.equipment_id, mapping)
        assert deployment.signal_map == {"vib": hp.vib, "temp": hp.temp, "machinery_item_state": hp.state}

    store = open_store(world.database)
    observer = HealthObserver(world.database, store, min_interval_s=CYCLE_MINUTES * 60)
    readings = unit_readings(LIFE, seed=99)
    for first in range(0, SEEN, 10):  # ten cycles (20 minutes) a batch, as an ingest worker commits them
        points: list[Point] = []
        for cycle in range(first, min(first + 10, SEEN)):
            for m in range(CYCLE_MINUTES):
                ts = START_US + (cycle * CYCLE_MINUTES + m) * MINUTE_US
                vib, temp = readings[cycle]
                points += [Point(hp.vib, ts, float(vib)), Point(hp.temp, ts, float(temp))]
                points += [Point(hp.state, ts, 3.0), Point(hp.mode, ts, 3.0)]
        write(store, points)
        observer.committed(points, [])
    assert observer.errors == 0

    with world.database.session() as session:
        rows = session.scalars(select(Prediction).order_by(Prediction.window_end_us)).all()
        opened = session.scalars(select(MaintenanceCase)).all()
    assert len(rows) >= SEEN - 2
    early = [r for r in rows if r.label == "not_enough_data"]
    assert early and all(r.value is None and not r.alert for r in early)  # never a number from too few cycles
    scored = [r for r in rows if r.value is not None]
    values = [float(r.value or 0.0) for r in scored]
    assert all(
        r.unit == "h" and r.detail["lower_h"] <= v <= r.detail["upper_h"] + 1e-9
        for r, v in zip(scored, values, strict=True)
    )
    assert values[0] > 0.5 and not scored[0].alert  # a young unit: RUL near the cap (40 cycles = 80 min)
    last = scored[-1]
    # The newest minute is complete only once later samples show it over (the observer's grace): one cycle less.
    assert last.detail["cycles_seen"] == SEEN - 1
    true_rul_h = (LIFE - last.detail["cycles_seen"]) * CYCLE_MINUTES / 60
    assert abs(values[-1] - true_rul_h) < 0.25, last.detail  # within 7.5 cycles of the truth
    assert last.alert and last.label == "rul_short"
    assert len(opened) == 1 and opened[0].trigger == CaseTrigger.RUL
    first_short = next(r for r, v in zip(scored, values, strict=True) if v < 0.5)
    assert opened[0].prediction_id == first_short.id
    assert np.isclose(opened[0].evidence["prediction"]["value"], first_short.value or 0.0)
