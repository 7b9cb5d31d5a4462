"""Labels, scores, windows and conformal quantiles against values worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhizao.maintenance.rul.conformal import conformal_quantile, cv_plus_intervals, split_interval, upper_rank
from zhizao.maintenance.rul.labels import cap_rul, remaining_rul, run_to_failure_rul
from zhizao.maintenance.rul.scoring import coverage, phm08_score, rmse
from zhizao.maintenance.rul.windows import ewma, expanding_head_mean, rolling_mean_std_slope


def test_run_to_failure_labels_count_down_to_zero_under_the_cap() -> None:
    assert run_to_failure_rul(5, cap=3).tolist() == [3, 3, 2, 1, 0]
    assert run_to_failure_rul(4, cap=None).tolist() == [3, 2, 1, 0]
    assert run_to_failure_rul(130)[:6].tolist() == [125, 125, 125, 125, 125, 124]


def test_truncated_history_labels_start_from_its_final_rul() -> None:
    assert remaining_rul(3, 10, cap=11).tolist() == [11, 11, 10]
    assert cap_rul(np.array([130.0, 20.0])).tolist() == [125, 20]
    with pytest.raises(ValueError, match="final_rul"):
        remaining_rul(3, -1)


def test_phm08_score_by_hand() -> None:
    # d = −13 (early): exp(1) − 1; d = 10 (late): exp(1) − 1; d = 0: nothing.
    assert phm08_score([87.0], [100.0]) == pytest.approx(math.e - 1)
    assert phm08_score([110.0], [100.0]) == pytest.approx(math.e - 1)
    assert phm08_score([50.0, 87.0, 110.0], [50.0, 100.0, 100.0]) == pytest.approx(2 * (math.e - 1))


def test_late_predictions_cost_more_than_early_ones() -> None:
    assert phm08_score([120.0], [100.0]) > phm08_score([80.0], [100.0])


def test_rmse_by_hand() -> None:
    assert rmse([1.0, 2.0, 3.0], [1.0, 2.0, 7.0]) == pytest.approx(math.sqrt(16 / 3))
    with pytest.raises(ValueError, match="length"):
        rmse([1.0], [1.0, 2.0])


def test_coverage_counts_closed_intervals() -> None:
    assert coverage([0, 0, 0, 0], [1, 1, 1, 1], [0, 1, 2, -1]) == 0.5


def test_rolling_statistics_by_hand() -> None:
    x = np.array([[1.0], [3.0], [5.0], [4.0]])
    mean, std, slope = rolling_mean_std_slope(x, 3)
    assert mean[:, 0].tolist() == pytest.approx([1, 2, 3, 4])
    assert std[:, 0].tolist() == pytest.approx([0, 1, math.sqrt(8 / 3), math.sqrt(2 / 3)])
    assert slope[:, 0].tolist() == pytest.approx([0, 2, 2, 0.5])


def test_ewma_and_baseline_by_hand() -> None:
    x = np.array([[2.0], [4.0], [6.0]])
    # weights 0.25, 0.5, 1 (alpha 0.5), divided by their sum — the first value is not biased towards zero.
    assert ewma(x, 0.5)[:, 0].tolist() == pytest.approx([2, 10 / 3, (0.5 + 2 + 6) / 1.75])
    assert expanding_head_mean(x, 2)[:, 0].tolist() == pytest.approx([2, 3, 3])


def test_conformal_rank_and_quantile() -> None:
    assert upper_rank(9, 0.9) == 9
    assert upper_rank(19, 0.9) == 18
    assert conformal_quantile(np.arange(1.0, 10.0), 0.9) == 9
    assert conformal_quantile([1.0, 2.0], 0.9) == math.inf  # too few scores for 90 %: no finite bound


@pytest.mark.parametrize("stated", [0.8, 0.9])
def test_split_conformal_covers_synthetic_data(stated: float) -> None:
    rng = np.random.default_rng(3)
    calibration = np.abs(rng.standard_t(4, size=500))
    truth = rng.standard_t(4, size=20_000)
    low, high = split_interval(np.zeros(truth.size), calibration, stated)
    assert coverage(low, high, truth) >= stated - 0.03


def test_cv_plus_covers_synthetic_data_and_matches_split_for_one_fold() -> None:
    rng = np.random.default_rng(4)
    folds = [np.abs(rng.normal(size=200)) for _ in range(5)]
    truth = rng.normal(size=5000)
    predictions = rng.normal(scale=0.05, size=(5, truth.size))  # five slightly different models around 0
    low, high = cv_plus_intervals(predictions, folds, 0.9)
    assert coverage(low, high, truth) >= 0.9 - 0.03
    one_low, one_high = cv_plus_intervals(np.zeros((1, 3)), folds[:1], 0.9)
    split_low, split_high = split_interval(np.zeros(3), folds[0], 0.9)
    assert one_low.tolist() == pytest.approx(split_low.tolist())
    assert one_high.tolist() == pytest.approx(split_high.tolist())
