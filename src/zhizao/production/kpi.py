"""ISO 22400-2 KPIs from ``Totals``. Pure.

Every KPI is a ratio of sums, so a roll-up adds ``Totals`` first and computes the ratios once: percentages are
never averaged. A ratio whose denominator is zero is undefined: ``None``, never 0 or NaN. Ratios of integers are
computed with Python's correctly rounded integer division, so two formulas that are equal as fractions give the
same float (OEE = A·E·Q and its cross-check PRU·GQ/PBT agree exactly for a single product).

Formulas (ISO 22400-2 element names; see docs/kpi.md):

=========================  ==========================================  =========================================
KPI                        formula                                     note
=========================  ==========================================  =========================================
availability               APT / PBT
effectiveness              Σ(PRU·PQ) / APT                             uncapped; flagged above 110 %
quality ratio              GQ / PQ
OEE                        availability · effectiveness · quality
OEE cross-check            Σ(PRU·GQ) / PBT                             = OEE for one product (see below)
NEE                        utilisation efficiency · effectiveness · QR
TEEP                       OEE · PBT / calendar time                   not an ISO 22400-2 KPI (TPM practice)
setup rate                 AUST / AUPT
technical efficiency       APT / (APT + ADET)
utilisation efficiency     APT / AUBT
allocation efficiency      AUBT / PBT
throughput rate            PQ / PBT  (units per hour)                  ISO divides by AOET; we have no orders
MTBF                       APT / failures
MTTR                       ADOT / failures
scrap ratio                SQ / PQ
rework ratio               RQ / PQ
=========================  ==========================================  =========================================

When nothing was produced in planned busy time (PQ = 0, PBT > 0) effectiveness and quality are undefined but
OEE, NEE and TEEP are 0: no time was fully productive.

With several products, A·E·Q = Σ(PRU·PQ)·GQ / (PBT·PQ) and the cross-check Σ(PRU·GQ)/PBT differ unless every
product has the same quality ratio (or the same PRU): A·E·Q applies the average quality ratio to the weighted
speed, the cross-check weights each good unit by its own PRU. Both are reported, with their difference.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from fractions import Fraction

from zhizao.production.totals import Totals

EFFECTIVENESS_FLAG_ABOVE = Fraction(110, 100)
US_PER_HOUR = 3_600_000_000


class KpiFlag(StrEnum):
    EFFECTIVENESS_ABOVE_110 = "effectiveness_above_110"  # PRU too short, or counts from elsewhere
    INCOMPLETE_DATA = "incomplete_data"  # planned busy time without state data
    NO_PRODUCTION = "no_production"  # nothing produced in planned busy time
    PRODUCTS_WITHOUT_PRU = "products_without_pru"  # effectiveness, OEE and the loss waterfall are undefined


@dataclass(frozen=True, slots=True)
class KpiSet:
    availability: float | None
    effectiveness: float | None
    quality_ratio: float | None
    oee: float | None
    oee_cross_check: float | None  # Σ(PRU·GQ) / PBT
    oee_cross_check_difference: float | None  # oee − oee_cross_check (0 for a single product)
    nee: float | None
    teep: float | None
    setup_rate: float | None
    technical_efficiency: float | None
    utilisation_efficiency: float | None
    allocation_efficiency: float | None
    throughput_rate_per_hour: float | None
    mtbf_s: float | None
    mttr_s: float | None
    scrap_ratio: float | None
    rework_ratio: float | None
    flags: list[KpiFlag] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        values = asdict(self)
        values["flags"] = [flag.value for flag in self.flags]
        return values


def _ratio(numerator: int | Fraction, denominator: int | Fraction) -> Fraction | None:
    return Fraction(numerator) / denominator if denominator else None


def _float(value: Fraction | None) -> float | None:
    return None if value is None else float(value)


def _product(*parts: Fraction | None) -> Fraction | None:
    result = Fraction(1)
    for part in parts:
        if part is None:
            return None
        result *= part
    return result


def kpis(totals: Totals) -> KpiSet:
    """Every KPI of ``totals`` (one work unit and bucket, or any roll-up of them)."""
    pbt, apt, pq = totals.pbt_us, totals.apt_us, totals.pq
    pru_known = totals.unknown_pru_pq == 0
    availability = _ratio(apt, pbt)
    effectiveness = _ratio(totals.pru_pq_us, apt) if pru_known else None
    quality = _ratio(totals.gq, pq)
    oee = _product(availability, effectiveness, quality)
    nee = _product(_ratio(apt, totals.aubt_us), effectiveness, quality)
    if pq == 0 and pbt > 0:
        # Nothing produced in planned busy time: E and Q are undefined, but no time was fully productive, so
        # OEE (= fully productive time / PBT) and NEE are zero, not unknown.
        oee = nee = Fraction(0)
    cross_check = _ratio(totals.pru_gq_us, pbt) if pru_known else None
    utilisation = _ratio(apt, totals.aubt_us)
    failures = totals.failures
    flags = []
    if effectiveness is not None and effectiveness > EFFECTIVENESS_FLAG_ABOVE:
        flags.append(KpiFlag.EFFECTIVENESS_ABOVE_110)
    if totals.unknown_us > 0:
        flags.append(KpiFlag.INCOMPLETE_DATA)
    if pq == 0 and pbt > 0:
        flags.append(KpiFlag.NO_PRODUCTION)
    if not pru_known:
        flags.append(KpiFlag.PRODUCTS_WITHOUT_PRU)
    return KpiSet(
        availability=_float(availability),
        effectiveness=_float(effectiveness),
        quality_ratio=_float(quality),
        oee=_float(oee),
        oee_cross_check=_float(cross_check),
        oee_cross_check_difference=_float(oee - cross_check) if oee is not None and cross_check is not None else None,
        nee=_float(nee),
        teep=_float(_product(oee, _ratio(pbt, totals.calendar_us))),
        setup_rate=_float(_ratio(totals.aust_us, totals.aupt_us)),
        technical_efficiency=_float(_ratio(apt, apt + totals.adet_us)),
        utilisation_efficiency=_float(utilisation),
        allocation_efficiency=_float(_ratio(totals.aubt_us, pbt)),
        throughput_rate_per_hour=_float(_ratio(pq * US_PER_HOUR, pbt)),
        mtbf_s=_float(_ratio(Fraction(apt, 1_000_000), failures)),
        mttr_s=_float(_ratio(Fraction(totals.adot_us, 1_000_000), failures)),
        scrap_ratio=_float(_ratio(totals.sq, pq)),
        rework_ratio=_float(_ratio(totals.rq, pq)),
        flags=flags,
    )
