"""Input types every API shares, so that no value a database cannot store reaches one.

PostgreSQL's integer ids stop at 2**31 - 1 and its text cannot hold NUL; SQLite's integers stop at 2**63 - 1.
A value outside these is the caller's mistake (422 naming the field), never a database error (500).
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import Path, Query
from pydantic import AfterValidator, Field

MAX_ID = 2**31 - 1


def _no_nul(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


NoNul = AfterValidator(_no_nul)
Text = Annotated[str, NoNul]

IdField = Annotated[int, Field(ge=1, le=MAX_ID)]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
TextQuery = Annotated[str | None, Query(max_length=64), NoNul]
Offset = Annotated[int, Query(ge=0, le=10_000_000)]
Limit = Annotated[int, Query(ge=1, le=200)]


def _known_time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except Exception as exc:  # not found, a directory ("America"), a bad path or a lone surrogate: all unknown
        raise ValueError(f"unknown time zone: {value!r}") from exc
    return value


def _weekdays(value: frozenset[int]) -> frozenset[int]:
    if not value <= frozenset(range(7)):
        raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
    return value


TimeZoneName = Annotated[str, Field(max_length=64), NoNul, AfterValidator(_known_time_zone)]  # IANA, e.g. Asia/Shanghai
Weekdays = Annotated[frozenset[int], AfterValidator(_weekdays)]  # 0 = Monday … 6 = Sunday
