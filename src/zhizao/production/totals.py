"""The additive elements of the ISO 22400-2 time model for one work unit over one period. Pure data.

Every KPI is a ratio of these sums, so a roll-up over machines, shifts or days adds ``Totals`` and then computes
the ratios: percentages are never averaged. Times are integer microseconds so that sums are exact and
associative (a float sum depends on the order of addition, and the property tests compare orders).
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass(frozen=True, slots=True)
class Totals:
    calendar_us: int = 0  # calendar time of the period (TEEP's denominator)
    pot_us: int = 0  # planned operation time: shift time on working days
    pdot_us: int = 0  # planned downtime within POT: breaks, planned maintenance, no orders
    apt_us: int = 0  # actual production time: executing and processing
    aust_us: int = 0  # actual unit setup time
    adet_us: int = 0  # actual unit delay time: waiting, idle, micro-stops (micro_us is part of it)
    micro_us: int = 0  # of ADET: stops shorter than the equipment's micro-stop threshold
    adot_us: int = 0  # actual unit down time: failed, under repair, switched off during planned busy time
    unknown_us: int = 0  # planned busy time without state data
    pq: int = 0  # produced quantity = GQ + SQ + RQ
    gq: int = 0  # good quantity
    sq: int = 0  # scrap quantity
    rq: int = 0  # rework quantity
    pru_pq_us: int = 0  # Σ PRU·PQ over products: the time the produced quantity should have taken
    pru_gq_us: int = 0  # Σ PRU·GQ over products
    failures: int = 0  # breakdowns (down periods) that began in the period
    unknown_pru_pq: int = 0  # produced quantity of products with no planned run time per unit

    @property
    def pbt_us(self) -> int:
        """Planned busy time = POT − PDOT."""
        return self.pot_us - self.pdot_us

    @property
    def aupt_us(self) -> int:
        """Actual unit processing time = APT + AUST."""
        return self.apt_us + self.aust_us

    @property
    def aubt_us(self) -> int:
        """Actual unit busy time = AUPT + ADET."""
        return self.aupt_us + self.adet_us

    def __add__(self, other: Totals) -> Totals:
        return Totals(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))


ZERO = Totals()


def total(parts: list[Totals] | tuple[Totals, ...]) -> Totals:
    """The sum of ``parts`` (``ZERO`` for none)."""
    result = ZERO
    for part in parts:
        result = result + part
    return result
