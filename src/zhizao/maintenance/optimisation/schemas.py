"""What the optimisation API returns: every figure with the ledger intervals and counters it came from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, Field

from zhizao.maintenance.optimisation.bottleneck import BottleneckKind
from zhizao.maintenance.optimisation.energy import EnergyUse
from zhizao.maintenance.optimisation.losses import LossKind


class Status(StrEnum):
    OK = "ok"
    NOT_ENOUGH_DATA = "not_enough_data"


class EnergyStatus(StrEnum):
    OK = "ok"
    NOT_METERED = "not_metered"  # no energy_kwh signal on the equipment
    NO_ENERGY_DATA = "no_energy_data"  # a meter, but no increment in the period


class LedgerInputs(BaseModel):
    """The state ledger rows the figures of one machine come from."""

    intervals: int = Field(description="ledger intervals overlapping the window (a day's margin on each side)")
    first_interval_id: int | None
    last_interval_id: int | None
    covered_s: float = Field(description="time inside the window with a ledger interval")
    coverage: float = Field(description="covered_s / window length")


class CounterInputs(BaseModel):
    energy_signal_id: int | None
    energy_buckets: int = Field(description="one-minute buckets with a non-zero energy_kwh increment")
    energy_kwh: float | None
    good_signal_id: int | None
    good_units: int | None = Field(description="sum of the good_parts counter increments in the window")


class MachineInputs(BaseModel):
    equipment_id: int
    code: str
    name: str
    ledger: LedgerInputs
    counters: CounterInputs
    totals: dict[str, int] = Field(description="production's ISO 22400-2 day totals summed over the period (µs)")


class ShareRead(BaseModel):
    equipment_id: int
    active_s: float
    active_ratio: float
    periods: int
    longest_period_s: float
    momentary_s: float
    sole_s: float
    shifting_s: float
    sole_share: float
    shifting_share: float


class DayShare(BaseModel):
    equipment_id: int
    sole_share: float
    shifting_share: float


class DayShares(BaseModel):
    day: date
    shares: list[DayShare]


class SegmentRead(BaseModel):
    start: datetime
    end: datetime
    equipment_id: int
    kind: BottleneckKind


class BottleneckRead(BaseModel):
    status: Status
    method: str = "active period (Roser, Nakano & Tanaka 2002)"
    primary_equipment_id: int | None = None
    no_bottleneck_s: float | None = None
    machines: list[ShareRead] = []
    days: list[DayShares] = []
    timeline: list[SegmentRead] = []


class ThroughputRead(BaseModel):
    bottleneck_equipment_id: int
    next_equipment_id: int
    bottleneck_active_ratio: float
    next_active_ratio: float
    gain_ratio: float
    good_units: int | None
    gained_units: float | None
    clear: bool
    formula: str


class EnergyMachineRead(BaseModel):
    equipment_id: int
    status: EnergyStatus
    kwh: dict[EnergyUse, float] = {}
    hours: dict[EnergyUse, float] = {}
    total_kwh: float | None = None
    waste_kwh: float | None = None
    waste_cny: Decimal | None = None
    waste_share: float | None = None
    kwh_per_good_unit: float | None = None
    producing_kwh_per_good_unit: float | None = None
    idle_kw: float | None = None
    producing_kw: float | None = None
    good_units: int | None = None


class EnergyRead(BaseModel):
    tariff_cny_per_kwh: Decimal
    formula: str = "waste = kWh while idle (NotExecuting) + standby (NotAvailable); cost = waste × tariff"
    machines: list[EnergyMachineRead]
    total_kwh: float
    waste_kwh: float
    waste_cny: Decimal


class LossRead(BaseModel):
    equipment_id: int
    kind: LossKind
    lost_s: float
    lost_units: int | None
    gained_fpt_s: float | None
    gained_good_units: float | None
    machine_oee_points: float | None
    line_oee_points: float | None
    on_bottleneck: bool


class LossesRead(BaseModel):
    status: Status
    recovery: float
    line_pbt_s: float
    items: list[LossRead]


class LineOptimisation(BaseModel):
    enterprise_id: int
    node_id: int
    node_code: str
    node_name: str
    start: date
    end: date
    timezone: str
    window_start: datetime
    window_end: datetime
    status: Status
    problems: list[str] = Field(description="why a figure is missing (English ids, shown translated)")
    machines: list[MachineInputs]
    bottleneck: BottleneckRead
    throughput: ThroughputRead | None
    energy: EnergyRead
    losses: LossesRead
