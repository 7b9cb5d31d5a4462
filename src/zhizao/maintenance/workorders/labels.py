"""Failure labels for the health and RUL models: what verified corrective work orders say failed, and when.

``failure_labels`` is the interface the models read (no caller scope: the models run inside the enterprise's own
jobs and check their caller themselves). ``onset`` is the first sign when the order came from an alarm, else
None; ``failure`` is when the equipment went down (from the ledger when it had data, else the order's start);
``repair_end`` when it came back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.errors import InputError
from zhizao.maintenance.models_workorders import FailureLabel
from zhizao.maintenance.workorders.reliability import RepairSource
from zhizao.telemetry.timeutil import from_us, to_us


@dataclass(frozen=True, slots=True)
class Label:
    order_id: int
    equipment_id: int
    failure_mode: str | None
    onset: datetime | None
    failure: datetime
    repair_end: datetime
    source: RepairSource  # ledger, or the order's own times (see ``RepairSource``)


def failure_labels(
    session: Session,
    enterprise_id: int,
    equipment_id: int | None = None,
    period: tuple[datetime, datetime] | None = None,
) -> list[Label]:
    """The enterprise's failure labels (of one equipment when given) whose failure lies in ``period`` [start, end),
    oldest first."""
    query = select(FailureLabel).where(FailureLabel.enterprise_id == enterprise_id)
    if equipment_id is not None:
        query = query.where(FailureLabel.equipment_id == equipment_id)
    if period is not None:
        start, end = period
        if end <= start:
            raise InputError.for_field("period", "the period ends before it starts")
        query = query.where(FailureLabel.failure_us >= to_us(start), FailureLabel.failure_us < to_us(end))
    rows = session.scalars(query.order_by(FailureLabel.failure_us, FailureLabel.id))
    return [
        Label(
            row.order_id,
            row.equipment_id,
            row.failure_mode,
            from_us(row.onset_us) if row.onset_us is not None else None,
            from_us(row.failure_us),
            from_us(row.repair_end_us),
            row.source,
        )
        for row in rows
    ]
