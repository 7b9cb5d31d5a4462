"""Conversions between aware datetimes and the stored integer microseconds since the epoch (UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_us(moment: datetime) -> int:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a timezone")
    delta = moment - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(ts_us: int) -> datetime:
    return EPOCH + timedelta(microseconds=ts_us)


def now_us() -> int:
    return to_us(datetime.now(UTC))
