"""Response schemas of the OEE API: time elements in seconds, counts, KPIs as fractions (0.85 = 85 %)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date

from pydantic import BaseModel

from zhizao.production.kpi import KpiSet, kpis
from zhizao.production.losses import ParetoRow, Waterfall
from zhizao.production.totals import Totals

US = 1_000_000


class TimeElements(BaseModel):
    """ISO 22400-2 time elements in seconds, and the counts."""

    calendar_s: float
    pot_s: float
    pdot_s: float
    pbt_s: float
    apt_s: float
    aust_s: float
    adet_s: float
    micro_stop_s: float
    adot_s: float
    unknown_s: float
    aupt_s: float
    aubt_s: float
    pq: int
    gq: int
    sq: int
    rq: int
    failures: int

    @classmethod
    def of(cls, totals: Totals) -> TimeElements:
        return cls(
            calendar_s=totals.calendar_us / US,
            pot_s=totals.pot_us / US,
            pdot_s=totals.pdot_us / US,
            pbt_s=totals.pbt_us / US,
            apt_s=totals.apt_us / US,
            aust_s=totals.aust_us / US,
            adet_s=totals.adet_us / US,
            micro_stop_s=totals.micro_us / US,
            adot_s=totals.adot_us / US,
            unknown_s=totals.unknown_us / US,
            aupt_s=totals.aupt_us / US,
            aubt_s=totals.aubt_us / US,
            pq=totals.pq,
            gq=totals.gq,
            sq=totals.sq,
            rq=totals.rq,
            failures=totals.failures,
        )


class WaterfallRead(BaseModel):
    """The six big losses in seconds, from planned busy time down to fully productive time."""

    pbt_s: float
    breakdown_loss_s: float
    setup_loss_s: float
    minor_stop_loss_s: float
    unknown_s: float
    apt_s: float
    speed_loss_s: float | None
    quality_loss_s: float | None
    fully_productive_s: float | None

    @classmethod
    def of(cls, steps: Waterfall) -> WaterfallRead:
        return cls.model_validate(
            {
                name.removesuffix("_us") + "_s": (None if value is None else value / US)
                for name, value in asdict(steps).items()
            }
        )


class Measured(BaseModel):
    times: TimeElements
    kpis: KpiSet  # fractions (0.85 = 85 %); None where a ratio is undefined

    @classmethod
    def of(cls, totals: Totals) -> Measured:
        return cls(times=TimeElements.of(totals), kpis=kpis(totals))


class OeeBucketRead(Measured):
    key: str
    start: date


class OeeEquipmentRead(Measured):
    equipment_id: int
    code: str
    name: str


class OeeReport(BaseModel):
    enterprise_id: int
    node_id: int | None
    equipment_id: int | None
    start: date
    end: date
    granularity: str
    total: Measured
    waterfall: WaterfallRead
    buckets: list[OeeBucketRead]
    equipment: list[OeeEquipmentRead]


class ParetoRead(BaseModel):
    reason: str
    seconds: float
    share: float
    cumulative_share: float

    @classmethod
    def of(cls, row: ParetoRow) -> ParetoRead:
        return cls(
            reason=row.reason, seconds=row.duration_us / US, share=row.share, cumulative_share=row.cumulative_share
        )


class SyncReport(BaseModel):
    equipment: int
    changed: int
    intervals: int
    days: int
