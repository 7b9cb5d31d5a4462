"""Input types every API shares, so that no value a database cannot store reaches one.

PostgreSQL's integer ids stop at 2**31 - 1 and its text cannot hold NUL; SQLite's integers stop at 2**63 - 1.
A value outside these is the caller's mistake (422 naming the field), never a database error (500).
"""

from __future__ import annotations

from typing import Annotated

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
