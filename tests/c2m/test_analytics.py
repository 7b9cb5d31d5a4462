"""Demand analytics: popularity, co-occurrence and lift, weekly trend by region, the forecast methods and their
backtest, raking to a forecast mix, and the service over orders in the tables — every figure worked out by hand."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from tests.c2m.planning_world import T0, Orders, build_maker
from tests.conftest import World
from zhizao.c2m import analytics, analytics_service
from zhizao.c2m.analytics import FamilyInfo, OrderFacts
from zhizao.c2m.analytics_forecast import Method, backtest, coherent, fit, forecast_mix, holt_path, ses_path
from zhizao.c2m.analytics_volume import Explained, planned_volume, rake
from zhizao.errors import InputError

SHANGHAI = ZoneInfo("Asia/Shanghai")
PAINT = FamilyInfo("PAINT", 1, 1, ("WHITE", "BLACK", "RED"))
ROOF = FamilyInfo("ROOF", 0, 1, ("PANO",))
EXTRAS = FamilyInfo("EXTRAS", 0, 2, ("HUD", "TOW"))
FAMILIES = [PAINT, ROOF, EXTRAS]


def facts(*chosen: Sequence[str], region: str = "shanghai", at: datetime = T0) -> list[OrderFacts]:
    return [OrderFacts(frozenset(codes), region, at) for codes in chosen]


FOUR = facts(["WHITE"], ["BLACK", "PANO"], ["WHITE", "PANO", "HUD"], ["RED", "HUD", "TOW"])


def test_popularity_is_each_options_share_of_the_orders() -> None:
    shares = {f.family: f for f in analytics.popularity(FOUR, FAMILIES)}
    assert [(o.option, o.orders, o.share) for o in shares["PAINT"].options] == [
        ("WHITE", 2, 0.5), ("BLACK", 1, 0.25), ("RED", 1, 0.25),
    ]  # fmt: skip
    assert ([(o.option, o.share) for o in shares["ROOF"].options], shares["ROOF"].none) == ([("PANO", 0.5)], 2)
    assert [(o.option, o.share) for o in shares["EXTRAS"].options] == [("HUD", 0.5), ("TOW", 0.25)]
    assert shares["EXTRAS"].none == 2


def test_co_occurrence_counts_pairs_and_their_lift() -> None:
    options = [code for family in FAMILIES for code in family.options]
    pairs = analytics.co_occurrence(FOUR, options, min_orders=1, limit=10)
    # lift = n_ab · N / (n_a · n_b): RED & TOW 1·4/(1·1) = 4; BLACK & PANO 4/(1·2) = 2; HUD & TOW 4/(2·1) = 2;
    # RED & HUD 4/(1·2) = 2; PANO & HUD, WHITE & HUD, WHITE & PANO 4/(2·2) = 1 (ties: by the codes).
    assert [(p.first, p.second, p.orders, p.lift) for p in pairs] == [
        ("RED", "TOW", 1, 4.0), ("BLACK", "PANO", 1, 2.0), ("HUD", "TOW", 1, 2.0), ("RED", "HUD", 1, 2.0),
        ("PANO", "HUD", 1, 1.0), ("WHITE", "HUD", 1, 1.0), ("WHITE", "PANO", 1, 1.0),
    ]  # fmt: skip
    assert pairs[0].support == 0.25
    assert analytics.co_occurrence(FOUR, options, min_orders=2) == []
    assert [(p.first, p.second) for p in analytics.co_occurrence(FOUR, options, limit=1)] == [("RED", "TOW")]


def test_weekly_trend_splits_orders_by_local_week_and_region() -> None:
    monday = datetime(2026, 3, 2, tzinfo=SHANGHAI).date()
    sunday_evening_utc = datetime(2026, 3, 1, 20, 0, tzinfo=UTC)  # Monday 04:00 in Shanghai: the week of 2 March
    orders = [
        *facts(["PANO"], at=sunday_evening_utc),
        *facts([], at=T0 + timedelta(days=2)),
        *facts(["PANO"], region="beijing", at=T0 + timedelta(days=6)),
        *facts([], at=T0 + timedelta(days=8)),
        *facts(["PANO"], at=T0 - timedelta(days=30)),  # outside the weeks asked for
    ]
    trend = analytics.weekly_trend(orders, "PANO", [monday, monday + timedelta(days=7)], SHANGHAI)
    assert trend.overall.orders == (3, 1) and trend.overall.shares == (2 / 3, 0.0)
    by_region = {series.region: series for series in trend.regions}
    assert by_region["shanghai"].shares == (0.5, 0.0)
    assert by_region["beijing"].shares == (1.0, None)


def test_ses_and_holt_by_hand() -> None:
    steps, forecast = ses_path(np.array([[0.2], [0.4]]), alpha=0.5)
    assert steps.tolist() == [[0.2]] and forecast.tolist() == pytest.approx([0.3])
    # A straight line with α = β = 1: level follows y, trend the last step; forecasts 0 (no trend yet), 2, then 3.
    steps, forecast = holt_path(np.array([[0.0], [1.0], [2.0]]), alpha=1.0, beta=1.0)
    assert steps.tolist() == [[0.0], [2.0]] and forecast.tolist() == [3.0]


def test_fit_chooses_the_smoothing_that_predicted_the_history_best() -> None:
    step = np.array([[0.0], [1.0], [1.0], [1.0], [1.0]])
    fitted = fit(step, Method.SES)
    assert fitted.alpha == 0.9  # the fastest on the grid follows a level shift best
    assert fitted.forecast.tolist() == pytest.approx([0.9999])
    assert fit(step, Method.NAIVE).forecast.tolist() == [1.0]
    assert fit(step, Method.MEAN).forecast.tolist() == [0.8]


def test_coherent_clips_and_rescales_single_choice_families() -> None:
    made = coherent(np.array([0.7, 0.5, -0.1, 0.2, 1.4]), [[0, 1, 2]])
    assert made.tolist() == pytest.approx([0.7 / 1.2, 0.5 / 1.2, 0.0, 0.2, 1.0])
    assert coherent(np.array([-0.2, -0.1]), [[0, 1]]).tolist() == [0.5, 0.5]


def test_backtest_and_the_choice_of_method_by_hand() -> None:
    y = np.array([[0.1], [0.3], [0.2]])
    # naive: origin 1 predicts 0.1 for 0.3 (0.2 off), origin 2 predicts 0.3 for 0.2 (0.1 off): MAE 0.15.
    assert backtest(y, Method.NAIVE, [], [0], min_train=1).mae == pytest.approx(0.15)
    # mean: 0.1 for 0.3 (0.2), then 0.2 for 0.2 (0): MAE 0.1.
    assert backtest(y, Method.MEAN, [], [0], min_train=1).mae == pytest.approx(0.1)
    # SES: 0.1 (0.2 off), then with α = 0.1 (every α fits one step equally): 0.12 for 0.2 (0.08 off): 0.14.
    assert backtest(y, Method.SES, [], [0], min_train=1).mae == pytest.approx(0.14)
    mix = forecast_mix(y, [], [0], min_train=1)
    assert mix.method is Method.MEAN and mix.mae == pytest.approx(0.1)
    assert mix.shares.tolist() == pytest.approx([0.2])
    assert backtest(y, Method.NAIVE, [], [0], min_train=3).mae is None


def test_raking_matches_a_single_choice_and_a_multi_choice_margin() -> None:
    colour, extra = FamilyInfo("F", 1, 1, ("A", "B")), FamilyInfo("M", 0, 2, ("X", "Y"))
    configs = [frozenset({"A", "X"}), frozenset({"A"}), frozenset({"B"})]
    targets = [(colour, "A", 0.5), (colour, "B", 0.5), (extra, "X", 0.25), (extra, "Y", 0.0)]
    weights, gap = rake(configs, targets)
    # A = w1 + w2 = 0.5, B = w3 = 0.5, X = w1 = 0.25.
    assert weights.tolist() == pytest.approx([0.25, 0.25, 0.5], abs=1e-6) and gap < 1e-6


def test_planned_volume_explodes_the_reweighted_configurations() -> None:
    colour = FamilyInfo("F", 1, 1, ("A", "B"))
    needs = {
        frozenset({"A"}): Explained({"P1": Decimal(2)}, {"press": Decimal(10)}),
        frozenset({"B"}): Explained({"P2": Decimal(1)}, {"press": Decimal(20)}),
    }
    volume = planned_volume(
        [frozenset({"A"}), frozenset({"B"}), frozenset({"B"})], [(colour, "A", 0.75), (colour, "B", 0.25)], 100,
        needs.__getitem__,
    )  # fmt: skip
    assert volume.per_option == {"A": 75.0, "B": 25.0}
    assert volume.parts == pytest.approx({"P1": 150.0, "P2": 25.0})
    assert volume.minutes == pytest.approx({"press": 10 * 75 + 20 * 25})
    assert volume.configurations == 2 and volume.largest_gap < 1e-9


# The service over the tables: five complete weeks of the same mix, four orders a week.
WEEKLY_MIX = (["WHITE"], ["WHITE"], ["BLACK", "PANO"], ["RED", "TOW"])
NOW = T0 + timedelta(weeks=5, days=1)  # the Tuesday of the sixth week


def _five_weeks(world: World) -> int:
    maker = build_maker(world)
    orders = Orders(world, maker)
    for week in range(5):
        for k, chosen in enumerate(WEEKLY_MIX):
            region = "beijing" if k == 0 else "shanghai"
            orders.add(due_at=NOW, created_at=T0 + timedelta(weeks=week, hours=k), chosen=chosen, region=region)
    return maker.maker_id


def test_the_service_over_orders_in_the_tables(world: World) -> None:
    maker_id = _five_weeks(world)
    with world.database.session() as session:
        popular = analytics_service.popularity(session, maker_id, None, NOW, SHANGHAI)
        forecast = analytics_service.forecast_mix(session, maker_id, None, NOW, SHANGHAI)
        volume = analytics_service.planned_volume(session, maker_id, None, NOW, SHANGHAI, vehicles=40)
        default = analytics_service.planned_volume(session, maker_id, "ZX-T", NOW, SHANGHAI)
        trend = analytics_service.trend(session, maker_id, None, "WHITE", NOW, SHANGHAI, weeks=5)
    assert (popular.model_code, popular.orders) == ("ZX-T", 20)
    paint = next(f for f in popular.families if f.code == "PAINT")
    assert [(o.code, o.share) for o in paint.options] == [("WHITE", 0.5), ("BLACK", 0.25), ("RED", 0.25)]
    # A constant mix: every method forecasts it exactly, and every backtest error is 0.
    assert forecast.period == NOW.astimezone(SHANGHAI).date() - timedelta(days=1)
    assert {t.method: t.mae for t in forecast.backtests} == {"naive": 0.0, "mean": 0.0, "ses": 0.0, "holt": 0.0}
    shares = {o.code: o.forecast_share for o in forecast.options}
    assert shares == pytest.approx({"WHITE": 0.5, "BLACK": 0.25, "RED": 0.25, "PANO": 0.25, "HUD": 0.0, "TOW": 0.25})
    # 40 vehicles: a body each, pano glass on a quarter, steel roofs on the rest, hitches on a quarter, 4 l of paint
    # each; press 30, paint 20 and test 10 minutes each.
    parts = {p.part_number: p.quantity for p in volume.parts}
    assert parts == pytest.approx({"BODY": 40, "GLASS-PANO": 10, "ROOF-STEEL": 30, "HITCH": 10, "PAINT-L": 160})
    assert {m.kind: m.minutes for m in volume.minutes} == pytest.approx({"press": 1200, "paint": 800, "test": 400})
    assert {m.kind: m.minutes_per_work_centre for m in volume.minutes}["press"] == pytest.approx(600)
    assert (default.vehicles, default.vehicles_basis) == (4, "mean weekly orders of the last 4 complete weeks")
    assert trend.overall.shares == [0.5] * 5 + [None]
    assert {r.region: r.shares[0] for r in trend.regions} == {"beijing": 1.0, "shanghai": 1 / 3}


def test_the_service_sees_only_the_callers_orders_and_names_bad_input(world: World) -> None:
    _five_weeks(world)
    stranger = build_maker(world).maker_id
    with world.database.session() as session:
        mine = analytics_service.popularity(session, stranger, None, NOW, SHANGHAI)
        assert mine.orders == 0
        with pytest.raises(InputError) as no_orders:
            analytics_service.forecast_mix(session, stranger, None, NOW, SHANGHAI)
        assert no_orders.value.fields[0].field == "model"
        with pytest.raises(InputError) as unknown:
            analytics_service.popularity(session, stranger, "NOPE", NOW, SHANGHAI)
        assert unknown.value.fields[0].field == "model"
        with pytest.raises(InputError) as bad_option:
            analytics_service.trend(session, stranger, None, "NOT_AN_OPTION", NOW, SHANGHAI)
        assert bad_option.value.fields[0].field == "option"
