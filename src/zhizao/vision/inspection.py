"""Inspecting one image at a station, and counting its verdict into the equipment's good and scrap counters.

``inspect`` decodes the image (``images.decode_grey``: the bytes decide), checks it against the deployed model's
spec, runs the model, stores the image (grey PNG) and any anomaly heat map (RGBA PNG) under the data directory
(content-addressed: ``vision/inspections/ab/ab….png``, ``vision/heatmaps/…``), inserts the inspection and counts
it: PASS → good, DEFECT or ANOMALOUS → scrap. A corrupt image, a wrong size or colour mode, an inactive station or
one with no model is an InputError before anything is stored or counted.

How the counting works. The station keeps running totals (``good_total``, ``scrap_total``); each inspection adds
one under the station's row lock and the totals are written as *cumulative readings* of the station's
``GOOD_COUNTER`` and ``SCRAP_COUNTER`` signals, through the telemetry store's ``write``, both at one time
``counted_at_us`` that is strictly increasing per station (the count's own time, never the image's, which a
gateway may send out of order). Production turns readings into increments per minute
(``production.sources.counter_increments``), so the station's verdicts become GQ and SQ of its equipment, and
OEE's quality ratio Q = GQ / PQ reflects them. The readings are written after the inspection commits (SQLite has
one writer); a reading lost to a crash in between is made good by the next one, which carries the totals, and by
``keep_readings`` (run by the station services), which also repeats each station's totals every ``HEARTBEAT_S``.

Corrections. A counter never goes down: production reads a lower reading as a counter reset and would count the
new value from zero. So a reviewer's correction that changes what an inspection counts as (pass → defect or
anomalous, or back) leaves the counters (and the station's totals, which are their readings: what the station
inspected) as they are and records a *count correction* (``production.corrections``): the unit moves from good to
scrap, or back, in the minute it was counted, and production recomputes that day. GQ and SQ follow the reviewed
verdict and PQ stays the units inspected. A correction that keeps the count (defect class A → class B, defect →
anomalous) changes nothing.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.db.engine import Database
from zhizao.errors import InputError, NotFound
from zhizao.production import corrections
from zhizao.production.models import CountCorrection
from zhizao.settings import Settings
from zhizao.telemetry.machinery import GOOD_COUNTER, SCRAP_COUNTER
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore
from zhizao.telemetry.timeutil import now_us
from zhizao.vision import registry, stations, storage
from zhizao.vision.decision import at_threshold
from zhizao.vision.metrics import box_iou
from zhizao.vision.model import InspectionModel
from zhizao.vision.models import VisionModel
from zhizao.vision.station_models import CountedAs, InspectionSource, VisionInspection, VisionStation
from zhizao.vision.types import Box, Verdict, VerdictKind

logger = logging.getLogger(__name__)

COUNTERS = (GOOD_COUNTER, SCRAP_COUNTER)

IMAGE_DIR = "vision/inspections"
HEATMAP_DIR = "vision/heatmaps"
_STORED = re.compile(r"^vision/(inspections|heatmaps)/([0-9a-f]{2})/([0-9a-f]{64})\.png$")
HEARTBEAT_S = 30.0  # a station's counters report their totals at least this often (see keep_readings)
MINUTE_US = 60_000_000
CORRECTION_SOURCE = "vision_review"  # production.CountCorrection.source of a reviewer's correction
SHOWN_SHARE = 0.5
SHOWN_OVERLAP = 0.1
PREPARE_INTERVAL_US = 600_000_000  # PostgreSQL: make sure the day's sample partition exists, every ten minutes


def count_of(kind: VerdictKind) -> CountedAs:
    return CountedAs.GOOD if kind is VerdictKind.PASS else CountedAs.SCRAP


def confidence_of(verdict: Verdict) -> float:
    """How sure the model is, in [0, 1]: the class probability (classify, detect); for anomaly the distance of the
    score from the threshold relative to the threshold (0 at the threshold, 1 at twice or at zero)."""
    if verdict.threshold is not None and verdict.threshold > 0:
        return float(min(1.0, abs(verdict.score - verdict.threshold) / verdict.threshold))
    return float(min(1.0, max(0.0, verdict.score)))


def inspect(
    session: Session,
    settings: Settings,
    store: TelemetryStore,
    station_id: int,
    content: bytes,
    *,
    source: InspectionSource,
    received_at: datetime | None = None,
    original_name: str | None = None,
    field: str = "body.file",
) -> VisionInspection:
    """Inspect one image at a station (already scoped by the caller) and count it; see the module's note."""
    with session.begin():
        station = session.get(VisionStation, station_id)
        if station is None:
            raise NotFound(f"inspection station {station_id} not found")
        if not station.active:
            raise InputError.for_field("station", f"station {station.name} is switched off")
        row = session.get(VisionModel, station.model_id) if station.model_id else None
        if row is None or not row.path:
            raise InputError.for_field("station", f"station {station.name} has no model deployed")
        threshold = station.threshold
    model = load_deployed(settings, row)
    prepared, image = storage.prepare(content, field)
    model.spec.check(image, field)
    started = time.perf_counter()
    verdict = at_threshold(model.inspect(image), model.task, threshold)
    latency_ms = (time.perf_counter() - started) * 1000.0
    # a detector's verdict has no threshold of its own (its score is a probability); the station's is recorded
    decided_at = verdict.threshold if verdict.threshold is not None else threshold
    staged = _Files(settings.data_dir)
    try:
        image_path = staged.write(IMAGE_DIR, prepared.content)
        heatmap_path = None if verdict.heatmap is None else staged.write(HEATMAP_DIR, heatmap_png(verdict))
        with session.begin():
            station = _locked(session, station_id)
            counted = count_of(verdict.kind)
            reading = _add_count(station, good=int(counted is CountedAs.GOOD), scrap=int(counted is CountedAs.SCRAP))
            inspection = VisionInspection(
                station_id=station.id, organisation_id=station.organisation_id, product_code=station.product_code,
                source=source, received_at=received_at or datetime.now(UTC), counted_at_us=reading.ts_us,
                image_path=image_path, original_name=(original_name or "")[:255] or None, width=prepared.width,
                height=prepared.height, verdict_kind=verdict.kind, label=verdict.label, score=float(verdict.score),
                threshold=decided_at, confidence=confidence_of(verdict), boxes=boxes_json(verdict, threshold),
                heatmap_path=heatmap_path, model_id=row.id, latency_ms=latency_ms, counted_as=counted,
            )  # fmt: skip
            session.add(inspection)
            signals = stations.counter_signals(session, station)
    except BaseException:
        staged.discard(session)
        raise
    write_reading(store, signals, reading)
    return inspection


def correct_count(
    session: Session, station_id: int, inspection: VisionInspection, counted: CountedAs
) -> CountCorrection | None:
    """In the caller's open transaction: move the inspection's unit to ``counted``'s side when it counted as the
    other (see the module's note); the correction, or None when nothing changes."""
    if inspection.counted_as is counted:
        return None
    station = _locked(session, station_id)
    equipment = session.get(Equipment, station.equipment_id)
    if equipment is None:
        raise NotFound(f"equipment {station.equipment_id} not found")
    inspection.counted_as = counted
    to_scrap = 1 if counted is CountedAs.SCRAP else -1
    return corrections.record(
        session, equipment, inspection.counted_at_us, to_scrap, CORRECTION_SOURCE, f"inspection {inspection.id}"
    )


@dataclass
class Reading:
    """The station's totals at one time, to be written as the counters' cumulative readings."""

    ts_us: int
    good: int
    scrap: int
    signals: dict[str, int] = field(default_factory=dict)
    # The station's first count: zero readings a minute earlier, so that production, which counts increments
    # between readings, counts the first unit too.
    baseline_us: int | None = None


_prepared: dict[int, int] = {}


def write_reading(store: TelemetryStore, signals: dict[str, int], reading: Reading) -> None:
    """Both counters' readings in one batch. A failure is logged, not raised: the inspection is committed, and the
    next reading or ``keep_readings`` carries the totals (the counters are cumulative)."""
    points = [
        Point(signals[name], reading.ts_us, float(total))
        for name, total in ((GOOD_COUNTER, reading.good), (SCRAP_COUNTER, reading.scrap))
        if name in signals
    ]
    if reading.baseline_us is not None:
        points.extend(Point(signals[name], reading.baseline_us, 0.0) for name in COUNTERS if name in signals)
    try:
        if reading.ts_us - _prepared.get(id(store), 0) >= PREPARE_INTERVAL_US:
            store.prepare(reading.ts_us)
            _prepared[id(store)] = reading.ts_us
        store.write(Batch(points=points))
    except Exception:
        logger.exception("counter readings of the inspection station could not be written; the next ones carry them")


def keep_readings(database: Database, store: TelemetryStore, *, heartbeat_s: float = HEARTBEAT_S) -> int:
    """Write the totals again, at the current time, for every station that has counted and whose newest stored
    reading is behind its totals (lost to a crash) or older than ``heartbeat_s``; how many were written.

    The heartbeat is what a machine's counter does too: production takes a window's first increment from the last
    reading in the minute before the window (``production.sources.counter_increments``), so a station that counts
    rarely must still report its totals at least once a minute, or the first unit of a window would be lost."""
    stale_before = now_us() - int(heartbeat_s * 1_000_000)
    with database.session() as session:
        with session.begin():
            candidates = [
                station.id
                for station in session.scalars(select(VisionStation).where(VisionStation.last_count_us > 0))
                if station.last_count_us < stale_before
                or _behind(store, stations.counter_signals(session, station), station)
            ]
        written = 0
        for station_id in candidates:
            with session.begin():
                station = _locked(session, station_id)  # re-read under the lock: an inspection may have counted
                signals = stations.counter_signals(session, station)
                due = station.last_count_us < stale_before or _behind(store, signals, station)
                reading = _add_count(station, good=0, scrap=0) if due else None
            if reading is not None:
                write_reading(store, signals, reading)
                written += 1
    return written


def _behind(store: TelemetryStore, signals: dict[str, int], station: VisionStation) -> bool:
    latest = store.latest(list(signals.values()))
    totals = {GOOD_COUNTER: station.good_total, SCRAP_COUNTER: station.scrap_total}
    return any(
        name not in signals or signals[name] not in latest or latest[signals[name]].value != total
        for name, total in totals.items()
    )


def boxes_json(verdict: Verdict, threshold: float | None = None) -> list[dict[str, Any]]:
    """Every box of the verdict, best first. ``shown``: drawn over the image — the best box, and each other box
    scoring at least ``SHOWN_SHARE`` of it that overlaps no box drawn already by more than ``SHOWN_OVERLAP`` IoU
    (a detector returns weaker and overlapping candidates too, which would hide the defect under a pile of
    rectangles; they stay in the record); with a station's threshold, only boxes at or above it."""
    ranked = sorted(verdict.boxes, key=lambda box: -box.score)
    best = ranked[0].score if ranked else 0.0
    drawn: list[Box] = []
    rows: list[dict[str, Any]] = []
    for box in ranked:
        shown = box.score >= SHOWN_SHARE * best and all(box_iou(box, other) <= SHOWN_OVERLAP for other in drawn)
        shown = shown and (threshold is None or box.score >= threshold)
        if shown:
            drawn.append(box)
        rows.append({"x0": box.x0, "y0": box.y0, "x1": box.x1, "y1": box.y1, "label": box.label,
                     "score": float(box.score), "shown": shown})  # fmt: skip
    return rows


def heatmap_png(verdict: Verdict) -> bytes:
    """The anomaly map as a red RGBA PNG whose opacity grows from the map's median to its top (or the threshold,
    if higher), for drawing semi-transparently over the image."""
    heat = np.asarray(verdict.heatmap, dtype=np.float64)
    low = float(np.median(heat))
    high = max(float(heat.max()), float(verdict.threshold or 0.0))
    level = np.clip((heat - low) / max(high - low, 1e-12), 0.0, 1.0)
    rgba: NDArray[np.uint8] = np.zeros((*heat.shape, 4), dtype=np.uint8)
    rgba[..., 0] = 255
    rgba[..., 1] = np.round(200 * (1.0 - level)).astype(np.uint8)  # yellow where faint, red where strong
    rgba[..., 3] = np.round(220 * level).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(rgba, mode="RGBA").save(out, format="PNG")
    return out.getvalue()


def stored_file(data_dir: Path, relative_path: str | None) -> Path:
    """The file of a stored inspection image or heat map; only names this module writes are followed."""
    if relative_path is None or _STORED.match(relative_path) is None:
        raise NotFound("no such inspection image")
    path = data_dir / relative_path
    if not path.is_file():
        raise NotFound(f"the file {relative_path} is missing from the data directory")
    return path


def load_deployed(settings: Settings, row: VisionModel) -> InspectionModel:
    """The station's model, loaded once per process by the registry."""
    return registry.load(settings, row)


def _locked(session: Session, station_id: int) -> VisionStation:
    station = session.get(VisionStation, station_id)
    if station is None:
        raise NotFound(f"inspection station {station_id} not found")
    session.refresh(station, with_for_update=True)  # PostgreSQL: one station's counts are taken in turn
    return station


def _add_count(station: VisionStation, *, good: int, scrap: int) -> Reading:
    first = not station.last_count_us
    station.good_total = (station.good_total or 0) + good
    station.scrap_total = (station.scrap_total or 0) + scrap
    station.last_count_us = max(now_us(), (station.last_count_us or 0) + 1)
    baseline = station.last_count_us - MINUTE_US if first else None
    return Reading(station.last_count_us, station.good_total, station.scrap_total, baseline_us=baseline)


@dataclass
class _Files:
    """Files one inspection writes, removed again when its row does not commit (unless a committed row uses them:
    the same image inspected before)."""

    data_dir: Path
    written: list[str] = field(default_factory=list)

    def write(self, folder: str, content: bytes) -> str:
        digest = hashlib.sha256(content).hexdigest()
        relative = f"{folder}/{digest[:2]}/{digest}.png"
        path = self.data_dir / relative
        if not path.exists():
            storage.write_atomically(path, content)
            self.written.append(relative)
        return relative

    def discard(self, session: Session) -> None:
        if not self.written:
            return
        with Session(session.get_bind()) as probe:
            used = set(probe.scalars(select(VisionInspection.image_path).where(
                VisionInspection.image_path.in_(self.written))))  # fmt: skip
            used |= set(probe.scalars(select(VisionInspection.heatmap_path).where(
                VisionInspection.heatmap_path.in_(self.written))))  # fmt: skip
        for relative in self.written:
            if relative not in used:
                (self.data_dir / relative).unlink(missing_ok=True)
        self.written.clear()
