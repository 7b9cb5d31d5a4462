"""A line's optimisation figures for a period: reads the ledger, the counters and production's totals, then calls
the pure modules. Read-only: nothing is stored, so there is no transaction to own.

The period is local days [start, end] in the platform's time zone: the window runs from local midnight of
``start`` to local midnight after ``end``. Production's totals are per production day of each machine's calendar
(a night shift belongs to the day it starts on), so the loss figures may differ from the window's by the part of a
night shift after midnight of the last day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.maintenance.optimisation import bottleneck, energy, losses, throughput
from zhizao.maintenance.optimisation.schemas import (
    BottleneckRead,
    CounterInputs,
    DayShare,
    DayShares,
    EnergyMachineRead,
    EnergyRead,
    EnergyStatus,
    LedgerInputs,
    LineOptimisation,
    LossesRead,
    LossRead,
    MachineInputs,
    SegmentRead,
    ShareRead,
    Status,
    ThroughputRead,
)
from zhizao.production import corrections, kpi_service
from zhizao.production.calendar import local_midnight_us
from zhizao.production.models import StateInterval
from zhizao.production.sources import MINUTE_US, counter_increments, production_signals
from zhizao.production.totals import Totals
from zhizao.telemetry.kinds import NodeLevel
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.timeutil import from_us

DEFAULT_DAYS = 7
MAX_DAYS = 92
DEFAULT_TARIFF = Decimal("0.80")  # CNY per kWh: a typical Shanghai general-industry price; pass the real one
DAY_US = 86_400_000_000
MARGIN_US = DAY_US  # active periods that cross the window's edges keep their length up to a day beyond it
LINE_LEVELS = (NodeLevel.LINE, NodeLevel.CELL)

# Why a figure is missing (English ids, translated where shown).
NO_LEDGER = "No state ledger data in this period."
ONE_MACHINE = "Bottleneck detection needs at least two machines with ledger data."
NO_PBT = "No planned busy time in this period: production's loss figures are empty."

Interval = tuple[int, int, int, int, int]  # id, start_us, end_us, state, mode


def check_period(start: date, end: date) -> None:
    if end < start:
        raise InputError.for_field("query.end", "the period ends before it starts")
    if (end - start).days + 1 > MAX_DAYS:
        raise InputError.for_field("query.end", f"at most {MAX_DAYS} days at a time")


def line_equipment(session: Session, actor: Principal, node_id: int) -> kpi_service.Scope:
    """The line (or cell) and its equipment, within the caller's tenant (another tenant's line: 404)."""
    scope = kpi_service.resolve_scope(session, actor, node_id=node_id)
    assert scope.node is not None
    if scope.node.level not in LINE_LEVELS:
        raise InputError.for_field("path.node_id", f"{scope.node.code} is a {scope.node.level}, not a line or cell")
    return scope


def _intervals(session: Session, equipment_ids: list[int], start_us: int, end_us: int) -> dict[int, list[Interval]]:
    rows = session.execute(
        select(
            StateInterval.equipment_id, StateInterval.id, StateInterval.start_us, StateInterval.end_us,
            StateInterval.state, StateInterval.mode,
        )
        .where(
            StateInterval.equipment_id.in_(equipment_ids),
            StateInterval.end_us > start_us - MARGIN_US,
            StateInterval.start_us < end_us + MARGIN_US,
        )
        .order_by(StateInterval.equipment_id, StateInterval.start_us)
    )  # fmt: skip
    found: dict[int, list[Interval]] = defaultdict(list)
    for equipment_id, *interval in rows:
        found[equipment_id].append(tuple(interval))  # type: ignore[arg-type]
    return found


def _seconds(us: int | Fraction) -> float:
    return float(Fraction(us) / 1_000_000)


def _optional(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _ledger_inputs(rows: list[Interval], start_us: int, end_us: int) -> LedgerInputs:
    covered = sum(max(0, min(end, end_us) - max(start, start_us)) for _, start, end, _, _ in rows)
    return LedgerInputs(
        intervals=len(rows),
        first_interval_id=min((row[0] for row in rows), default=None),
        last_interval_id=max((row[0] for row in rows), default=None),
        covered_s=_seconds(covered),
        coverage=covered / (end_us - start_us),
    )


def _bottleneck(
    equipment: tuple[Equipment, ...], ledger: dict[int, list[Interval]], edges: list[int], days: list[date]
) -> tuple[BottleneckRead, bottleneck.Bottlenecks | None]:
    start_us, end_us = edges[0], edges[-1]
    with_data = [row.id for row in equipment if any(r[2] > start_us and r[1] < end_us for r in ledger.get(row.id, []))]
    if len(with_data) < 2:
        return BottleneckRead(status=Status.NOT_ENOUGH_DATA), None
    periods = {
        row.id: bottleneck.active_periods((r[1], r[2], r[3], r[4]) for r in ledger.get(row.id, [])) for row in equipment
    }
    found = bottleneck.detect(periods, start_us, end_us)
    per_day = bottleneck.time_in_buckets(found.segments, edges)
    day_rows = []
    for index, day in enumerate(days):
        width = edges[index + 1] - edges[index]
        shares = [
            DayShare(
                equipment_id=row.id,
                sole_share=per_day.get((index, row.id, bottleneck.BottleneckKind.SOLE), 0) / width,
                shifting_share=per_day.get((index, row.id, bottleneck.BottleneckKind.SHIFTING), 0) / width,
            )
            for row in equipment
        ]
        day_rows.append(DayShares(day=day, shares=shares))
    read = BottleneckRead(
        status=Status.OK,
        primary_equipment_id=found.primary,
        no_bottleneck_s=_seconds(found.no_bottleneck_us),
        machines=[
            ShareRead(
                equipment_id=share.machine, active_s=_seconds(share.active_us), active_ratio=float(share.active_ratio),
                periods=share.periods, longest_period_s=_seconds(share.longest_period_us),
                momentary_s=_seconds(share.momentary_us), sole_s=_seconds(share.sole_us),
                shifting_s=_seconds(share.shifting_us), sole_share=float(share.sole_share),
                shifting_share=float(share.shifting_share),
            )
            for share in found.machines
        ],
        days=day_rows,
        timeline=[
            SegmentRead(start=from_us(s.start_us), end=from_us(s.end_us), equipment_id=s.machine, kind=s.kind)
            for s in found.segments
        ],
    )  # fmt: skip
    return read, found


def _energy_row(equipment_id: int, signal_id: int | None, figures: energy.EnergyFigures | None) -> EnergyMachineRead:
    if signal_id is None or figures is None:
        return EnergyMachineRead(equipment_id=equipment_id, status=EnergyStatus.NOT_METERED)
    if figures.total_kwh == 0:
        return EnergyMachineRead(equipment_id=equipment_id, status=EnergyStatus.NO_ENERGY_DATA)
    return EnergyMachineRead(
        equipment_id=equipment_id,
        status=EnergyStatus.OK,
        kwh={use: float(value) for use, value in figures.kwh.items()},
        hours={use: value / 3_600_000_000 for use, value in figures.time_us.items()},
        total_kwh=float(figures.total_kwh),
        waste_kwh=float(figures.waste_kwh),
        waste_cny=figures.waste_cny,
        waste_share=_optional(figures.waste_share),
        kwh_per_good_unit=_optional(figures.kwh_per_good_unit),
        producing_kwh_per_good_unit=_optional(figures.producing_kwh_per_good_unit),
        idle_kw=_optional(figures.mean_kw(energy.EnergyUse.IDLE)),
        producing_kw=_optional(figures.mean_kw(energy.EnergyUse.PRODUCING)),
        good_units=figures.good_units,
    )


def analyse(
    session: Session,
    store: TelemetryStore,
    actor: Principal,
    node_id: int,
    start: date,
    end: date,
    *,
    timezone: str,
    tariff: Decimal = DEFAULT_TARIFF,
    recovery: Fraction = Fraction(1),
) -> LineOptimisation:
    """Bottleneck, throughput gain, energy and top losses of a line over local days [start, end]."""
    check_period(start, end)
    scope = line_equipment(session, actor, node_id)
    assert scope.node is not None
    zone = ZoneInfo(timezone)
    days = [start + timedelta(days=offset) for offset in range((end - start).days + 1)]
    edges = [local_midnight_us(zone, day) for day in (*days, end + timedelta(days=1))]
    start_us, end_us = edges[0], edges[-1]
    ids = scope.equipment_ids
    ledger = _intervals(session, ids, start_us, end_us) if ids else {}
    signals = production_signals(session, ids)
    totals = kpi_service.by_equipment(session, scope, start, end) if ids else {}
    machines: list[MachineInputs] = []
    energy_rows: list[EnergyMachineRead] = []
    good: dict[int, int | None] = {}
    for row in scope.equipment:
        found = signals[row.id]
        kwh_steps = counter_increments(store, found.energy, start_us, end_us, step_us=MINUTE_US)
        good[row.id] = (
            None if found.good is None
            else corrections.reviewed_good_units(session, store, row.id, found.good, start_us, end_us)
        )  # fmt: skip
        rows = ledger.get(row.id, [])
        figures = None
        if found.energy is not None:
            intervals = [(r[1], r[2], r[3], r[4]) for r in rows]
            figures = energy.figures(
                intervals, kwh_steps, MINUTE_US, start_us, end_us, good_units=good[row.id], tariff_cny_per_kwh=tariff
            )
        energy_rows.append(_energy_row(row.id, found.energy, figures))
        machines.append(
            MachineInputs(
                equipment_id=row.id, code=row.code, name=row.name,
                ledger=_ledger_inputs(rows, start_us, end_us),
                counters=CounterInputs(
                    energy_signal_id=found.energy, energy_buckets=len(kwh_steps),
                    energy_kwh=None if found.energy is None else float(sum(Fraction(str(v)) for _, v in kwh_steps)),
                    good_signal_id=found.good, good_units=good[row.id],
                ),
                totals=asdict(totals.get(row.id, Totals())),
            )
        )  # fmt: skip
    problems: list[str] = []
    status = Status.OK if any(m.ledger.covered_s > 0 for m in machines) else Status.NOT_ENOUGH_DATA
    if status is Status.NOT_ENOUGH_DATA:
        problems.append(NO_LEDGER)
    bottleneck_read, found_bottlenecks = _bottleneck(scope.equipment, ledger, edges, days)
    if status is Status.OK and found_bottlenecks is None:
        problems.append(ONE_MACHINE)
    throughput_read = None
    if found_bottlenecks is not None and found_bottlenecks.primary is not None:
        primary = found_bottlenecks.primary
        ratios = {share.machine: share.active_ratio for share in found_bottlenecks.machines}
        estimate = throughput.gain(primary, ratios, good.get(primary))
        if estimate is not None:
            throughput_read = ThroughputRead(
                bottleneck_equipment_id=estimate.bottleneck, next_equipment_id=estimate.next_machine,
                bottleneck_active_ratio=float(estimate.bottleneck_active_ratio),
                next_active_ratio=float(estimate.next_active_ratio), gain_ratio=float(estimate.gain_ratio),
                good_units=estimate.good_units, gained_units=_optional(estimate.gained_units),
                clear=estimate.clear, formula=estimate.formula,
            )  # fmt: skip
    line_pbt = sum(row.pbt_us for row in totals.values())
    loss_rows = losses.top_losses(
        totals, bottleneck=found_bottlenecks.primary if found_bottlenecks else None, recovery=recovery
    )
    if line_pbt == 0:
        problems.append(NO_PBT)
    return LineOptimisation(
        enterprise_id=scope.enterprise_id, node_id=scope.node.id, node_code=scope.node.code,
        node_name=scope.node.name, start=start, end=end, timezone=timezone,
        window_start=from_us(start_us), window_end=from_us(end_us), status=status, problems=problems,
        machines=machines, bottleneck=bottleneck_read, throughput=throughput_read,
        energy=EnergyRead(
            tariff_cny_per_kwh=tariff, machines=energy_rows,
            total_kwh=sum(row.total_kwh or 0.0 for row in energy_rows),
            waste_kwh=sum(row.waste_kwh or 0.0 for row in energy_rows),
            waste_cny=sum((row.waste_cny or Decimal(0) for row in energy_rows), Decimal(0)),
        ),
        losses=LossesRead(
            status=Status.OK if line_pbt else Status.NOT_ENOUGH_DATA, recovery=float(recovery),
            line_pbt_s=_seconds(line_pbt),
            items=[
                LossRead(
                    equipment_id=fix.machine, kind=fix.kind, lost_s=_seconds(fix.lost_us), lost_units=fix.lost_units,
                    gained_fpt_s=None if fix.gained_fpt_us is None else _seconds(fix.gained_fpt_us),
                    gained_good_units=_optional(fix.gained_good_units),
                    machine_oee_points=_optional(fix.machine_oee_points),
                    line_oee_points=_optional(fix.line_oee_points), on_bottleneck=fix.on_bottleneck,
                )
                for fix in loss_rows
            ],
        ),
    )  # fmt: skip


def month_period(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM`` (the format is checked by the route; the range here)."""
    year, number = int(month[:4]), int(month[5:7])
    if not 2000 <= year <= 2100 or not 1 <= number <= 12:
        raise InputError.for_field("query.month", "a month YYYY-MM between 2000-01 and 2100-12")
    first = date(year, number, 1)
    following = date(year + number // 12, number % 12 + 1, 1)
    return first, following - timedelta(days=1)
