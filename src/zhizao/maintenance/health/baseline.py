"""A per-equipment baseline: what "normal" looks like, learned from window features of a chosen normal period.

Input: a matrix of window features (rows: windows, e.g. 1-minute means; columns: signals; NaN where a window has
no sample of a signal). The fit, in order:

1. **coverage** — the share of windows with a value, per signal. A signal under ``MIN_COVERAGE`` is dropped with a
   note (an event signal such as a cycle time has no value in most minutes and cannot be compared window by window).
2. **complete windows** — only windows with every remaining signal are used (no imputation: a guessed value would
   be a silent number).
3. **robust location and scale** — median and MAD·1.4826 (the normal-consistent MAD) per signal. A constant signal
   (no spread at all) is dropped with a note: it carries no information and would make the covariance singular.
   Where the MAD is 0 but the values are not all equal (a mostly-constant signal) the standard deviation is used.
4. **enough data** — at least ``max(MIN_WINDOWS, WINDOWS_PER_SIGNAL · p)`` complete windows, else the fit is
   ``not enough data`` with the counts, never a baseline.
5. **covariance** — Ledoit-Wolf shrinkage covariance of the robustly standardised features (``z = (x − median) /
   scale``): well conditioned even with few windows and correlated signals, where the sample covariance is not.
6. **range** — the lowest and highest window value of each signal, for the out-of-specification test.

Pure: numpy and scikit-learn only, no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.covariance import LedoitWolf

MIN_COVERAGE = 0.8
MIN_WINDOWS = 30
WINDOWS_PER_SIGNAL = 5
MAD_TO_SIGMA = 1.4826  # 1 / Φ⁻¹(3/4): the MAD of a normal distribution times this is its standard deviation
FORMAT = "zhizao.health_baseline/1"

Matrix = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Baseline:
    """A fitted baseline. Vectors are in the order of ``signals``."""

    signals: tuple[str, ...]
    median: tuple[float, ...]
    scale: tuple[float, ...]
    location: tuple[float, ...]  # mean of the standardised features (≈ 0)
    precision: tuple[tuple[float, ...], ...]  # inverse of the shrunk covariance of the standardised features
    low: tuple[float, ...]
    high: tuple[float, ...]
    windows: int  # complete windows used
    window_s: int
    coverage: dict[str, float] = field(default_factory=dict)  # every candidate signal, dropped ones included
    notes: tuple[str, ...] = ()
    shrinkage: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "signals": list(self.signals), "median": list(self.median), "scale": list(self.scale),
            "location": list(self.location), "precision": [list(row) for row in self.precision],
            "low": list(self.low), "high": list(self.high), "windows": self.windows, "window_s": self.window_s,
            "coverage": self.coverage, "notes": list(self.notes), "shrinkage": self.shrinkage,
        }  # fmt: skip

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Baseline:
        if data.get("format") != FORMAT:
            raise ValueError(f"not a health baseline of format {FORMAT}: {data.get('format')!r}")
        p = len(data["signals"])
        vectors = ("median", "scale", "location", "low", "high")
        if any(len(data[name]) != p for name in vectors) or len(data["precision"]) != p:
            raise ValueError("a health baseline's vectors must all have one value per signal")
        return cls(
            signals=tuple(str(s) for s in data["signals"]),
            **{name: tuple(float(v) for v in data[name]) for name in vectors},
            precision=tuple(tuple(float(v) for v in row) for row in data["precision"]),
            windows=int(data["windows"]), window_s=int(data["window_s"]),
            coverage={str(k): float(v) for k, v in data.get("coverage", {}).items()},
            notes=tuple(str(n) for n in data.get("notes", ())), shrinkage=float(data.get("shrinkage", 0.0)),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class NotEnoughData:
    """The explicit outcome of a fit without enough data: why, with the counts, and no numbers to misuse."""

    reason: str
    windows: int
    needed: int
    coverage: dict[str, float] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def robust_scale(column: Matrix) -> tuple[float, float]:
    """(median, scale): scale = 1.4826·MAD, or the standard deviation where the MAD is 0; 0 for a constant."""
    median = float(np.median(column))
    mad = float(np.median(np.abs(column - median)))
    if mad > 0:
        return median, MAD_TO_SIGMA * mad
    return median, float(np.std(column))


def needed_windows(p: int) -> int:
    return max(MIN_WINDOWS, WINDOWS_PER_SIGNAL * p)


def fit_baseline(features: Matrix, names: Sequence[str], *, window_s: int) -> Baseline | NotEnoughData:
    """Fit a baseline to window features (rows: windows, columns: ``names``; NaN: no value in that window)."""
    data = np.asarray(features, dtype=np.float64)
    if data.ndim != 2 or data.shape[1] != len(names):
        raise ValueError(f"features must be windows × {len(names)} signals, got shape {data.shape}")
    rows = data.shape[0]
    present = ~np.isnan(data)
    coverage = {name: (float(present[:, j].mean()) if rows else 0.0) for j, name in enumerate(names)}
    notes: list[str] = []
    kept = []
    for j, name in enumerate(names):
        if coverage[name] < MIN_COVERAGE:
            notes.append(f"{name}: dropped, values in {coverage[name]:.0%} of windows (at least {MIN_COVERAGE:.0%})")
        else:
            kept.append(j)
    complete = data[np.all(present[:, kept], axis=1)][:, kept] if kept else np.empty((0, 0))
    columns: list[int] = []
    medians: list[float] = []
    scales: list[float] = []
    for position, j in enumerate(kept):
        median, scale = robust_scale(complete[:, position]) if len(complete) else (float("nan"), 0.0)
        if len(complete) and scale == 0.0:
            notes.append(f"{names[j]}: dropped, constant at {median:g} over the period")
            continue
        columns.append(position)
        medians.append(median)
        scales.append(scale)
    p = len(columns)
    needed = needed_windows(max(p, 1))
    if p == 0 or len(complete) < needed:
        reason = "no usable signal" if p == 0 and len(complete) else f"{len(complete)} complete windows"
        return NotEnoughData(f"{reason}; at least {needed} needed", len(complete), needed, coverage, tuple(notes))
    used = complete[:, columns]
    z = (used - np.asarray(medians)) / np.asarray(scales)
    estimator = LedoitWolf().fit(z)
    precision = np.linalg.inv(estimator.covariance_)
    return Baseline(
        signals=tuple(names[kept[c]] for c in columns),
        median=tuple(medians), scale=tuple(scales),
        location=tuple(float(v) for v in estimator.location_),
        precision=tuple(tuple(float(v) for v in row) for row in precision),
        low=tuple(float(v) for v in used.min(axis=0)), high=tuple(float(v) for v in used.max(axis=0)),
        windows=len(used), window_s=window_s, coverage=coverage, notes=tuple(notes),
        shrinkage=float(estimator.shrinkage_),
    )  # fmt: skip
