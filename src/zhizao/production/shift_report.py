"""The shift report of a line (any asset node, or one piece of equipment) for one shift instance or one day.

``gather`` reads everything the report shows into a ``ShiftReport``; ``shift_report_pdf`` and
``shift_report_xlsx`` only render it, so both formats carry the same figures. KPIs come from the materialised
totals (``kpi_service``), summed over the equipment and never averaged; the stops come from the state ledger
classified against the work calendar, so a stop's lost time is exactly what the totals count as ADOT, AUST or
ADET in that period. ``period_stops`` is also what the stops page lists.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.errors import InputError
from zhizao.production import kpi_service
from zhizao.production.calendar import CalendarWindows, local_midnight_us
from zhizao.production.downtime import LOST
from zhizao.production.equipment_plan import calendar_of, windows_for
from zhizao.production.kpi import KpiSet, kpis
from zhizao.production.kpi_service import Granularity, Scope
from zhizao.production.ledger import Span
from zhizao.production.losses import Waterfall, waterfall
from zhizao.production.models import DowntimeReason, StateInterval
from zhizao.production.timemodel import Bucketing, TimeCategory, classify
from zhizao.production.totals import Totals, total
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.models import Equipment

DAY_US = 86_400_000_000
TOP_STOPS = 10
MAX_SHIFT_NAME = 32  # as ``calendar.Shift.name``


@dataclass(frozen=True, slots=True)
class Period:
    """One production day, or one shift instance of it (shifts belong to the day they start on)."""

    day: date
    shift: str | None = None

    @property
    def key(self) -> str:
        """The bucket key ``kpi_service.buckets`` gives this period (2026-03-02 or 2026-03-02/A)."""
        return self.day.isoformat() if self.shift is None else f"{self.day.isoformat()}/{self.shift}"


@dataclass(frozen=True, slots=True)
class PeriodStop:
    """A ledger interval that lost planned busy time in the period: how much, and as what."""

    interval: StateInterval
    equipment: Equipment
    lost_us: int  # its part in planned busy time of the period (cut at shift, break and day edges)
    category: TimeCategory  # DOWN, SETUP, DELAY or MICRO_STOP: what the time model counted most of it as
    reason: DowntimeReason | None

    @property
    def state(self) -> MachineryItemState:
        return MachineryItemState(self.interval.state)

    @property
    def mode(self) -> OperationMode:
        return OperationMode(self.interval.mode)


@dataclass(frozen=True, slots=True)
class StopsInPeriod:
    stops: list[PeriodStop]  # most lost time first
    shift_names: tuple[str, ...]  # shift names of the calendars in scope, in order of start time
    shift_bounds_us: tuple[int, int] | None  # earliest start and latest end of the period's shift instances
    without_calendar: tuple[Equipment, ...]  # equipment with no work calendar: it has no planned busy time

    @property
    def lost_us(self) -> int:
        return sum(stop.lost_us for stop in self.stops)

    @property
    def unclassified(self) -> list[PeriodStop]:
        return [stop for stop in self.stops if stop.interval.reason_id is None]

    @property
    def unclassified_us(self) -> int:
        return sum(stop.lost_us for stop in self.unclassified)


def check_shift_name(shift: str | None) -> str | None:
    """A shift name from a query: blank is the whole day; anything longer than a calendar allows is refused."""
    if shift is None or not shift.strip():
        return None
    if len(shift.strip()) > MAX_SHIFT_NAME:
        raise InputError.for_field("query.shift", f"a shift name has at most {MAX_SHIFT_NAME} characters")
    return shift.strip()


def period_stops(session: Session, scope: Scope, period: Period) -> StopsInPeriod:
    """The stops of every piece of equipment in ``scope`` that lost planned busy time in ``period``.

    Raises ``InputError`` (``query.shift``) when no calendar in the scope has a shift of that name."""
    stops: list[PeriodStop] = []
    names: list[str] = []
    bounds: list[tuple[int, int]] = []
    without: list[Equipment] = []
    for equipment in scope.equipment:
        calendar, threshold_us = calendar_of(session, equipment)
        if calendar is None:
            without.append(equipment)
            continue
        zone = ZoneInfo(calendar.timezone)
        # A night shift that starts on the day ends on the next one; a stop may have begun the day before.
        start_us = local_midnight_us(zone, period.day)
        end_us = local_midnight_us(zone, period.day + timedelta(days=2))
        windows = windows_for(session, equipment, calendar, start_us, end_us)
        names += [name for name in windows.shift_names if name not in names]
        bounds += [
            (shift.start_us, shift.end_us)
            for shift in windows.shifts
            if shift.local_date == period.day and period.shift in (None, shift.name)
        ]
        stops += _equipment_stops(session, equipment, windows, threshold_us, period)
    if period.shift is not None and period.shift not in names:
        known = "、".join(names) if names else "none: no equipment here has a work calendar"
        raise InputError.for_field("query.shift", f"no shift named {period.shift!r} here (shifts: {known})")
    reasons = _reasons(session, {stop.interval.reason_id for stop in stops if stop.interval.reason_id is not None})
    ranked = sorted(
        (
            PeriodStop(stop.interval, stop.equipment, stop.lost_us, stop.category, reasons.get(stop.interval.reason_id))
            if stop.interval.reason_id is not None
            else stop
            for stop in stops
        ),
        key=lambda stop: (-stop.lost_us, stop.interval.start_us, stop.equipment.code),
    )
    shift_bounds = (min(low for low, _ in bounds), max(high for _, high in bounds)) if bounds else None
    return StopsInPeriod(ranked, tuple(names), shift_bounds, tuple(without))


def _equipment_stops(
    session: Session, equipment: Equipment, windows: CalendarWindows, threshold_us: int, period: Period
) -> list[PeriodStop]:
    rows: Sequence[StateInterval] = session.scalars(
        select(StateInterval)
        .where(
            StateInterval.equipment_id == equipment.id,
            StateInterval.end_us > windows.start_us - DAY_US,
            StateInterval.start_us < windows.end_us,
        )
        .order_by(StateInterval.start_us)
    ).all()
    if not rows:
        return []
    spans = [Span(row.start_us, row.end_us, MachineryItemState(row.state), OperationMode(row.mode)) for row in rows]
    lost: dict[int, Counter[TimeCategory]] = defaultdict(Counter)
    for piece in classify(spans, windows, micro_stop_us=threshold_us, bucketing=Bucketing.SHIFT):
        if piece.category in LOST and piece.bucket.day == period.day and period.shift in (None, piece.bucket.shift):
            lost[piece.span_index][piece.category] += piece.end_us - piece.start_us
    return [
        PeriodStop(rows[index], equipment, sum(parts.values()), parts.most_common(1)[0][0], None)
        for index, parts in lost.items()
    ]


def _reasons(session: Session, ids: set[int]) -> dict[int | None, DowntimeReason]:
    if not ids:
        return {}
    rows = session.scalars(select(DowntimeReason).where(DowntimeReason.id.in_(ids)))
    return {reason.id: reason for reason in rows}


@dataclass(frozen=True, slots=True)
class EquipmentFigures:
    code: str
    name: str
    totals: Totals
    kpis: KpiSet


@dataclass(frozen=True, slots=True)
class ShiftReport:
    enterprise: str
    scope_name: str
    scope_code: str
    period: Period
    timezone: str  # times are shown in this zone
    shift_bounds: tuple[datetime, datetime] | None  # the shift instance(s) of the period, UTC
    generated_at: datetime  # UTC
    equipment: tuple[EquipmentFigures, ...]
    total: Totals
    total_kpis: KpiSet
    losses: Waterfall
    top_stops: tuple[PeriodStop, ...]
    stop_count: int
    lost_us: int
    unclassified_us: int


def equipment_totals(session: Session, scope: Scope, period: Period) -> dict[int, Totals]:
    """Each piece of equipment's materialised totals of the period (zero where nothing was materialised)."""
    if period.shift is None:
        return kpi_service.by_equipment(session, scope, period.day, period.day)
    figures: dict[int, Totals] = {}
    for equipment in scope.equipment:
        alone = Scope(scope.enterprise_id, (equipment,))
        found = kpi_service.buckets(session, alone, period.day, period.day, Granularity.SHIFT)
        figures[equipment.id] = next((bucket.totals for bucket in found if bucket.key == period.key), Totals())
    return figures


def gather(
    session: Session,
    scope: Scope,
    period: Period,
    *,
    timezone: str = "Asia/Shanghai",
    now: datetime | None = None,
    top: int = TOP_STOPS,
) -> ShiftReport:
    """Everything the shift report shows, read in one go."""
    found = period_stops(session, scope, period)
    per_equipment = equipment_totals(session, scope, period)
    rows = tuple(
        EquipmentFigures(row.code, row.name, per_equipment[row.id], kpis(per_equipment[row.id]))
        for row in scope.equipment
    )
    summed = total([row.totals for row in rows])
    enterprise = session.get(Organisation, scope.enterprise_id)
    single = scope.equipment[0] if scope.node is None and len(scope.equipment) == 1 else None
    bounds = found.shift_bounds_us
    return ShiftReport(
        enterprise=enterprise.name if enterprise is not None else "",
        scope_name=scope.node.name if scope.node is not None else (single.name if single else ""),
        scope_code=scope.node.code if scope.node is not None else (single.code if single else ""),
        period=period,
        timezone=timezone,
        shift_bounds=None if bounds is None else (_utc(bounds[0]), _utc(bounds[1])),
        generated_at=now or datetime.now(UTC),
        equipment=rows,
        total=summed,
        total_kpis=kpis(summed),
        losses=waterfall(summed),
        top_stops=tuple(found.stops[:top]),
        stop_count=len(found.stops),
        lost_us=found.lost_us,
        unclassified_us=found.unclassified_us,
    )


def _utc(ts_us: int) -> datetime:
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=ts_us)
