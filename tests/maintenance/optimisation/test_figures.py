"""Throughput gain, energy split and loss gains on small inputs, against values computed by hand."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from zhizao.errors import InputError
from zhizao.maintenance.optimisation import energy, losses, throughput
from zhizao.maintenance.optimisation.energy import EnergyUse
from zhizao.maintenance.optimisation.losses import LossKind
from zhizao.production.totals import Totals
from zhizao.telemetry.machinery import MachineryItemState as S
from zhizao.telemetry.machinery import OperationMode as M

MIN = 60_000_000
HOUR = 60 * MIN


def test_throughput_gain_by_hand() -> None:
    # a_b = 0.8, next most active 0.6: gain = 0.8 / 0.6 − 1 = 1/3; 900 good units → 300 more.
    ratios = {1: Fraction(8, 10), 2: Fraction(6, 10), 3: Fraction(3, 10)}
    found = throughput.gain(1, ratios, 900)
    assert found is not None
    assert (found.next_machine, found.gain_ratio, found.gained_units, found.clear) == (
        2,
        Fraction(1, 3),
        Fraction(300),
        True,
    )


def test_throughput_gain_when_the_bottleneck_is_not_the_most_active() -> None:
    found = throughput.gain(1, {1: Fraction(1, 2), 2: Fraction(13, 20)}, 100)
    assert found is not None and (found.gain_ratio, found.gained_units, found.clear) == (
        Fraction(0),
        Fraction(0),
        False,
    )
    assert throughput.gain(1, {1: Fraction(1, 2)}, 10) is None  # one machine: nothing to compare with
    with pytest.raises(InputError):
        throughput.gain(1, {1: Fraction(3, 2), 2: Fraction(1, 2)}, 10)


def test_energy_split_by_hand() -> None:
    # Ledger over one hour: producing 0–30 min, idle 30–45, standby 45–50, out of service 50–55, no data 55–60.
    intervals = [
        (0, 30 * MIN, S.EXECUTING, M.PROCESSING),
        (30 * MIN, 45 * MIN, S.NOT_EXECUTING, M.NONE),
        (45 * MIN, 50 * MIN, S.NOT_AVAILABLE, M.NONE),
        (50 * MIN, 55 * MIN, S.OUT_OF_SERVICE, M.NONE),
    ]
    # 10-minute meter increments: 5 + 5 + 5 producing; 2 idle; 1.5 split idle 0.75 / standby 0.75; 1.0 split
    # down 0.5 / no ledger 0.5.
    increments = [(0, 5.0), (10 * MIN, 5.0), (20 * MIN, 5.0), (30 * MIN, 2.0), (40 * MIN, 1.5), (50 * MIN, 1.0)]
    found = energy.figures(intervals, increments, 10 * MIN, 0, HOUR, good_units=30, tariff_cny_per_kwh=Decimal("0.85"))
    assert found.kwh == {
        EnergyUse.PRODUCING: 15, EnergyUse.SETUP: 0, EnergyUse.IDLE: Fraction(275, 100),
        EnergyUse.STANDBY: Fraction(75, 100), EnergyUse.DOWN: Fraction(1, 2), EnergyUse.UNKNOWN: Fraction(1, 2),
    }  # fmt: skip
    assert found.total_kwh == Fraction(195, 10)
    assert found.waste_kwh == Fraction(35, 10)
    assert found.waste_cny == Decimal("2.98")  # 3.5 × 0.85 = 2.975, rounded half up to the fen
    assert found.kwh_per_good_unit == Fraction(65, 100)  # 19.5 / 30
    assert found.producing_kwh_per_good_unit == Fraction(1, 2)
    assert found.mean_kw(EnergyUse.IDLE) == 11  # 2.75 kWh in a quarter of an hour
    assert found.mean_kw(EnergyUse.PRODUCING) == 30
    assert found.time_us[EnergyUse.UNKNOWN] == 5 * MIN


def test_energy_without_good_units_has_no_per_unit_figure() -> None:
    found = energy.figures([], [(0, 1.0)], MIN, 0, MIN, good_units=0, tariff_cny_per_kwh=Decimal("1"))
    assert found.kwh_per_good_unit is None and found.kwh[EnergyUse.UNKNOWN] == 1
    with pytest.raises(InputError):
        energy.figures([], [(0, -1.0)], MIN, 0, MIN, good_units=0, tariff_cny_per_kwh=Decimal("1"))


def _machine_1() -> Totals:
    # PBT 10 h: breakdowns 1 h, setup 0.5 h, minor stops 0.5 h, APT 8 h; PRU 30 s; PQ 900, GQ 850.
    # E = 7.5 h / 8 h = 0.9375, Q = 850 / 900.
    return Totals(
        pot_us=10 * HOUR, apt_us=8 * HOUR, adot_us=HOUR, aust_us=HOUR // 2, adet_us=HOUR // 2,
        pq=900, gq=850, sq=50, pru_pq_us=900 * 30_000_000, pru_gq_us=850 * 30_000_000, failures=2,
    )  # fmt: skip


def test_machine_losses_by_hand() -> None:
    rows = losses.top_losses({1: _machine_1()}, bottleneck=1)
    got = [(r.kind, r.gained_fpt_us, r.gained_good_units) for r in rows]
    assert got == [
        (LossKind.BREAKDOWN, Fraction(3_187_500_000), Fraction(10625, 100)),  # 3600 s·E·Q; 3600 s·850/28 800 s
        (LossKind.SPEED, Fraction(1_700_000_000), Fraction(170, 3)),  # 1800 s·Q; 1800 s·Q·900/27 000 s
        (LossKind.SETUP, Fraction(1_593_750_000), Fraction(53125, 1000)),
        (LossKind.MINOR_STOPS, Fraction(1_593_750_000), Fraction(53125, 1000)),  # a tie: setup first
        (LossKind.QUALITY, Fraction(1_500_000_000), Fraction(50)),  # 50 units · 30 s
    ]
    assert rows[0].machine_oee_points == Fraction(3_187_500_000 * 100, 10 * HOUR)
    assert all(r.on_bottleneck for r in rows)


def test_losses_across_machines_rank_unknown_gains_last() -> None:
    # Machine 2 has no planned run time per unit: its 2 h breakdown gains 2 h · 800/8 h = 200 units, but its
    # fully productive time (and OEE points) is unknown, so it ranks after every known gain.
    second = Totals(pot_us=10 * HOUR, apt_us=8 * HOUR, adot_us=2 * HOUR, pq=800, gq=800, unknown_pru_pq=800)
    rows = losses.top_losses({1: _machine_1(), 2: second}, bottleneck=2, recovery=Fraction(1, 2), limit=6)
    assert [(r.machine, r.kind) for r in rows][-1] == (2, LossKind.BREAKDOWN)
    assert rows[-1].gained_good_units == 100 and rows[-1].gained_fpt_us is None and rows[-1].on_bottleneck
    first = rows[0]
    assert (first.machine, first.kind, first.gained_fpt_us) == (1, LossKind.BREAKDOWN, Fraction(1_593_750_000))
    assert first.line_oee_points == Fraction(1_593_750_000 * 100, 20 * HOUR)  # line PBT = 20 h
    with pytest.raises(InputError) as caught:
        losses.top_losses({1: _machine_1()}, bottleneck=None, recovery=Fraction(0))
    assert caught.value.fields[0].field == "query.recovery"


def test_no_loss_above_full_speed() -> None:
    fast = Totals(pot_us=HOUR, apt_us=HOUR, pq=200, gq=200, pru_pq_us=200 * 20_000_000, pru_gq_us=200 * 20_000_000)
    assert losses.top_losses({1: fast}, bottleneck=None) == []  # E = 4000 s / 3600 s > 1: no speed loss
