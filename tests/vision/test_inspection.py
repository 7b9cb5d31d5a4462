"""Inspecting images at a station: verdicts become good and scrap units production counts for the equipment; bad
input is refused before anything is stored or counted. The model is a stand-in here (``station_support``): these
tests are about the station's own logic; ``test_end_to_end`` runs a trained model."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import World
from tests.vision.station_support import (
    SIZE,
    DarkSpotModel,
    HeatModel,
    model_row,
    produced,
    station,
    station_row,
    store,
    tenant,
    use_stand_in,
)
from zhizao.db.engine import Database
from zhizao.errors import InputError, NotFound
from zhizao.settings import Settings
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.vision import anomaly, inspection, stations, synthetic
from zhizao.vision.station_models import CountedAs, InspectionSource, VisionInspection
from zhizao.vision.station_schemas import StationUpdate
from zhizao.vision.types import Box, Task, Verdict, VerdictKind

__all__ = ["store"]  # the fixture


def _inspect(database: Database, settings: Settings, store: TelemetryStore, station_id: int, content: bytes
             ) -> VisionInspection:  # fmt: skip
    with database.session() as session:
        return inspection.inspect(session, settings, store, station_id, content, source=InspectionSource.UPLOAD)


def _png(kind: str, seed: int, size: tuple[int, int] = (128, 128)) -> bytes:
    return synthetic.to_png(synthetic.generate(kind, seed, size).image)


def _files(settings: Settings) -> list[Path]:
    root = settings.data_dir / "vision"
    return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []


def test_verdicts_become_good_and_scrap_units_of_the_equipment(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id))
    verdicts = [_inspect(database, settings, store, station_id, _png(kind, seed))
                for kind, seed in (("good", 1), ("spot", 2), ("good", 3), ("spot", 4), ("good", 5))]  # fmt: skip
    assert [v.verdict_kind for v in verdicts] == [VerdictKind.PASS, VerdictKind.DEFECT] * 2 + [VerdictKind.PASS]
    assert [v.counted_as for v in verdicts] == [CountedAs.GOOD, CountedAs.SCRAP] * 2 + [CountedAs.GOOD]
    assert produced(database, store, owner.equipment_id) == (3, 2)
    with database.session() as session:
        row = station_row(session, station_id)
        assert (row.good_total, row.scrap_total) == (3, 2)
    # readings strictly increase in time, whatever the images' own times
    assert [v.counted_at_us for v in verdicts] == sorted({v.counted_at_us for v in verdicts})


def test_a_defect_keeps_its_class_score_and_box(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id))
    sample = synthetic.generate("spot", 9)
    found = _inspect(database, settings, store, station_id, synthetic.to_png(sample.image))
    assert (found.verdict_kind, found.label, found.score, found.confidence) == (VerdictKind.DEFECT, "spot", 0.9, 0.9)
    assert sample.box is not None and len(found.boxes) == 1
    box = found.boxes[0]
    # the stand-in boxes the darkest pixels: inside the spot's own box
    assert sample.box.x0 <= box["x0"] < box["x1"] <= sample.box.x1
    assert sample.box.y0 <= box["y0"] < box["y1"] <= sample.box.y1
    stored = inspection.stored_file(settings.data_dir, found.image_path)
    assert stored.read_bytes().startswith(b"\x89PNG") and (found.width, found.height) == (128, 128)
    assert found.heatmap_path is None


def test_the_same_image_is_stored_once(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id))
    content = _png("good", 4)
    first = _inspect(database, settings, store, station_id, content)
    second = _inspect(database, settings, store, station_id, content)
    assert first.image_path == second.image_path and first.id != second.id
    assert len(_files(settings)) == 1
    assert produced(database, store, owner.equipment_id) == (2, 0)


def test_an_anomaly_heat_map_is_stored_as_a_translucent_overlay(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch, HeatModel())
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id))
    sample = synthetic.generate("spot", 3)
    found = _inspect(database, settings, store, station_id, synthetic.to_png(sample.image))
    assert found.verdict_kind is VerdictKind.ANOMALOUS and found.counted_as is CountedAs.SCRAP
    assert found.threshold == 0.15
    with Image.open(inspection.stored_file(settings.data_dir, found.heatmap_path)) as overlay:
        assert overlay.mode == "RGBA" and overlay.size == (128, 128)
        alpha = np.asarray(overlay)[..., 3]
    # opaque where the spot is, clear on most of the surface
    assert alpha[sample.mask].mean() > 4 * alpha[~sample.mask].mean()
    assert np.median(alpha[~sample.mask]) == 0


class SpotDetector(DarkSpotModel):
    """The stand-in as a detector: its box (score 0.9) is what makes the part a defect."""

    task = Task.DETECT


def test_the_stations_threshold_decides_the_verdict_and_the_count(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = tenant(world, database)
    anomaly_model = model_row(database, owner.organisation_id, task=Task.ANOMALY, classes=())
    detector = model_row(database, owner.organisation_id, task=Task.DETECT, classes=("spot",))
    station_id = station(database, owner, None)
    spot = synthetic.to_png(synthetic.generate("spot", 3).image)

    use_stand_in(monkeypatch, HeatModel())  # anomalous above its own 0.15
    with database.session() as session:
        stations.deploy_model(session, owner.principal, station_id, anomaly_model, 5.0)
    lenient = _inspect(database, settings, store, station_id, spot)
    assert (lenient.verdict_kind, lenient.counted_as, lenient.threshold) == (VerdictKind.PASS, CountedAs.GOOD, 5.0)

    use_stand_in(monkeypatch, SpotDetector())
    with database.session() as session:
        stations.deploy_model(session, owner.principal, station_id, detector, 0.95)
    passed = _inspect(database, settings, store, station_id, spot)
    assert (passed.verdict_kind, passed.label, passed.threshold) == (VerdictKind.PASS, None, 0.95)
    assert passed.confidence == pytest.approx(0.1)  # a weak pass: the review queue shows it
    assert [(box["label"], box["score"], box["shown"]) for box in passed.boxes] == [("spot", 0.9, False)]
    with database.session() as session:
        stations.deploy_model(session, owner.principal, station_id, detector, 0.9)
    flagged = _inspect(database, settings, store, station_id, spot)
    assert (flagged.verdict_kind, flagged.label, flagged.counted_as) == (VerdictKind.DEFECT, "spot", CountedAs.SCRAP)
    assert flagged.boxes[0]["shown"] is True
    assert produced(database, store, owner.equipment_id) == (2, 1)


def _bad_inputs() -> list[tuple[str, bytes, str]]:
    colour = np.zeros((128, 128, 3), dtype=np.uint8)
    colour[..., 0] = 200
    buffer = io.BytesIO()
    Image.fromarray(colour).save(buffer, format="PNG")
    good = _png("good", 1)
    return [
        ("corrupt", good[: len(good) // 2], "not a readable"),
        ("not an image", b"%PDF-1.4 hello", "not a readable"),
        ("empty", b"", "empty file"),
        ("wrong size", _png("good", 1, (96, 128)), "this model takes 128 × 128"),
        ("colour", buffer.getvalue(), "colour image"),
    ]


@pytest.mark.parametrize(("case", "content", "message"), _bad_inputs(), ids=[case[0] for case in _bad_inputs()])
def test_bad_images_are_refused_and_never_stored_or_counted(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch,
    case: str, content: bytes, message: str,
) -> None:  # fmt: skip
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id))
    with pytest.raises(InputError, match=message) as raised:
        _inspect(database, settings, store, station_id, content)
    assert raised.value.fields[0].field == "body.file", case
    _nothing_stored_or_counted(database, settings, store, station_id, owner.equipment_id)


def test_no_model_or_a_switched_off_station_is_refused(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, None)
    with pytest.raises(InputError, match="no model deployed"):
        _inspect(database, settings, store, station_id, _png("good", 1))
    with database.session() as session:
        stations.deploy_model(session, owner.principal, station_id, model_row(database, owner.organisation_id))
    with database.session() as session:
        stations.update_station(session, owner.principal, station_id, StationUpdate(active=False))
    with pytest.raises(InputError, match="switched off"):
        _inspect(database, settings, store, station_id, _png("good", 1))
    _nothing_stored_or_counted(database, settings, store, station_id, owner.equipment_id)


def test_a_deployed_model_of_an_older_file_format_is_refused_not_counted(
    world: World, database: Database, settings: Settings, store: TelemetryStore
) -> None:
    """After a release changes the anomaly model's file format, a station still deployed with an old model answers
    each image with a clear error naming the model folder and the format wanted; nothing is stored or counted."""
    owner = tenant(world, database)
    model_id = model_row(database, owner.organisation_id, task=Task.ANOMALY, classes=())
    folder = settings.data_dir / "vision" / "models" / str(model_id)
    good = [sample.image for sample in synthetic.generate_many("good", anomaly.MIN_IMAGES, seed=5, size=SIZE)]
    anomaly.train(good, trees=3, copies=1).save(folder)
    meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    (folder / "model.json").write_text(json.dumps({**meta, "format": anomaly.FORMAT_VERSION - 1}), encoding="utf-8")
    station_id = station(database, owner, model_id)
    model_files = tuple(_files(settings))
    with pytest.raises(InputError, match=f"format {anomaly.FORMAT_VERSION}") as raised:
        _inspect(database, settings, store, station_id, _png("good", 1))
    assert raised.value.fields[0].field == str(folder)
    _nothing_stored_or_counted(database, settings, store, station_id, owner.equipment_id, kept=model_files)


def _nothing_stored_or_counted(
    database: Database,
    settings: Settings,
    store: TelemetryStore,
    station_id: int,
    equipment_id: int,
    *,
    kept: tuple[Path, ...] = (),
) -> None:
    """No inspection row, count, counter reading or file beyond ``kept`` (files that were there before)."""
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(VisionInspection)) == 0
        row = station_row(session, station_id)
        assert (row.good_total, row.scrap_total, row.last_count_us) == (0, 0, 0)
        signals = stations.counter_signals(session, row)
    assert store.latest(list(signals.values())) == {}
    assert produced(database, store, equipment_id) == (0, 0)
    assert _files(settings) == sorted(kept)


def test_stored_files_are_only_those_the_station_wrote(settings: Settings) -> None:
    for name in (None, "../zhizao.db", "vision/images/ab/x.png", "vision/inspections/ab/" + "0" * 64 + ".png"):
        with pytest.raises(NotFound):
            inspection.stored_file(settings.data_dir, name)


def test_counter_readings_lost_to_a_crash_are_written_again(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The inspection commits before its readings are written; if the process dies in between, the station's
    heartbeat writes its totals, so production still counts the unit."""
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id))
    _inspect(database, settings, store, station_id, _png("good", 1))
    lost: list[object] = []
    written = inspection.write_reading
    monkeypatch.setattr(inspection, "write_reading", lambda *args: lost.append(args))  # the crash
    _inspect(database, settings, store, station_id, _png("spot", 2))
    monkeypatch.setattr(inspection, "write_reading", written)
    assert len(lost) == 1
    assert produced(database, store, owner.equipment_id) == (1, 0)
    assert inspection.keep_readings(database, store) == 1
    assert produced(database, store, owner.equipment_id) == (1, 1)
    assert inspection.keep_readings(database, store) == 0  # up to date and recent: nothing to repeat
    assert inspection.keep_readings(database, store, heartbeat_s=0) == 1  # the heartbeat repeats the totals
    assert produced(database, store, owner.equipment_id) == (1, 1)


def test_only_the_strongest_separate_boxes_are_drawn() -> None:
    """The best box; a weaker one at least half as strong elsewhere; not its overlapping or weak neighbours."""
    boxes = (
        Box(10, 10, 30, 30, "spot", 0.9),
        Box(12, 12, 32, 32, "spot", 0.6),  # overlaps the best
        Box(80, 80, 100, 100, "spot", 0.5),  # elsewhere, at least half as strong
        Box(50, 10, 60, 20, "spot", 0.3),  # elsewhere, too weak
    )
    rows = inspection.boxes_json(Verdict(VerdictKind.DEFECT, "spot", 0.9, boxes))
    assert [(row["x0"], row["shown"]) for row in rows] == [(10, True), (12, False), (80, True), (50, False)]
    assert inspection.boxes_json(Verdict(VerdictKind.PASS, None, 0.9)) == []
