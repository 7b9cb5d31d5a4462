"""Stops of the state ledger as operators see them: listed with their reasons, and classified.

A stop is a ledger interval in which the equipment was not producing, i.e. anything but Executing + Processing.
Only stops inside planned busy time (a shift, outside breaks and planned downtime) are losses; the list shows all
of them with a flag so an operator can also explain what happened off shift.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, not_, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, InputError
from zhizao.production.calendar import CalendarWindows
from zhizao.production.equipment_plan import micro_stop_us, planned_windows
from zhizao.production.models import DowntimeReason, ReasonTree, StateInterval
from zhizao.production.reasons import current_tree
from zhizao.production.schemas import ReasonRead, StopClassification, StopRead
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.scope import get_scoped
from zhizao.telemetry.timeutil import from_us

MAX_STOPS = 10_000
MAX_RANGE_US = 92 * 86_400 * 1_000_000  # a quarter: what one screen of stops can usefully show
PRODUCING = and_(
    StateInterval.state == int(MachineryItemState.EXECUTING), StateInterval.mode == int(OperationMode.PROCESSING)
)


def is_stop(interval: StateInterval) -> bool:
    return not (interval.state == MachineryItemState.EXECUTING and interval.mode == OperationMode.PROCESSING)


def is_micro_stop(interval: StateInterval, threshold_us: int) -> bool:
    return interval.state == MachineryItemState.NOT_EXECUTING and interval.end_us - interval.start_us < threshold_us


def planned_busy_us(start_us: int, end_us: int, windows: CalendarWindows) -> int:
    """How much of [start_us, end_us) lies in a shift and outside every planned-downtime window."""
    busy = 0
    downtime = sorted((window.start_us, window.end_us) for window in windows.planned_downtime)
    for shift in windows.shifts:
        low, high = max(start_us, shift.start_us), min(end_us, shift.end_us)
        if low >= high:
            continue
        covered_until = low
        uncovered = 0
        for window_start, window_end in downtime:  # sorted: walk the gaps between windows
            if window_end <= covered_until or window_start >= high:
                continue
            uncovered += max(0, window_start - covered_until)
            covered_until = max(covered_until, min(window_end, high))
        busy += uncovered + max(0, high - covered_until)
    return busy


def stop_read(
    interval: StateInterval, reason: DowntimeReason | None, threshold_us: int, windows: CalendarWindows | None
) -> StopRead:
    busy = planned_busy_us(interval.start_us, interval.end_us, windows) if windows is not None else None
    return StopRead(
        id=interval.id,
        equipment_id=interval.equipment_id,
        start=from_us(interval.start_us),
        end=from_us(interval.end_us),
        duration_s=(interval.end_us - interval.start_us) / 1_000_000,
        state=MachineryItemState(interval.state),
        mode=OperationMode(interval.mode),
        program=interval.program,
        is_micro_stop=is_micro_stop(interval, threshold_us),
        in_planned_busy_time=None if busy is None else busy > 0,
        reason=ReasonRead.model_validate(reason) if reason else None,
        classified_by=interval.classified_by,
        classified_at=interval.classified_at,
    )


def _reasons_by_id(session: Session, ids: set[int]) -> dict[int, DowntimeReason]:
    if not ids:
        return {}
    return {reason.id: reason for reason in session.scalars(select(DowntimeReason).where(DowntimeReason.id.in_(ids)))}


def list_stops(
    session: Session, actor: Principal, equipment_id: int, start_us: int, end_us: int, *, limit: int = 1000
) -> list[StopRead]:
    """The equipment's stops overlapping [start_us, end_us), oldest first, at most ``limit``."""
    if end_us - start_us > MAX_RANGE_US:
        raise InputError.for_field("query.end", "ask for at most 92 days of stops at a time")
    equipment = get_scoped(session, actor, Equipment, equipment_id, "equipment")
    stops: Sequence[StateInterval] = session.scalars(
        select(StateInterval)
        .where(
            StateInterval.equipment_id == equipment.id,
            StateInterval.end_us > start_us,
            StateInterval.start_us < end_us,
            not_(PRODUCING),
        )
        .order_by(StateInterval.start_us)
        .limit(min(limit, MAX_STOPS))
    ).all()
    if not stops:
        return []
    windows = planned_windows(session, equipment, stops[0].start_us, max(stop.end_us for stop in stops))
    reasons = _reasons_by_id(session, {stop.reason_id for stop in stops if stop.reason_id is not None})
    threshold = micro_stop_us(session, equipment.id)
    return [stop_read(stop, reasons.get(stop.reason_id or 0), threshold, windows) for stop in stops]


def scoped_stop(session: Session, actor: Principal, interval_id: int) -> StateInterval:
    interval = get_scoped(session, actor, StateInterval, interval_id, "stop")
    if not is_stop(interval):
        raise Conflict(f"interval {interval_id} is production time (executing, processing), not a stop")
    return interval


def read_stop(session: Session, actor: Principal, interval_id: int) -> StopRead:
    interval = scoped_stop(session, actor, interval_id)
    reason = session.get(DowntimeReason, interval.reason_id) if interval.reason_id else None
    equipment = session.get(Equipment, interval.equipment_id)
    assert equipment is not None
    windows = planned_windows(session, equipment, interval.start_us, interval.end_us)
    return stop_read(interval, reason, micro_stop_us(session, interval.equipment_id), windows)


def _check_reason(session: Session, interval: StateInterval, reason_id: int) -> DowntimeReason:
    """A reason of the interval's enterprise, from the current tree (a reason already set may stay)."""
    reason = session.get(DowntimeReason, reason_id)
    tree = session.get(ReasonTree, reason.tree_id) if reason else None
    if reason is None or tree is None or tree.enterprise_id != interval.enterprise_id:
        raise InputError.for_field("body.reason_id", f"{reason_id} is not a downtime reason of this enterprise")
    current = current_tree(session, interval.enterprise_id)
    if current is not None and tree.id != current.id and reason.id != interval.reason_id:
        raise InputError.for_field(
            "body.reason_id",
            f"reason {reason.code} is from version {tree.version} of the reason tree; "
            f"classify with the current version {current.version}",
        )
    return reason


def classify_stop(session: Session, actor: Principal, interval_id: int, data: StopClassification) -> StopRead:
    """Set (or clear) the reason of a stop, recording who did it and when."""
    with session.begin():
        interval = scoped_stop(session, actor, interval_id)
        previous = session.get(DowntimeReason, interval.reason_id) if interval.reason_id else None
        reason = _check_reason(session, interval, data.reason_id) if data.reason_id is not None else None
        interval.reason_id = reason.id if reason else None
        interval.classified_by = actor.user_id if reason else None
        interval.classified_at = utcnow() if reason else None
        audit.record(
            session, actor, action="stop.classify", entity_type="state_interval", entity_id=interval.id,
            organisation_id=interval.enterprise_id,
            before={"reason": previous.code if previous else None},
            after={"reason": reason.code if reason else None, "equipment_id": interval.equipment_id,
                   "start": from_us(interval.start_us).isoformat(), "end": from_us(interval.end_us).isoformat()},
        )  # fmt: skip
        session.flush()
        equipment = session.get(Equipment, interval.equipment_id)
        assert equipment is not None
        windows = planned_windows(session, equipment, interval.start_us, interval.end_us)
        return stop_read(interval, reason, micro_stop_us(session, interval.equipment_id), windows)
