"""The top OEE losses of a line's machines and the estimated gain of fixing each. Pure.

From production's ISO 22400-2 ``Totals`` per machine (the same figures as the loss waterfall): breakdowns (ADOT),
setup and adjustment (AUST), minor stops and idling (ADET), reduced speed (APT − Σ PRU·PQ) and quality losses
(Σ PRU·(PQ − GQ)). Fixing a share r (``recovery``, 1 = the whole loss) of a loss is assumed to keep the machine's
present speed and quality:

=======================  ===========================================  ==========================================
loss                     good units gained                            fully productive time gained (ΔFPT)
=======================  ===========================================  ==========================================
time loss L (ADOT,        r·L · GQ / APT                              r·L · E · Q,  E = Σ PRU·PQ / APT, Q = GQ/PQ
AUST, ADET)
reduced speed S          r·S · Q · PQ / Σ PRU·PQ                      r·S · Q
quality loss             r·(PQ − GQ)                                  r·Σ PRU·(PQ − GQ)
=======================  ===========================================  ==========================================

OEE points = ΔFPT / PBT · 100, both for the machine's own OEE (its PBT) and for the line's (the sum of the PBT of
the machines listed: the line OEE computed from summed totals, never an average). Losses are ranked by ΔFPT,
which ranks the line OEE points alike. A gain that needs a figure that is missing (no production time, no planned
run time per unit) is None and ranks after every known gain; negative speed losses (effectiveness above 100 %)
are no loss and not listed. On a serial line only a fix at the bottleneck raises the line's output: each row says
whether its machine is the bottleneck.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from zhizao.errors import InputError
from zhizao.production.totals import Totals


class LossKind(StrEnum):
    BREAKDOWN = "breakdown"
    SETUP = "setup"
    MINOR_STOPS = "minor_stops"
    SPEED = "speed"
    QUALITY = "quality"


_ORDER = list(LossKind)


@dataclass(frozen=True, slots=True)
class LossFix:
    machine: int
    kind: LossKind
    lost_us: int  # the loss (quality: Σ PRU·(PQ − GQ); units: lost_units)
    lost_units: int | None  # quality loss only: PQ − GQ
    gained_fpt_us: Fraction | None
    gained_good_units: Fraction | None
    machine_oee_points: Fraction | None
    line_oee_points: Fraction | None
    on_bottleneck: bool


def _ratio(numerator: int | Fraction, denominator: int | Fraction) -> Fraction | None:
    return Fraction(numerator) / denominator if denominator else None


def _times(a: Fraction | None, *rest: Fraction | int | None) -> Fraction | None:
    result = a
    for part in rest:
        if result is None or part is None:
            return None
        result = result * part
    return result


def machine_losses(
    machine: int, totals: Totals, recovery: Fraction, line_pbt_us: int, *, on_bottleneck: bool
) -> list[LossFix]:
    """The losses of one machine with their gains (only losses greater than zero)."""
    pru_known = totals.unknown_pru_pq == 0
    apt, pq, gq = totals.apt_us, totals.pq, totals.gq
    effectiveness = _ratio(totals.pru_pq_us, apt) if pru_known else None
    quality = _ratio(gq, pq)
    rate = _ratio(gq, apt)  # good units per µs of production time
    rows: list[LossFix] = []

    def add(kind: LossKind, lost_us: int, fpt: Fraction | None, units: Fraction | None, lost_units: int | None) -> None:
        rows.append(
            LossFix(
                machine, kind, lost_us, lost_units, fpt, units,
                _times(_ratio(100, totals.pbt_us), fpt), _times(_ratio(100, line_pbt_us), fpt), on_bottleneck,
            )
        )  # fmt: skip

    for kind, lost in ((LossKind.BREAKDOWN, totals.adot_us), (LossKind.SETUP, totals.aust_us),
                       (LossKind.MINOR_STOPS, totals.adet_us)):  # fmt: skip
        if lost > 0:
            add(kind, lost, _times(recovery * lost, effectiveness, quality), _times(recovery * lost, rate), None)
    if pru_known and apt - totals.pru_pq_us > 0:
        speed = apt - totals.pru_pq_us
        units = _times(recovery * speed, quality, _ratio(pq, totals.pru_pq_us))
        add(LossKind.SPEED, speed, _times(recovery * speed, quality), units, None)
    if pq - gq > 0:
        time = totals.pru_pq_us - totals.pru_gq_us if pru_known else 0
        fpt = recovery * time if pru_known else None
        add(LossKind.QUALITY, time, fpt, recovery * (pq - gq), pq - gq)
    return rows


def top_losses(
    totals: Mapping[int, Totals], *, bottleneck: int | None, recovery: Fraction = Fraction(1), limit: int = 10
) -> list[LossFix]:
    """The ``limit`` largest losses over the machines, by fully productive time regained (unknown gains last)."""
    if not 0 < recovery <= 1:
        raise InputError.for_field("query.recovery", "the share of a loss a fix removes lies in (0, 1]")
    if limit < 1:
        raise InputError.for_field("limit", "must be at least 1")
    line_pbt = sum(row.pbt_us for row in totals.values())
    rows = [
        fix
        for machine, row in totals.items()
        for fix in machine_losses(machine, row, recovery, line_pbt, on_bottleneck=machine == bottleneck)
    ]
    rows.sort(
        key=lambda r: (
            r.gained_fpt_us is None,
            -(r.gained_fpt_us or 0),
            -(r.gained_good_units or 0),
            r.machine,
            _ORDER.index(r.kind),
        )
    )
    return rows[:limit]
