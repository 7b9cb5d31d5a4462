"""Every raw sample of one signal in a range, read page by page through the store's query interface."""

from __future__ import annotations

from zhizao.telemetry.store.base import TelemetryStore

RAW_PAGE = 10_000


def all_raw(store: TelemetryStore, signal_id: int, start_us: int, end_us: int) -> list[tuple[int, float]]:
    """(ts_us, value) of every numeric sample in [start, end), oldest first."""
    samples: list[tuple[int, float]] = []
    after: int | None = None
    while True:
        page = store.raw(signal_id, start_us, end_us, limit=RAW_PAGE, after_us=after)
        samples.extend((point.ts_us, point.value) for point in page)
        if len(page) < RAW_PAGE:
            return samples
        after = page[-1].ts_us


def all_raw_text(store: TelemetryStore, signal_id: int, start_us: int, end_us: int) -> list[tuple[int, str]]:
    """(ts_us, text) of every text sample in [start, end), oldest first."""
    samples: list[tuple[int, str]] = []
    while True:
        page = store.raw_text(signal_id, start_us, end_us, limit=RAW_PAGE)
        samples.extend((point.ts_us, point.value) for point in page)
        if len(page) < RAW_PAGE:
            return samples
        start_us = page[-1].ts_us + 1
