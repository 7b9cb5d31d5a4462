"""The state ledger: non-overlapping spans of (MachineryItemState, OperationMode, program) derived from samples.

Pure. A sample's value holds from its timestamp until the next sample of the same signal, but for at most
``stale_after_us``: after that the signal's value is unknown. Time with no known machine state has no span
(the time model counts it as UNKNOWN). The operation mode and the program are optional signals: while they are
unknown a span carries ``OperationMode.NONE`` and ``None``; many machines publish only their state.

The result depends only on the set of samples, never on the order they arrived in: samples are sorted by time,
and two samples of one signal with the same timestamp resolve to the larger value (a deterministic rule for a
conflict that a well-behaved source never produces). Late data is therefore just more samples: derive again over
the affected period and replace the spans there.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, NamedTuple, TypeVar

from zhizao.errors import InputError
from zhizao.telemetry.machinery import MachineryItemState, OperationMode


class StateSample(NamedTuple):
    """One reading of an integer state signal (MachineryItemState or OperationMode code)."""

    ts_us: int
    code: int


class TextSample(NamedTuple):
    """One reading of a text signal (program or product); ``None`` or "" clears it. A plain (ts_us, text)
    tuple does as well."""

    ts_us: int
    text: str | None


class Span(NamedTuple):
    """[start_us, end_us) during which the machine was in ``state`` and ``mode``, running ``program``."""

    start_us: int
    end_us: int
    state: MachineryItemState
    mode: OperationMode = OperationMode.NONE
    program: str | None = None

    @property
    def duration_us(self) -> int:
        return self.end_us - self.start_us

    def same_condition(self, other: Span) -> bool:
        return (self.state, self.mode, self.program) == (other.state, other.mode, other.program)


Value = TypeVar("Value")


@dataclass(frozen=True, slots=True)
class _Piece(Generic[Value]):
    start_us: int
    end_us: int
    value: Value


def _pieces(readings: Iterable[tuple[int, Value]], stale_after_us: int, end_us: int) -> list[_Piece[Value]]:
    """Where each value holds, in time order: until the next reading, for at most ``stale_after_us``."""
    latest: dict[int, Value] = {}
    for ts_us, value in readings:
        if ts_us < end_us:
            held = latest.get(ts_us)
            # Ties resolve to the larger value so that arrival order never matters.
            latest[ts_us] = value if held is None or _order_key(value) > _order_key(held) else held
    times = sorted(latest)
    pieces: list[_Piece[Value]] = []
    for index, ts_us in enumerate(times):
        following = times[index + 1] if index + 1 < len(times) else end_us
        pieces.append(_Piece(ts_us, min(following, ts_us + stale_after_us), latest[ts_us]))
    return pieces


def _order_key(value: object) -> tuple[int, str]:
    return (1, str(value)) if value is not None else (0, "")


def _validated_states(states: Sequence[StateSample]) -> list[tuple[int, MachineryItemState]]:
    readings = []
    for index, sample in enumerate(states):
        try:
            readings.append((sample.ts_us, MachineryItemState(sample.code)))
        except ValueError:
            raise InputError.for_field(
                f"states[{index}]", f"unknown MachineryItemState code {sample.code} at {sample.ts_us}"
            ) from None
    return readings


def _validated_modes(modes: Sequence[StateSample]) -> list[tuple[int, OperationMode]]:
    readings = []
    for index, sample in enumerate(modes):
        try:
            readings.append((sample.ts_us, OperationMode(sample.code)))
        except ValueError:
            raise InputError.for_field(
                f"modes[{index}]", f"unknown OperationMode code {sample.code} at {sample.ts_us}"
            ) from None
    return readings


class _Cursor(Generic[Value]):
    """Walks pieces in time order and answers "what holds at t" (None: nothing) for increasing t."""

    def __init__(self, pieces: list[_Piece[Value]]) -> None:
        self.pieces = pieces
        self.index = 0

    def at(self, ts_us: int) -> Value | None:
        while self.index < len(self.pieces) and self.pieces[self.index].end_us <= ts_us:
            self.index += 1
        if self.index < len(self.pieces) and self.pieces[self.index].start_us <= ts_us:
            return self.pieces[self.index].value
        return None


def derive_spans(
    states: Sequence[StateSample],
    modes: Sequence[StateSample],
    start_us: int,
    end_us: int,
    *,
    stale_after_us: int,
    programs: Sequence[tuple[int, str | None]] = (),
) -> list[Span]:
    """The ledger over [start_us, end_us): maximal spans of one condition, in time order, never overlapping.

    Samples before ``start_us`` matter (the state at the start is the last one before it, unless stale)."""
    if end_us <= start_us:
        raise InputError.for_field("period", "the period ends before it starts")
    if stale_after_us <= 0:
        raise InputError.for_field("stale_after_us", "must be positive")
    state_pieces = _pieces(_validated_states(states), stale_after_us, end_us)
    mode_pieces = _pieces(_validated_modes(modes), stale_after_us, end_us)
    program_pieces = _pieces(((ts_us, text or None) for ts_us, text in programs), stale_after_us, end_us)
    edges = {start_us, end_us}
    for pieces in (state_pieces, mode_pieces, program_pieces):
        for piece in pieces:
            edges.update(edge for edge in (piece.start_us, piece.end_us) if start_us < edge < end_us)
    ordered = sorted(edges)
    state_at, mode_at, program_at = _Cursor(state_pieces), _Cursor(mode_pieces), _Cursor(program_pieces)
    spans: list[Span] = []
    for low, high in itertools.pairwise(ordered):
        state = state_at.at(low)
        if state is None:
            continue
        mode = mode_at.at(low)
        span = Span(low, high, state, mode if mode is not None else OperationMode.NONE, program_at.at(low))
        if spans and spans[-1].end_us == low and spans[-1].same_condition(span):
            spans[-1] = Span(spans[-1].start_us, high, state, span.mode, span.program)
        else:
            spans.append(span)
    return spans


def merge_adjacent(spans: Iterable[Span]) -> list[Span]:
    """``spans`` (in time order) with touching spans of the same condition joined into one."""
    merged: list[Span] = []
    for span in spans:
        if merged and merged[-1].end_us == span.start_us and merged[-1].same_condition(span):
            previous = merged[-1]
            merged[-1] = Span(previous.start_us, span.end_us, previous.state, previous.mode, previous.program)
        else:
            merged.append(span)
    return merged
