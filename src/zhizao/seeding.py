"""What a demo seeder is. Each context that has demo data provides one; ``zhizao.demo`` lists them in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from zhizao.db.engine import Database
from zhizao.settings import Settings

# Months of production history the demo writes before and after the factory's upgrade, each: the verification of a
# KPI needs 90 days or more. Here, not in the demo, so that the command's defaults do not import the demo.
DEMO_WINDOW_MONTHS = 3


@dataclass(frozen=True)
class SeedReport:
    """What a seeder made, printed by ``zhizao demo`` as a titled table."""

    title: str
    headers: Sequence[str] = ()
    rows: Sequence[Sequence[str]] = field(default_factory=list)


class Seeder(Protocol):
    def __call__(self, database: Database, settings: Settings) -> SeedReport: ...
