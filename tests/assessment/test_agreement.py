"""Inter-rater agreement: Krippendorff's ordinal alpha against published and hand-worked values."""

from __future__ import annotations

import pytest

from tests.assessment.toy import toy_model
from zhizao.assessment.agreement import domain_agreement, krippendorff_alpha_ordinal


def test_alpha_matches_krippendorffs_published_example() -> None:
    # Krippendorff (2011), "Computing Krippendorff's alpha-reliability", section C: 4 observers, 12 units,
    # values 1–5 with gaps; the paper gives α_ordinal = 0.815.
    none = None
    observers = [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, none, none, none],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, none, 3],
        [none, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, none],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, none],
    ]
    units = [[value for value in unit if value is not None] for unit in zip(*observers, strict=True)]
    assert krippendorff_alpha_ordinal(units) == pytest.approx(0.815, abs=5e-4)


def test_alpha_worked_by_hand() -> None:
    # Units (1, 1), (0.8, 0.5), (0.5, 0.5). Coincidences: o(1,1) = 2, o(0.8,0.5) = o(0.5,0.8) = 1, o(0.5,0.5) = 2;
    # margins n(0.5) = 3, n(0.8) = 1, n(1) = 2, n = 6. δ²(0.5,0.8) = ((3 + 1)/2)² = 4, δ²(0.5,1) = (6 − 2.5)² = 12.25,
    # δ²(0.8,1) = 1.5² = 2.25. Observed Σ o δ² = 8; expected Σ n_c n_k δ² / (n − 1) = 2·(12 + 73.5 + 4.5)/5 = 36.
    assert krippendorff_alpha_ordinal([[1, 1], [0.8, 0.5], [0.5, 0.5]]) == pytest.approx(1 - 8 / 36)


def test_perfect_agreement_is_one_and_a_single_value_is_undefined() -> None:
    assert krippendorff_alpha_ordinal([[1, 1, 1], [0.5, 0.5], [0, 0]]) == pytest.approx(1.0)
    assert krippendorff_alpha_ordinal([[0.8, 0.8], [0.8, 0.8, 0.8]]) is None
    assert krippendorff_alpha_ordinal([[1], [0.5]]) is None  # no unit has two raters


def test_systematic_disagreement_is_below_zero() -> None:
    assert krippendorff_alpha_ordinal([[0, 1], [1, 0], [0, 1]]) < 0  # type: ignore[operator]


def test_domain_agreement_counts_pairs_across_three_experts() -> None:
    experts = {
        "a": {"org.L1.1": 1.0, "prod.plan.L1.1": 0.5},
        "b": {"org.L1.1": 0.8, "prod.plan.L1.1": 0.5},
        "c": {"org.L1.1": 1.0},
    }
    org, prod = domain_agreement(toy_model(), experts)
    # org.L1.1: pairs (1, 0.8), (1, 1), (0.8, 1) → differences 0.2, 0, 0.2
    assert (org.domain, org.items, org.pairs) == ("org", 1, 3)
    assert org.mean_absolute_difference == pytest.approx(0.1333, abs=1e-4)
    assert org.exact_agreement == pytest.approx(0.3333, abs=1e-4)
    assert (prod.domain, prod.pairs, prod.exact_agreement, prod.alpha) == ("prod", 1, 1.0, None)
