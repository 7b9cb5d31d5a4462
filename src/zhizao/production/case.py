"""Self-contained OEE cases: a JSON file with calendar, planned downtime, states, counts and PRU, evaluated into
every ISO 22400-2 element and KPI (``zhizao production oee --case FILE.json``; format in docs/kpi.md).

Bad input is an ``InputError`` whose field names the record (``intervals[3]``, ``counters[2]``), never a number.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Self

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from zhizao.errors import FieldProblem, InputError, plain_message
from zhizao.production.calendar import DowntimeKind, HolidayRegion, PlannedDowntime, Shift, WorkCalendar, expand
from zhizao.production.counts import CounterReading, CountRecord, counter_increments
from zhizao.production.kpi import kpis
from zhizao.production.ledger import Span, StateSample, TextSample, derive_spans
from zhizao.production.losses import pareto, waterfall
from zhizao.production.timemodel import Bucketing, TimeCategory, classify, evaluate
from zhizao.production.totals import Totals, total
from zhizao.telemetry.machinery import MachineryItemState, OperationMode
from zhizao.telemetry.timeutil import to_us

US_PER_S = 1_000_000
LOSS_CATEGORIES = (TimeCategory.DOWN, TimeCategory.SETUP, TimeCategory.DELAY, TimeCategory.MICRO_STOP)
UNCLASSIFIED = "unclassified"


def _code_of(enum: type[MachineryItemState] | type[OperationMode], value: object) -> int:
    """An OPC 40001 state by code (3) or name ("Executing", "NotExecuting", "not_executing")."""
    if isinstance(value, bool):
        raise ValueError(f"not a {enum.__name__}: {value!r}")
    if isinstance(value, int):
        try:
            return int(enum(value))
        except ValueError:
            raise ValueError(f"unknown {enum.__name__} code {value}") from None
    if isinstance(value, str):
        wanted = value.replace("_", "").replace(" ", "").lower()
        for member in enum:
            if member.name.replace("_", "").lower() == wanted:
                return int(member)
    names = ", ".join(member.name.title().replace("_", "") for member in enum)
    raise ValueError(f"unknown {enum.__name__} {value!r} (one of {names} or its code)")


StateCode = Annotated[int, BeforeValidator(lambda value: _code_of(MachineryItemState, value))]
ModeCode = Annotated[int, BeforeValidator(lambda value: _code_of(OperationMode, value))]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Period(_Strict):
    start: AwareDatetime
    end: AwareDatetime


class CaseCalendar(_Strict):
    """A ``WorkCalendar`` without its time zone (the case's ``timezone`` applies)."""

    shifts: tuple[Shift, ...]
    weekdays: frozenset[int] = frozenset(range(5))
    public_holidays: HolidayRegion = HolidayRegion.CN
    holidays: frozenset[date] = frozenset()
    working_days: frozenset[date] = frozenset()


class DowntimeWindow(_Strict):
    start: AwareDatetime
    end: AwareDatetime
    kind: DowntimeKind = DowntimeKind.OTHER


class Product(_Strict):
    code: str = Field(min_length=1)
    pru_s: float | None = None  # planned run time per unit; None: unknown (effectiveness undefined)


class Interval(_Strict):
    start: AwareDatetime
    end: AwareDatetime
    state: StateCode
    mode: ModeCode = int(OperationMode.NONE)
    reason: str | None = None
    program: str | None = None


class StateReading(_Strict):
    ts: AwareDatetime
    value: StateCode


class ModeReading(_Strict):
    ts: AwareDatetime
    value: ModeCode


class ProgramReading(_Strict):
    ts: AwareDatetime
    text: str | None


class Samples(_Strict):
    """Raw signal samples in any order (late data included): the ledger is derived from them."""

    stale_after_s: float = Field(gt=0)
    states: tuple[StateReading, ...] = ()
    modes: tuple[ModeReading, ...] = ()
    programs: tuple[ProgramReading, ...] = ()


class Count(_Strict):
    ts: AwareDatetime
    product: str
    good: int = Field(ge=0)
    scrap: int = Field(default=0, ge=0)
    rework: int = Field(default=0, ge=0)


class Counter(Count):
    reset: bool = False


class Case(_Strict):
    name: str = ""
    description: str = ""
    timezone: str = "Asia/Shanghai"
    period: Period
    calendar: CaseCalendar
    planned_downtime: tuple[DowntimeWindow, ...] = ()
    micro_stop_threshold_s: float = Field(default=0, ge=0)
    products: tuple[Product, ...] = ()
    intervals: tuple[Interval, ...] = ()
    samples: Samples | None = None
    counts: tuple[Count, ...] = ()
    counters: tuple[Counter, ...] = ()
    bucketing: Bucketing = Bucketing.DAY
    expected: dict[str, Any] | None = None  # hand-computed figures of a library case; not read here

    @model_validator(mode="after")
    def _one_source_of_states(self) -> Self:
        if self.intervals and self.samples is not None:
            raise ValueError("give state intervals or raw samples, not both")
        return self

    def work_calendar(self) -> WorkCalendar:
        return WorkCalendar(timezone=self.timezone, **self.calendar.model_dump())


def _field_path(location: Sequence[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "case"


def parse_case(data: object) -> Case:
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        problems = [FieldProblem(_field_path(error["loc"]), plain_message(error["msg"])) for error in exc.errors()]
        raise InputError("the case is not valid", fields=problems) from None


def load_case(path: Path | str) -> Case:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError.for_field("case", f"cannot read {path}: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError.for_field("case", f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    return parse_case(data)


def _us(seconds: float) -> int:
    return round(seconds * US_PER_S)


def _seconds(microseconds: int | None) -> float | None:
    return None if microseconds is None else microseconds / US_PER_S


def _pru_us(case: Case) -> dict[str, int]:
    table: dict[str, int] = {}
    for index, product in enumerate(case.products):
        if product.code in table:
            raise InputError.for_field(f"products[{index}].code", f"product {product.code} is listed twice")
        if product.pru_s is None:
            continue
        if _us(product.pru_s) <= 0:
            raise InputError.for_field(f"products[{index}].pru_s", "the planned run time per unit must be positive")
        table[product.code] = _us(product.pru_s)
    return table


def _spans(case: Case, start_us: int, end_us: int) -> tuple[list[Span], list[str | None]]:
    if case.samples is None:
        spans = [
            Span(
                to_us(item.start),
                to_us(item.end),
                MachineryItemState(item.state),
                OperationMode(item.mode),
                item.program,
            )
            for item in case.intervals
        ]
        return spans, [item.reason for item in case.intervals]
    samples = case.samples
    states = [StateSample(to_us(reading.ts), reading.value) for reading in samples.states]
    modes = [StateSample(to_us(reading.ts), reading.value) for reading in samples.modes]
    programs = [TextSample(to_us(reading.ts), reading.text) for reading in samples.programs]
    earliest = min([start_us, *(sample.ts_us for sample in states), *(sample.ts_us for sample in modes)])
    derived = derive_spans(
        states, modes, earliest, end_us, stale_after_us=_us(samples.stale_after_s), programs=programs
    )
    return derived, [None] * len(derived)


def _counts(case: Case, start_us: int, end_us: int) -> list[CountRecord]:
    records = []
    for field, items in (("counts", case.counts), ("counters", case.counters)):
        for index, item in enumerate(items):
            if not start_us <= to_us(item.ts) < end_us:
                raise InputError.for_field(f"{field}[{index}]", "the timestamp is outside the case's period")
    for item in case.counts:
        records.append(CountRecord(to_us(item.ts), item.product, item.good, item.scrap, item.rework))
    readings = [
        CounterReading(to_us(item.ts), item.product, item.good, item.scrap, item.rework, item.reset)
        for item in case.counters
    ]
    return records + counter_increments(readings, field="counters")


def _block(totals: Totals) -> dict[str, Any]:
    figures = kpis(totals)
    values = figures.as_dict()
    flags = values.pop("flags")
    return {
        "time_s": {
            "calendar": _seconds(totals.calendar_us),
            "pot": _seconds(totals.pot_us),
            "pdot": _seconds(totals.pdot_us),
            "pbt": _seconds(totals.pbt_us),
            "apt": _seconds(totals.apt_us),
            "aust": _seconds(totals.aust_us),
            "aupt": _seconds(totals.aupt_us),
            "adet": _seconds(totals.adet_us),
            "micro_stops": _seconds(totals.micro_us),
            "aubt": _seconds(totals.aubt_us),
            "adot": _seconds(totals.adot_us),
            "unknown": _seconds(totals.unknown_us),
        },
        "counts": {
            "pq": totals.pq,
            "gq": totals.gq,
            "sq": totals.sq,
            "rq": totals.rq,
            "unknown_pru_pq": totals.unknown_pru_pq,
            "pru_pq_s": _seconds(totals.pru_pq_us),
            "pru_gq_s": _seconds(totals.pru_gq_us),
            "failures": totals.failures,
        },
        "kpis": values,
        "flags": flags,
        "losses_s": {name.removesuffix("_us"): _seconds(value) for name, value in waterfall(totals).as_dict().items()},
    }


def evaluate_case(case: Case) -> dict[str, Any]:
    """Every time element, count, KPI, flag and loss of the case, per bucket and in total, with a Pareto of the
    time lost per reason (intervals without a reason are "unclassified")."""
    start_us, end_us = to_us(case.period.start), to_us(case.period.end)
    if end_us <= start_us:
        raise InputError.for_field("period", "the period ends before it starts")
    downtime = [PlannedDowntime(to_us(item.start), to_us(item.end), item.kind) for item in case.planned_downtime]
    windows = expand(case.work_calendar(), downtime, start_us, end_us, field="planned_downtime")
    windows.require_working_time("calendar")
    spans, reasons = _spans(case, start_us, end_us)
    counts = _counts(case, start_us, end_us)
    micro_stop_us = _us(case.micro_stop_threshold_s)
    per_bucket = evaluate(spans, windows, counts, _pru_us(case), micro_stop_us=micro_stop_us, bucketing=case.bucketing)
    lost = [
        (reasons[piece.span_index] or UNCLASSIFIED, piece.end_us - piece.start_us)
        for piece in classify(spans, windows, micro_stop_us=micro_stop_us)
        if piece.category in LOSS_CATEGORIES
    ]
    return {
        "case": case.name,
        "timezone": case.timezone,
        "period": {"start": case.period.start.isoformat(), "end": case.period.end.isoformat()},
        "bucketing": case.bucketing.value,
        "total": _block(total(list(per_bucket.values()))),
        "buckets": [{"bucket": key.label, **_block(value)} for key, value in per_bucket.items()],
        "pareto": [
            {
                "reason": row.reason,
                "duration_s": _seconds(row.duration_us),
                "share": row.share,
                "cumulative_share": row.cumulative_share,
            }
            for row in pareto(lost)
        ],
    }
