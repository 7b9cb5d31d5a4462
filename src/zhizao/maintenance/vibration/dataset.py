"""Recordings from a folder laid out like the CWRU one: ``manifest.json`` (a list of entries with ``file``,
``label``, ``load_hp``, ``rpm``, ``fs_hz`` and optionally ``n_samples``) beside one ``.npz`` per recording
holding the signal (``DE``, or ``signal``) and the scalars ``fs``, ``rpm``, ``label``.

Every problem is an :class:`InputError` naming the entry and what is wrong: a benchmark silently read wrong
(a baseline at 48 kHz mixed with faults at 12 kHz) gives a confident, meaningless number.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import signal as sps

from zhizao.errors import InputError
from zhizao.maintenance.vibration.features import amplitude_spectrum

Array = NDArray[np.float64]

MANIFEST = "manifest.json"
SIGNAL_KEYS = ("DE", "signal")
DEFAULT_FS = 12000.0
REQUIRED = ("file", "label", "rpm", "fs_hz")
# A shaft line this many times the local median level counts as present (see check_rate).
LINE_PROMINENCE = 6.0

FAULTS = {"IR": "inner_race", "B": "ball", "OR": "outer_race"}
_LABEL = re.compile(r"^(IR|B|OR)(\d{3})(@\d+)?$")


@dataclass(frozen=True, slots=True)
class Recording:
    """One recording, resampled to ``fs``; ``source_fs`` is the rate it was stored at."""

    file: str
    label: str
    load: float
    rpm: float
    fs: float
    source_fs: float
    signal: Array
    rate_check: str  # "confirmed": the 1x shaft line sits where fs and rpm put it; "unverified": no clear line


def parse_label(label: str) -> tuple[str, float | None]:
    """``IR007`` → ("inner_race", 0.007 in); ``OR021@6`` → ("outer_race", 0.021); ``normal`` → ("normal", None).
    Labels of another scheme pass through as their own fault name without a severity."""
    if label.lower() == "normal":
        return "normal", None
    match = _LABEL.match(label)
    if match is None:
        return label, None
    return FAULTS[match.group(1)], int(match.group(2)) / 1000


def resample(signal: Array, fs: float, target_fs: float) -> Array:
    """Polyphase resampling (anti-aliased) from ``fs`` to ``target_fs``; the ratio must be a simple fraction."""
    if fs == target_fs:
        return signal
    ratio = Fraction(target_fs / fs).limit_denominator(1000)
    if abs(float(ratio) - target_fs / fs) > 1e-9 * target_fs / fs:
        raise InputError.for_field("fs", f"cannot resample {fs:g} Hz to {target_fs:g} Hz by a simple ratio")
    return np.asarray(sps.resample_poly(signal, ratio.numerator, ratio.denominator), dtype=np.float64)


def windows(signal: Array, size: int, hop: int | None = None) -> Array:
    """Consecutive windows of ``size`` samples every ``hop`` samples (default: no overlap), as rows."""
    if size < 8:
        raise InputError.for_field("window", f"a window of {size} samples is too short")
    step = size if hop is None else hop
    if step < 1:
        raise InputError.for_field("hop", "the hop must be at least one sample")
    if signal.ndim != 1:
        raise InputError.for_field("signal", f"expected a one-dimensional signal, got shape {signal.shape}")
    if signal.size < size:
        raise InputError.for_field("window", f"the signal has {signal.size} samples, fewer than one window of {size}")
    count = 1 + (signal.size - size) // step
    index = np.arange(size)[None, :] + step * np.arange(count)[:, None]
    return np.asarray(signal[index], dtype=np.float64)


def shaft_line_prominence(signal: Array, fs: float, shaft_hz: float) -> float:
    """Height of the strongest line within 3 % of ``shaft_hz`` over the median level from 0.5x to 1.5x."""
    # A power-of-two prefix: the FFT of an arbitrary (even prime) length is many times slower, and 2**17
    # samples already resolve 0.1 Hz at 12 kHz.
    length = 1 << min(signal.size.bit_length() - 1, 17)
    spectrum = amplitude_spectrum(signal[:length], fs)
    line = (spectrum.freqs >= 0.97 * shaft_hz) & (spectrum.freqs <= 1.03 * shaft_hz)
    near = (spectrum.freqs >= 0.5 * shaft_hz) & (spectrum.freqs <= 1.5 * shaft_hz)
    if not line.any() or near.sum() < 8:
        return 0.0
    floor = float(np.median(spectrum.amplitude[near])) or 1e-300
    return float(spectrum.amplitude[line].max()) / floor


def check_rate(signal: Array, fs: float, rpm: float, where: str) -> str:
    """Confirm the stored rate from the shaft line (rpm / 60); refuse a rate that is evidently 2x or 4x off
    rather than compute features at wrong orders.

    A rate stored too low puts the true 1x line at 1/2 or 1/4 of rpm / 60 on the stored axis (while the true
    2x or 4x harmonic would still "confirm" rpm / 60); a rate stored too high leaves no line at rpm / 60 but one
    at 2x or 4x. On the CWRU rig the true 1x line stands 12-200 times over its neighbourhood and an empty
    band at most 2.6 times, hence the threshold.
    """
    shaft_hz = rpm / 60
    for factor in (4.0, 2.0):
        if shaft_line_prominence(signal, fs, shaft_hz / factor) >= LINE_PROMINENCE:
            raise InputError.for_field(where, _wrong_rate(shaft_hz / factor, fs, factor))
    stored = shaft_line_prominence(signal, fs, shaft_hz)
    if stored >= LINE_PROMINENCE:
        return "confirmed"
    for factor in (0.5, 0.25):
        other = shaft_line_prominence(signal, fs, shaft_hz / factor)
        if other >= LINE_PROMINENCE and other >= 3 * max(stored, 1.0):
            raise InputError.for_field(where, _wrong_rate(shaft_hz / factor, fs, factor))
    return "unverified"


def _wrong_rate(line_hz: float, fs: float, factor: float) -> str:
    return (
        f"with fs = {fs:g} Hz the shaft line (rpm / 60) shows at {line_hz:.1f} Hz, as if the rate were "
        f"{fs * factor:g} Hz: the stored sampling rate looks wrong"
    )


def _entry_value(entry: dict[str, object], key: str, where: str) -> float:
    value = entry.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError.for_field(f"{where}.{key}", f"expected a positive number, got {value!r}")
    return float(value)


def _entry_load(entry: dict[str, object], where: str) -> float:
    # CWRU names the operating point by motor load in hp; another rig may call it plain "load".
    value = entry.get("load_hp", entry.get("load"))
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        raise InputError.for_field(f"{where}.load_hp", f"expected a load (a number >= 0), got {value!r}")
    return float(value)


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _read_manifest(folder: Path) -> list[dict[str, object]]:
    if not folder.exists():
        raise InputError.for_field("data", f"the folder {folder} does not exist")
    if not folder.is_dir():
        raise InputError.for_field("data", f"{folder} is not a folder")
    path = folder / MANIFEST
    if not path.is_file():
        raise InputError.for_field("data", f"{folder} has no {MANIFEST}")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError.for_field("manifest", f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(entries, list) or not entries or not all(isinstance(entry, dict) for entry in entries):
        raise InputError.for_field("manifest", f"{path} must hold a non-empty list of recording entries")
    return entries


def _load_signal(path: Path, where: str) -> tuple[Array, dict[str, object]]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError) as exc:
        raise InputError.for_field(where, f"{path.name} is not a readable .npz file: {exc}") from exc
    key = next((name for name in SIGNAL_KEYS if name in arrays), None)
    if key is None:
        raise InputError.for_field(
            where, f"{path.name} holds no signal array ({' or '.join(SIGNAL_KEYS)}); it has {sorted(arrays)}"
        )
    signal = arrays[key]
    if signal.ndim != 1 or not np.issubdtype(signal.dtype, np.number):
        raise InputError.for_field(
            where, f"{path.name}: expected a one-dimensional numeric signal, got shape {signal.shape} ({signal.dtype})"
        )
    scalars = {
        name: arrays[name].item() for name in ("fs", "rpm", "label") if name in arrays and arrays[name].ndim == 0
    }
    return np.asarray(signal, dtype=np.float64), scalars


def load_folder(folder: Path | str, *, target_fs: float = DEFAULT_FS, check_rates: bool = True) -> list[Recording]:
    """Every recording the manifest lists, checked and resampled to ``target_fs``."""
    root = Path(folder)
    recordings: list[Recording] = []
    for position, entry in enumerate(_read_manifest(root)):
        where = f"manifest[{position}]"
        for key in REQUIRED:
            if key not in entry:
                raise InputError.for_field(f"{where}.{key}", f"the entry lacks {key!r}")
        name, label = str(entry["file"]), str(entry["label"])
        path = root / name
        if not path.is_file():
            raise InputError.for_field(f"{where}.file", f"{name} is listed in the manifest but missing")
        fs, rpm = _entry_value(entry, "fs_hz", where), _entry_value(entry, "rpm", where)
        load = _entry_load(entry, where)
        signal, scalars = _load_signal(path, f"{where}.file")
        expected = entry.get("n_samples")
        if expected is not None and expected != signal.size:
            raise InputError.for_field(
                f"{where}.file", f"{name} holds {signal.size} samples, the manifest says {expected}"
            )
        for key, value in (("fs", fs), ("rpm", rpm), ("label", label)):
            stored = scalars.get(key)
            if stored is not None and str(stored) != str(value) and _number(stored) != value:
                raise InputError.for_field(f"{where}.{key}", f"{name} stores {key} = {stored}, the manifest {value}")
        if fs < target_fs:
            raise InputError.for_field(
                f"{where}.fs_hz", f"{name} is sampled at {fs:g} Hz, below the {target_fs:g} Hz the features need"
            )
        if not np.all(np.isfinite(signal)):
            raise InputError.for_field(f"{where}.file", f"{name} holds missing or infinite samples")
        if float(np.ptp(signal)) == 0.0:
            raise InputError.for_field(f"{where}.file", f"{name} is a constant signal")
        rate_check = check_rate(signal, fs, rpm, f"{where}.fs_hz") if check_rates else "unverified"
        recordings.append(Recording(name, label, load, rpm, target_fs, fs, resample(signal, fs, target_fs), rate_check))
    return recordings
