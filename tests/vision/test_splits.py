"""Fixed, stated splits: stratified, disjoint, covering, and the same for the same seed."""

from __future__ import annotations

from collections import Counter

import pytest

from zhizao.vision.splits import DEFAULT_SEED, stratified_folds, stratified_holdout, three_way

LABELS = ["a"] * 10 + ["b"] * 5 + ["c"] * 20 + [None] * 15


def test_folds_are_disjoint_cover_everything_and_hold_each_class_in_proportion() -> None:
    folds = stratified_folds(LABELS, 5)
    assert len(folds) == 5
    flat = [index for fold in folds for index in fold]
    assert sorted(flat) == list(range(len(LABELS)))  # every item exactly once
    for fold in folds:
        counts = Counter(LABELS[index] for index in fold)
        assert counts == {"a": 2, "b": 1, "c": 4, None: 3}


def test_fold_sizes_stay_even_when_classes_do_not_divide() -> None:
    labels = ["a"] * 7 + ["b"] * 7 + ["c"] * 7
    sizes = sorted(len(fold) for fold in stratified_folds(labels, 5))
    assert sizes == [4, 4, 4, 4, 5]  # 21 over 5: never 3 and 6


def test_folds_are_deterministic_for_a_seed() -> None:
    assert stratified_folds(LABELS, 5) == stratified_folds(LABELS, 5, DEFAULT_SEED)
    assert stratified_folds(LABELS, 5, seed=7) == stratified_folds(LABELS, 5, seed=7)
    assert stratified_folds(LABELS, 5, seed=7) != stratified_folds(LABELS, 5, seed=8)
    with pytest.raises(ValueError, match="at least 2"):
        stratified_folds(LABELS, 1)


def test_holdout_takes_the_stated_share_of_each_class() -> None:
    train, test = stratified_holdout(LABELS, 0.2)
    assert set(train).isdisjoint(test)
    assert sorted(train + test) == list(range(len(LABELS)))
    assert Counter(LABELS[index] for index in test) == {"a": 2, "b": 1, "c": 4, None: 3}
    assert stratified_holdout(LABELS, 0.2) == (train, test)
    with pytest.raises(ValueError, match="between 0 and 1"):
        stratified_holdout(LABELS, 1.0)


def test_three_way_parts_are_disjoint_and_cover_everything() -> None:
    train, validation, test = three_way(LABELS, 0.2, 0.2)
    assert not set(train) & set(validation) and not set(train) & set(test) and not set(validation) & set(test)
    assert sorted(train + validation + test) == list(range(len(LABELS)))
    assert Counter(LABELS[index] for index in test) == {"a": 2, "b": 1, "c": 4, None: 3}
    assert {LABELS[index] for index in validation} == {"a", "b", "c", None}
    assert three_way(LABELS, 0.2, 0.2) == (train, validation, test)
