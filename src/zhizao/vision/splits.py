"""Fixed, stated splits: the same on every machine for the same labels and seed.

Stratified: each class is shuffled on its own with ``numpy.random.default_rng(seed)`` (classes in sorted order) and
dealt out, so every fold or part holds each class in proportion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np

DEFAULT_SEED = 20200101  # the plan's first year; any fixed number would do, this one is stated in the docs


def _by_class(labels: Sequence[str | None], seed: int) -> list[list[int]]:
    members: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        members["" if label is None else label].append(index)
    rng = np.random.default_rng(seed)
    return [[int(i) for i in rng.permutation(members[label])] for label in sorted(members)]


def stratified_folds(labels: Sequence[str | None], folds: int = 5, seed: int = DEFAULT_SEED) -> list[list[int]]:
    """``folds`` disjoint lists of indices covering every item, each holding each class in proportion."""
    if folds < 2:
        raise ValueError("at least 2 folds")
    parts: list[list[int]] = [[] for _ in range(folds)]
    offset = 0
    for members in _by_class(labels, seed):
        for position, index in enumerate(members):
            parts[(position + offset) % folds].append(index)
        offset += len(members)  # continue dealing where the last class stopped, so fold sizes stay even
    return [sorted(part) for part in parts]


def stratified_holdout(
    labels: Sequence[str | None], test_share: float = 0.2, seed: int = DEFAULT_SEED
) -> tuple[list[int], list[int]]:
    """(train, test) indices: ``round(n_c · test_share)`` of each class c in test."""
    if not 0 < test_share < 1:
        raise ValueError("test_share must lie between 0 and 1")
    train: list[int] = []
    test: list[int] = []
    for members in _by_class(labels, seed):
        cut = round(len(members) * test_share)
        test.extend(members[:cut])
        train.extend(members[cut:])
    return sorted(train), sorted(test)


def three_way(
    labels: Sequence[str | None], validation_share: float = 0.15, test_share: float = 0.15, seed: int = DEFAULT_SEED
) -> tuple[list[int], list[int], list[int]]:
    """(train, validation, test) indices, stratified, for a dataset version."""
    rest, test = stratified_holdout(labels, test_share, seed)
    share = validation_share / (1 - test_share)
    inner_train, inner_validation = stratified_holdout([labels[i] for i in rest], share, seed + 1)
    return sorted(rest[i] for i in inner_train), sorted(rest[i] for i in inner_validation), test
