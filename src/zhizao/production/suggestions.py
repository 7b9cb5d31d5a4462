"""Ranked reason suggestions for a stop, so that classifying one is usually a single tap.

Three kinds of evidence add up to a reason's score:

- **alarm** (weight 3): the alarm text active when the stop began names the reason. This is the seam for the
  alarm capability of a later issue: ``alarm_text_at`` reads today's source (text signals of the equipment whose
  name contains "alarm", through the telemetry store's ``raw_text``) and ``reasons_for_alarm`` is a plain
  function of that text, so alarm events can replace the source without touching the ranking;
- **state** (weight 2): the machine state and mode point at loss categories (OutOfService → breakdown, Setup →
  setup, a NotExecuting stop shorter than the micro-stop threshold → minor stop …);
- **history** (weight 1 × share): how stops of the same state and mode on this equipment were classified before,
  mapped onto the current tree by reason code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.production.equipment_plan import micro_stop_us
from zhizao.production.models import DowntimeReason, LossCategory, StateInterval
from zhizao.production.reasons import ensure_current_tree, reasons_of
from zhizao.production.schemas import ReasonRead, ReasonSuggestion, SuggestionBasis
from zhizao.production.stops import is_micro_stop, scoped_stop
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.models import Signal
from zhizao.telemetry.store.base import TelemetryStore

ALARM_WEIGHT = 3.0
STATE_WEIGHT = 2.0
HISTORY_WEIGHT = 1.0
MAX_SUGGESTIONS = 8
HISTORY_STOPS = 500  # the most recent classified stops of the same kind that vote
ALARM_LOOKBACK_US = 3600 * 1_000_000  # an alarm raised up to an hour before the stop may still be active
ALARM_GRACE_US = 5 * 1_000_000  # controllers often publish the alarm a moment after the state change

# Alarm words of common controllers (English texts of Fanuc, Siemens, PLC alarm lists) → reason-name fragments
# of the default tree. A reason also matches when its own name or code appears in the alarm text.
ALARM_KEYWORDS: dict[str, tuple[str, ...]] = {
    "hydraulic": ("液压",), "pneumatic": ("气动",), "air pressure": ("气动",), "oil pressure": ("液压",),
    "servo": ("电气",), "overload": ("电气",), "overcurrent": ("电气",), "motor": ("电气",), "drive": ("电气",),
    "spindle": ("机械",), "lubrication": ("机械",), "axis": ("机械",), "bearing": ("机械",),
    "tool": ("刀具",), "cnc": ("数控",), "plc": ("数控",), "memory": ("数控",),
    "jam": ("卡料",), "chip": ("排屑",), "sensor": ("传感器",), "door": ("传感器",),
    "material": ("物料",), "feeder": ("物料",), "power": ("停电",),
}  # fmt: skip


def state_categories(interval: StateInterval, threshold_us: int) -> list[LossCategory]:
    """Loss categories the state and mode point at, most likely first."""
    if interval.state == MachineryItemState.OUT_OF_SERVICE or interval.mode == OperationMode.MAINTENANCE:
        return [LossCategory.BREAKDOWN]
    if interval.mode == OperationMode.SETUP:
        return [LossCategory.SETUP]
    if interval.state == MachineryItemState.NOT_AVAILABLE:
        return [LossCategory.BREAKDOWN, LossCategory.OTHER, LossCategory.WAITING]
    if interval.state == MachineryItemState.NOT_EXECUTING:
        if is_micro_stop(interval, threshold_us):
            return [LossCategory.MINOR_STOP]
        return [LossCategory.WAITING, LossCategory.MINOR_STOP, LossCategory.QUALITY]
    return [LossCategory.OTHER]


def reasons_for_alarm(alarm_text: str, reasons: Sequence[DowntimeReason]) -> dict[int, float]:
    """Reason id → 1.0 for each reason the alarm text points at (by the reason's name or code, or a keyword)."""
    text = alarm_text.lower()
    fragments = {fragment for word, names in ALARM_KEYWORDS.items() if word in text for fragment in names}
    matches: dict[int, float] = {}
    for reason in reasons:
        named = reason.name in alarm_text or reason.code.lower() in text.split()
        if named or any(fragment in reason.name for fragment in fragments):
            matches[reason.id] = 1.0
    return matches


def alarm_text_at(session: Session, store: TelemetryStore, equipment_id: int, at_us: int) -> str | None:
    """The alarm text active at ``at_us``: the latest non-empty value of the equipment's alarm text signals."""
    signals = session.scalars(
        select(Signal).where(
            Signal.equipment_id == equipment_id,
            Signal.kind == SignalKind.TEXT,
            func.lower(Signal.name).contains("alarm"),
        )
    ).all()
    latest: tuple[int, str] | None = None
    for signal in signals:
        points = store.raw_text(signal.id, at_us - ALARM_LOOKBACK_US, at_us + ALARM_GRACE_US)
        if points and (latest is None or points[-1].ts_us > latest[0]):
            latest = (points[-1].ts_us, points[-1].value)
    if latest is None or not latest[1].strip():  # an empty text means the alarm was cleared
        return None
    return latest[1]


def history_shares(session: Session, interval: StateInterval) -> dict[str, float]:
    """Reason code → share of the recent classified stops of the same state and mode on this equipment."""
    query = (
        select(DowntimeReason.code)
        .join(StateInterval, StateInterval.reason_id == DowntimeReason.id)
        .where(
            StateInterval.equipment_id == interval.equipment_id,
            StateInterval.state == interval.state,
            StateInterval.mode == interval.mode,
            StateInterval.id != interval.id,
        )
        .order_by(StateInterval.start_us.desc())
        .limit(HISTORY_STOPS)
    )
    codes = Counter(session.scalars(query))
    total = sum(codes.values())
    return {code: count / total for code, count in codes.items()} if total else {}


def rank(
    reasons: Sequence[DowntimeReason],
    categories: Sequence[LossCategory],
    history: dict[str, float],
    alarm: dict[int, float],
) -> list[ReasonSuggestion]:
    """Score each reason of the current tree; categories only vote for leaves (the reasons operators pick)."""
    parents = {reason.parent_code for reason in reasons if reason.parent_code is not None}
    suggestions = []
    for reason in reasons:
        basis: list[SuggestionBasis] = []
        score = 0.0
        if reason.id in alarm:
            score += ALARM_WEIGHT * alarm[reason.id]
            basis.append(SuggestionBasis.ALARM)
        if reason.code not in parents and reason.category in categories:
            # the first category is the most likely one; later ones count less
            score += STATE_WEIGHT / (1 + list(categories).index(reason.category))
            basis.append(SuggestionBasis.STATE)
        if reason.code in history:
            score += HISTORY_WEIGHT * history[reason.code]
            basis.append(SuggestionBasis.HISTORY)
        if basis:
            read = ReasonRead.model_validate(reason)
            suggestions.append(ReasonSuggestion(reason=read, score=round(score, 4), basis=basis))
    suggestions.sort(key=lambda item: (-item.score, item.reason.code))
    return suggestions[:MAX_SUGGESTIONS]


def suggest(
    session: Session, actor: Principal, interval_id: int, store: TelemetryStore | None
) -> list[ReasonSuggestion]:
    """Ranked reasons of the current tree for one stop (the default tree is seeded if the enterprise has none)."""
    with session.begin():
        interval = scoped_stop(session, actor, interval_id)
        tree = ensure_current_tree(session, interval.enterprise_id)
        reasons = reasons_of(session, tree.id)
        categories = state_categories(interval, micro_stop_us(session, interval.equipment_id))
        history = history_shares(session, interval)
        alarm_text = alarm_text_at(session, store, interval.equipment_id, interval.start_us) if store else None
        alarm = reasons_for_alarm(alarm_text, reasons) if alarm_text else {}
        return rank(reasons, categories, history, alarm)
