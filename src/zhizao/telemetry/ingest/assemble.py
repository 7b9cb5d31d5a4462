"""A decoded message → points, texts and dead letters, with devices and signals resolved by the registry.

Shared by the MQTT pipeline and ``POST /api/ingest``, so both store the same things for the same input.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from operator import itemgetter
from typing import TypeVar

from zhizao.telemetry.ingest.decoding import DecodedMessage, DeviceRef, Reading, Rejection, SampleColumns, Value
from zhizao.telemetry.ingest.validation import dead_letters
from zhizao.telemetry.kinds import Protocol, RejectReason
from zhizao.telemetry.registry import KnownDevice, KnownSignal, Refused, Registry
from zhizao.telemetry.store.base import DeadLetterRow, Point, TextPoint

_Keyed = TypeVar("_Keyed", Point, TextPoint)
# ``Point(...)`` runs the generated ``__new__`` in Python; ``tuple.__new__`` mapped over columns stays in C.
_new_point: Callable[[tuple[int, int, float]], Point] = partial(tuple.__new__, Point)


@dataclass(slots=True)
class Assembled:
    """One message's share of a batch."""

    points: list[Point] = field(default_factory=list)
    texts: list[TextPoint] = field(default_factory=list)
    dead_letters: list[DeadLetterRow] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    device_ids: set[int] = field(default_factory=set)
    newest_ts_us: int | None = None

    @property
    def size(self) -> int:
        return len(self.points) + len(self.texts) + len(self.dead_letters)


class Assembler:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def assemble(
        self,
        decoded: DecodedMessage,
        *,
        source: Protocol,
        topic: str | None,
        payload: bytes,
        received_at: datetime,
    ) -> Assembled:
        out = Assembled(rejections=list(decoded.rejections))
        by_device: dict[DeviceRef, list[Reading]] = defaultdict(list)
        for reading in decoded.readings:
            by_device[reading.device].append(reading)
        if decoded.columns is not None:
            self._assemble_columns(decoded.columns, source, out, by_device)
        for ref, readings in by_device.items():
            device = self.registry.device(ref, source)
            if isinstance(device, Refused):
                # One rejection for the device, not one per sample: the message is refused as a whole.
                out.rejections.append(Rejection(device.reason, device.detail))
                continue
            self._resolve(device, readings, out)
        if out.rejections:
            enterprise_id = decoded.enterprise_id
            if enterprise_id is not None and self.registry.tenant(enterprise_id) is None:
                enterprise_id = None  # the dead letter's tenant must exist (a foreign key)
            out.dead_letters = dead_letters(
                out.rejections,
                source=source.value,
                received_at=received_at,
                topic=topic,
                enterprise_id=enterprise_id,
                payload=payload,
            )
        return out

    def _assemble_columns(
        self,
        columns: SampleColumns,
        source: Protocol,
        out: Assembled,
        by_device: dict[DeviceRef, list[Reading]],
    ) -> None:
        """Points straight from the columns when the device and all its signals resolve to numeric ones; otherwise
        the columns become readings and take the general path, which says what is wrong with which sample."""
        device = self.registry.device(columns.device, source)
        if isinstance(device, KnownDevice):
            # The first value of each name: a new signal's type is inferred from it.
            first_values = dict(zip(reversed(columns.signals), reversed(columns.values), strict=True))
            signals = self.registry.signals(device, first_values)
            ids = {
                name: signal.id
                for name, signal in signals.items()
                if not isinstance(signal, Refused) and not signal.is_text
            }
            if len(ids) == len(signals):
                signal_ids = map(ids.__getitem__, columns.signals)
                rows = zip(signal_ids, columns.ts_us, columns.floats)  # noqa: B905 - one length by construction
                out.points.extend(map(_new_point, rows))
                newest = max(columns.ts_us)
                if out.newest_ts_us is None or newest > out.newest_ts_us:
                    out.newest_ts_us = newest
                out.device_ids.add(device.id)
                return
        by_device[columns.device].extend(columns.readings())

    def _resolve(self, device: KnownDevice, readings: Sequence[Reading], out: Assembled) -> None:
        first_values: dict[str, Value] = {}
        for reading in readings:
            first_values.setdefault(reading.signal, reading.value)
        signals = self.registry.signals(device, first_values)
        # Per signal once, not per sample: the id and whether it takes text (None: refused).
        resolved = {
            name: None if isinstance(signal, Refused) else (signal.id, signal.is_text)
            for name, signal in signals.items()
        }
        newest = out.newest_ts_us
        points, texts = out.points, out.texts
        stored = len(points) + len(texts)
        for reading in readings:
            found = resolved[reading.signal]
            if found is None:
                refused = signals[reading.signal]
                assert isinstance(refused, Refused)
                out.rejections.append(Rejection(refused.reason, refused.detail, reading.position))
                continue
            signal_id, takes_text = found
            value = reading.value
            if isinstance(value, str) is not takes_text:  # text signals take strings, the others numbers/booleans
                signal = signals[reading.signal]
                assert not isinstance(signal, Refused)
                out.rejections.append(_wrong_type(signal, reading))
                continue
            if takes_text:
                assert isinstance(value, str)
                texts.append(TextPoint(signal_id, reading.ts_us, value))
            else:
                points.append(Point(signal_id, reading.ts_us, float(value)))
            if newest is None or reading.ts_us > newest:
                newest = reading.ts_us
        out.newest_ts_us = newest
        if len(points) + len(texts) > stored:
            out.device_ids.add(device.id)


def _wrong_type(signal: KnownSignal, reading: Reading) -> Rejection:
    sent = "text" if isinstance(reading.value, str) else "a number"
    detail = f"signal {signal.name!r} is {signal.data_type.value}; got {sent}"
    return Rejection(RejectReason.WRONG_TYPE, detail, reading.position)


def dedupe(points: Sequence[Point], texts: Sequence[TextPoint]) -> tuple[list[Point], list[TextPoint], int]:
    """Each (signal, ts) once, the first one winning (as it would against stored samples); and how many repeated."""
    unique_points, unique_texts = _first_of_each_key(points), _first_of_each_key(texts)
    return unique_points, unique_texts, len(points) - len(unique_points) + len(texts) - len(unique_texts)


_KEY = itemgetter(0, 1)  # (signal_id, ts_us) of a Point or TextPoint


def _first_of_each_key(rows: Sequence[_Keyed]) -> list[_Keyed]:
    # Repeats are rare: a set of the keys, built in C, shows whether there are any; only then is the first of each
    # kept in a Python loop.
    if len(set(map(_KEY, rows))) == len(rows):
        return list(rows)
    seen: set[tuple[int, int]] = set()
    unique = []
    for row in rows:
        key = (row[0], row[1])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique
