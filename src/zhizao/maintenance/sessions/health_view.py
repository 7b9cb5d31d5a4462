"""The equipment's health as a session shows it, from ``zhizao.maintenance.health``'s service: the current status
(NAMUR NE107), score 0–100 and the window it covers, or — when no health baseline is deployed on the equipment —
None: "health is not assessed for this equipment". Never a made-up score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.errors import NotFound
from zhizao.maintenance.health import service as health
from zhizao.maintenance.health.kinds import HEALTH_STATUS_COLOURS, HEALTH_STATUS_LABELS
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.store.base import TelemetryStore


@dataclass(frozen=True, slots=True)
class HealthView:
    status: str
    label: str  # an English message id
    colour: str
    score: float | None
    window_end: datetime | None
    drivers: list[str]  # the signals that drove the score, most first
    note: str | None  # an English message id: why there is no score ("no recent data", "not assessed yet")
    case_id: int | None  # the open maintenance case of the equipment, if any


def health_of(session: Session, store: TelemetryStore, principal: Principal, equipment: Equipment) -> HealthView | None:
    """The health service checks the caller itself (a platform operator needs the same ``remote_maintenance``
    consent the session stands on); None when it is not assessed, or not the caller's to read."""
    try:
        read = health.equipment_health(session, store, principal, equipment.id)
    except NotFound:
        return None
    if read.baseline_model_id is None:
        return None
    status = read.assessment.status.value
    return HealthView(
        status=status,
        label=HEALTH_STATUS_LABELS.get(status, status),
        colour=HEALTH_STATUS_COLOURS.get(status, "#757575"),
        score=read.assessment.score,
        window_end=read.assessment.window_end,
        drivers=[driver.signal for driver in read.assessment.drivers],
        note=read.assessment.note,
        case_id=read.open_case_id,
    )
