"""Data-verified evidence (issue 6 §6): items the enterprise's telemetry can confirm are checked against it.

Measured over the enterprise's asset model and devices (``zhizao.telemetry`` models), in a window of
``WINDOW_DAYS`` before now; "reporting" means a device bound to the equipment was last seen inside the window.
Energy meters are not core equipment; they count only for energy metering.

- equipment connectivity: share of core equipment with a reporting device;
- data acquisition: share of core equipment with at least one data point on a reporting device;
- equipment management, production monitoring: share of core equipment with a state data point (OPC 40001
  machine state) on a reporting device;
- energy metering: share of lines with an energy meter (at the line or in one of its cells) on a reporting device.

A share supports a rating by ``SUPPORT_THRESHOLDS``. A rating above 0 that the measured share supports is graded
``data_verified`` with the figure in its comment; a rating the data does not support is left as it is and
reported, for the assessor to look at. Ratings checked on site keep that grade.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.assessment.kinds import EvidenceGrade, TelemetryCheck
from zhizao.assessment.model import load_model
from zhizao.assessment.schemas import Measurement, VerificationReport
from zhizao.assessment.scoring import ItemRating
from zhizao.assessment.service_access import get_assessment, rater_for_write
from zhizao.assessment.service_ratings import item_ratings, stored_ratings, write_ratings
from zhizao.db.base import utcnow
from zhizao.telemetry.kinds import EquipmentType, NodeLevel, SignalKind
from zhizao.telemetry.models import AssetNode, Device, Equipment, Signal

WINDOW_DAYS = 30
# (minimum measured share, the highest rating it supports), strongest first.
SUPPORT_THRESHOLDS: tuple[tuple[float, float], ...] = ((0.9, 1.0), (0.7, 0.8), (0.4, 0.5))
NOTE_PREFIX = "[telemetry] "
MAX_COMMENT = 4000


def supported_rating(share: float) -> float:
    """The highest rating a measured share supports: ≥ 90 % → 1, ≥ 70 % → 0.8, ≥ 40 % → 0.5, else 0."""
    return next((rating for minimum, rating in SUPPORT_THRESHOLDS if share >= minimum), 0.0)


@dataclass(frozen=True, slots=True)
class _Counts:
    measured: int
    total: int


def _share(counts: _Counts) -> float:
    return counts.measured / counts.total


def _plant(
    session: Session, enterprise_id: int, since: datetime
) -> tuple[dict[int, Equipment], set[int], set[int], set[int]]:
    """Equipment by id, and the equipment with a reporting device, with a data point on one, with a state point."""
    equipment = {
        row.id: row for row in session.scalars(select(Equipment).where(Equipment.enterprise_id == enterprise_id))
    }
    reporting = select(Device).where(
        Device.enterprise_id == enterprise_id, Device.is_active.is_(True), Device.last_seen_at >= since
    )
    connected = {device.equipment_id for device in session.scalars(reporting) if device.equipment_id is not None}
    with_points: set[int] = set()
    with_state: set[int] = set()
    rows = session.execute(
        select(Signal.equipment_id, Device.equipment_id, Signal.kind)
        .join(Device, Device.id == Signal.device_id)
        .where(Device.enterprise_id == enterprise_id, Device.is_active.is_(True), Device.last_seen_at >= since)
    ).all()
    for signal_equipment, device_equipment, kind in rows:
        target = signal_equipment or device_equipment
        if target is None:
            continue
        with_points.add(target)
        if kind == SignalKind.STATE:
            with_state.add(target)
    return equipment, connected, with_points, with_state


def measure(session: Session, enterprise_id: int, now: datetime) -> dict[TelemetryCheck, _Counts]:
    """What the enterprise's telemetry shows, per check; a check with nothing to count is left out."""
    since = now - timedelta(days=WINDOW_DAYS)
    equipment, connected, with_points, with_state = _plant(session, enterprise_id, since)
    core = [row.id for row in equipment.values() if row.equipment_type != EquipmentType.ENERGY_METER]
    results: dict[TelemetryCheck, _Counts] = {}
    if core:
        results[TelemetryCheck.EQUIPMENT_CONNECTIVITY] = _Counts(len(connected.intersection(core)), len(core))
        results[TelemetryCheck.DATA_ACQUISITION] = _Counts(len(with_points.intersection(core)), len(core))
        state = _Counts(len(with_state.intersection(core)), len(core))
        results[TelemetryCheck.EQUIPMENT_MANAGEMENT] = state
        results[TelemetryCheck.PRODUCTION_MONITORING] = state
    nodes = {row.id: row for row in session.scalars(select(AssetNode).where(AssetNode.enterprise_id == enterprise_id))}
    lines = {node_id for node_id, node in nodes.items() if node.level == NodeLevel.LINE}
    if lines:
        metered = set()
        for row in equipment.values():
            if row.equipment_type != EquipmentType.ENERGY_METER or row.id not in connected or row.node_id is None:
                continue
            node = nodes.get(row.node_id)
            if node is not None and node.level == NodeLevel.CELL:
                node = nodes.get(node.parent_id) if node.parent_id is not None else None
            if node is not None and node.id in lines:
                metered.add(node.id)
        results[TelemetryCheck.ENERGY_METERING] = _Counts(len(metered), len(lines))
    return results


_DESCRIPTIONS = {
    TelemetryCheck.EQUIPMENT_CONNECTIVITY: "{m} of {t} pieces of core equipment have a device that reported in the "
    "last {d} days",
    TelemetryCheck.DATA_ACQUISITION: "{m} of {t} pieces of core equipment have data points on a device that "
    "reported in the last {d} days",
    TelemetryCheck.EQUIPMENT_MANAGEMENT: "{m} of {t} pieces of core equipment report their machine state "
    "(last {d} days)",
    TelemetryCheck.PRODUCTION_MONITORING: "{m} of {t} pieces of core equipment report their machine state "
    "(last {d} days)",
    TelemetryCheck.ENERGY_METERING: "{m} of {t} lines have an energy meter that reported in the last {d} days",
}


def measurements(counts: dict[TelemetryCheck, _Counts]) -> list[Measurement]:
    return [
        Measurement(
            check=check,
            measured=value.measured,
            total=value.total,
            share=round(_share(value), 4),
            supported_rating=supported_rating(_share(value)),
            description=_DESCRIPTIONS[check].format(m=value.measured, t=value.total, d=WINDOW_DAYS),
        )
        for check, value in counts.items()
    ]


def _note(measurement: Measurement, now: datetime) -> str:
    return f"{NOTE_PREFIX}{measurement.share:.0%}: {measurement.description} ({now.date().isoformat()})"


def _with_note(comment: str, note: str) -> str:
    kept = [line for line in comment.splitlines() if not line.startswith(NOTE_PREFIX)]
    text = "\n".join([*kept, note]).strip()
    return text[-MAX_COMMENT:]


def verify(session: Session, actor: Principal, assessment_id: int, now: datetime | None = None) -> VerificationReport:
    """Grade the caller's verifiable ratings ``data_verified`` where the enterprise's telemetry supports them."""
    moment = now or utcnow()
    with session.begin():
        assessment = get_assessment(session, actor, assessment_id, lock=True)
        rater_id = rater_for_write(session, actor, assessment)
        model = load_model(assessment.model_version)
        found = {entry.check: entry for entry in measurements(measure(session, assessment.enterprise_id, moment))}
        verified: list[str] = []
        unsupported: list[str] = []
        updates: list[ItemRating] = []
        for entry in item_ratings(stored_ratings(session, assessment.id, rater_id)):
            check = model.requirement(entry.item).verifiable_by if model.has_requirement(entry.item) else None
            measurement = found.get(check) if check is not None else None
            if measurement is None or entry.rating is None or entry.rating == 0:
                continue
            if entry.rating > measurement.supported_rating:
                unsupported.append(entry.item)
                continue
            if entry.evidence_grade == EvidenceGrade.SITE_CHECKED:
                continue  # seen on site: as strong as data, and the assessor's own note stays
            verified.append(entry.item)
            updates.append(
                entry.model_copy(
                    update={
                        "evidence_grade": EvidenceGrade.DATA_VERIFIED,
                        "comment": _with_note(entry.comment, _note(measurement, moment)),
                    }
                )
            )
        write_ratings(session, actor, assessment, rater_id, updates)
    return VerificationReport(
        assessment_id=assessment.id,
        rater_id=rater_id,
        measured_at=moment,
        measurements=list(found.values()),
        verified_items=verified,
        unsupported_items=unsupported,
    )


def preview(session: Session, actor: Principal, assessment_id: int, now: datetime | None = None) -> list[Measurement]:
    """The measurements alone, changing nothing."""
    assessment = get_assessment(session, actor, assessment_id)
    return measurements(measure(session, assessment.enterprise_id, now or utcnow()))
