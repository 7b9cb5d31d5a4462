"""Checks every decoder applies to what it decodes, and the dead-letter rows for what is rejected. Pure."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from zhizao.telemetry.ingest.decoding import Rejection, Value
from zhizao.telemetry.kinds import RejectReason
from zhizao.telemetry.store.base import DeadLetterRow

MAX_PAST_US = 2 * 86_400_000_000  # samples older than two days are refused (late data goes through imports)
MAX_FUTURE_US = 5 * 60_000_000  # a device clock may run up to five minutes fast
MAX_SIGNAL_NAME = 200  # Signal.name
MAX_TEXT_VALUE = 10_000  # characters of one text sample
MAX_DEAD_LETTER_BYTES = 64 * 1024  # of the payload kept with a dead letter
MAX_DEAD_LETTER_DETAILS = 20  # rejected parts named in one dead letter's detail
MAX_TOPIC = 512  # DeadLetter.topic
MAX_ENTERPRISE_ID = 2**31 - 1  # an INTEGER column


def storable_text(text: str) -> bool:
    """Text both backends store unchanged: valid UTF-8 (no lone surrogates) and no NUL (PostgreSQL refuses it)."""
    if "\x00" in text:
        return False
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def clean_text(text: str, limit: int | None = None) -> str:
    """``text`` made storable (for details and topics, which describe rather than carry data)."""
    cleaned = text.replace("\x00", "\\x00").encode(errors="backslashreplace").decode()
    return cleaned if limit is None else cleaned[:limit]


def check_signal_name(name: object) -> str | None:
    """Why ``name`` is not a usable signal name, or None."""
    if not isinstance(name, str):
        return f"signal name must be a string, not {type(name).__name__}"
    if not name or len(name) > MAX_SIGNAL_NAME:
        return f"signal name must be 1 to {MAX_SIGNAL_NAME} characters"
    if not storable_text(name) or any(ord(char) < 32 or ord(char) == 127 for char in name):
        return "signal name contains control characters or invalid Unicode"
    return None


def check_value(value: object) -> tuple[RejectReason, str] | None:
    """Why ``value`` cannot be stored as a sample, or None. Numbers must be finite; text storable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        try:
            as_float = float(value)
        except OverflowError:
            return RejectReason.NOT_FINITE, "integer too large for a double"
        return None if math.isfinite(as_float) else (RejectReason.NOT_FINITE, "integer too large for a double")
    if isinstance(value, float):
        return None if math.isfinite(value) else (RejectReason.NOT_FINITE, f"value is {value}")
    if isinstance(value, str):
        if len(value) > MAX_TEXT_VALUE:
            return RejectReason.WRONG_TYPE, f"text longer than {MAX_TEXT_VALUE} characters"
        if not storable_text(value):
            return RejectReason.WRONG_TYPE, "text contains NUL or invalid Unicode"
        return None
    return RejectReason.WRONG_TYPE, f"value must be a number, boolean or string, not {_json_type(value)}"


def check_ts_window(ts_us: int, now_us: int) -> tuple[RejectReason, str] | None:
    if ts_us < now_us - MAX_PAST_US:
        return RejectReason.TIMESTAMP_OUT_OF_RANGE, "timestamp more than 2 days in the past"
    if ts_us > now_us + MAX_FUTURE_US:
        return RejectReason.TIMESTAMP_OUT_OF_RANGE, "timestamp more than 5 minutes in the future"
    return None


def is_numeric(value: Value) -> bool:
    return not isinstance(value, str)


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__


def dead_letters(
    rejections: Sequence[Rejection],
    *,
    source: str,
    received_at: datetime,
    topic: str | None,
    enterprise_id: int | None,
    payload: bytes | None,
) -> list[DeadLetterRow]:
    """One dead letter per reason found in a message, naming the first rejected parts, with the payload's head."""
    by_reason: dict[RejectReason, list[Rejection]] = defaultdict(list)
    for rejection in rejections:
        by_reason[rejection.reason].append(rejection)
    kept_payload = payload[:MAX_DEAD_LETTER_BYTES] if payload is not None else None
    rows = []
    for reason, items in by_reason.items():
        parts = [_describe(item) for item in items[:MAX_DEAD_LETTER_DETAILS]]
        if len(items) > MAX_DEAD_LETTER_DETAILS:
            parts.append(f"… and {len(items) - MAX_DEAD_LETTER_DETAILS} more")
        rows.append(
            DeadLetterRow(
                source=source,
                reason=reason.value,
                detail=clean_text("; ".join(parts), 4000),
                received_at=received_at,
                topic=clean_text(topic, MAX_TOPIC) if topic is not None else None,
                enterprise_id=enterprise_id,
                payload=kept_payload,
            )
        )
    return rows


def _describe(rejection: Rejection) -> str:
    prefix = "message" if rejection.position is None else f"#{rejection.position}"
    return f"{prefix}: {rejection.detail}"
