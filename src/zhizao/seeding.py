"""What a demo seeder is. Each context that has demo data provides one; ``zhizao.demo`` lists them in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from zhizao.db.engine import Database
from zhizao.settings import Settings


@dataclass(frozen=True)
class SeedReport:
    """What a seeder made, printed by ``zhizao demo`` as a titled table."""

    title: str
    headers: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = field(default_factory=list)


class Seeder(Protocol):
    def __call__(self, database: Database, settings: Settings) -> SeedReport: ...
