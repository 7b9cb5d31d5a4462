"""The six big losses as a waterfall from planned busy time to fully productive time, and a downtime Pareto. Pure.

PBT − breakdowns (ADOT) − setup and adjustments (AUST) − minor stops and idling (ADET, micro-stops included)
− time without data (UNKNOWN; zero when the data is complete) = APT;
APT − reduced speed (APT − Σ PRU·PQ) − quality losses (Σ PRU·(PQ − GQ)) = fully productive time (Σ PRU·GQ).

Reduced speed is negative when effectiveness is above 100 % (a PRU longer than the machine needs): it is shown
as such, never clipped, because clipping would hide the wrong PRU. Without a PRU for every product counted the
speed and quality steps and fully productive time are undefined (None).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from fractions import Fraction

from zhizao.errors import InputError
from zhizao.production.totals import Totals


@dataclass(frozen=True, slots=True)
class Waterfall:
    """Each step in microseconds; ``*_loss_us`` are subtracted in this order from ``pbt_us``."""

    pbt_us: int
    breakdown_loss_us: int
    setup_loss_us: int
    minor_stop_loss_us: int
    unknown_us: int
    apt_us: int
    speed_loss_us: int | None
    quality_loss_us: int | None
    fully_productive_us: int | None

    def as_dict(self) -> dict[str, int | None]:
        return asdict(self)


def waterfall(totals: Totals) -> Waterfall:
    pru_known = totals.unknown_pru_pq == 0
    return Waterfall(
        pbt_us=totals.pbt_us,
        breakdown_loss_us=totals.adot_us,
        setup_loss_us=totals.aust_us,
        minor_stop_loss_us=totals.adet_us,
        unknown_us=totals.unknown_us,
        apt_us=totals.apt_us,
        speed_loss_us=totals.apt_us - totals.pru_pq_us if pru_known else None,
        quality_loss_us=totals.pru_pq_us - totals.pru_gq_us if pru_known else None,
        fully_productive_us=totals.pru_gq_us if pru_known else None,
    )


@dataclass(frozen=True, slots=True)
class ParetoRow:
    reason: str
    duration_us: int
    share: float  # of all downtime listed
    cumulative_share: float


def pareto(downtime: Iterable[tuple[str, int]], *, field: str = "downtime") -> list[ParetoRow]:
    """Downtime per reason code (pairs of reason and duration inside planned busy time), largest first (ties by
    reason), with each reason's share and the running total share. Reasons with no time are left out."""
    per_reason: dict[str, int] = defaultdict(int)
    for index, (reason, duration_us) in enumerate(downtime):
        if duration_us < 0:
            raise InputError.for_field(f"{field}[{index}]", "a duration must not be negative")
        per_reason[reason] += duration_us
    ranked = sorted(
        ((reason, total) for reason, total in per_reason.items() if total), key=lambda row: (-row[1], row[0])
    )
    whole = sum(total for _, total in ranked)
    rows, running = [], 0
    for reason, total in ranked:
        running += total
        rows.append(ParetoRow(reason, total, float(Fraction(total, whole)), float(Fraction(running, whole))))
    return rows
