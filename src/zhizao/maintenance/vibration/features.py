"""Features of one accelerometer window (pure; no I/O): time statistics, spectra, envelope spectrum in orders.

Load invariance is the design goal (a plant labels faults at one operating point and must recognise them at
the others): every spectral feature is a ratio, so the gain and the load's change of amplitude cancel, and
envelope features are read at orders of the shaft frequency, so the defect bands move with speed.
"""

from __future__ import annotations

import functools
import itertools
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import signal as sps

from zhizao.errors import InputError
from zhizao.maintenance.vibration.geometry import BearingGeometry, DefectOrders, defect_orders

# Bump when a feature changes meaning: a saved model refuses windows described by another version.
FEATURES_VERSION = "bearing-features/1"

Array = NDArray[np.float64]

# Envelope demodulation bands in Hz. Impacts excite structural resonances (on the CWRU rig around 2.5-4 kHz);
# the low band catches rigs whose resonance sits lower. Both stay under 6 kHz, the Nyquist rate of 12 kHz.
ENVELOPE_BANDS: tuple[tuple[float, float], ...] = ((500.0, 2500.0), (2500.0, 5500.0))
# Raw-spectrum bands (Hz) for the resonance "fingerprint": fractions of total power, so gain-free.
SPECTRUM_EDGES: tuple[float, ...] = tuple(float(edge) for edge in range(0, 6001, 375))
HARMONICS = (1, 2, 3)
# Rolling elements slip: search +-3 % around each defect order, and never less than one bin.
ORDER_TOLERANCE = 0.03
MAX_ORDER = 12.0
MIN_WINDOW = 1024
MIN_REVOLUTIONS = 4.0

TIME_NAMES = (
    "rms_log10",
    "kurtosis",
    "skewness",
    "crest_factor",
    "shape_factor",
    "impulse_factor",
    "clearance_factor",
    "peak_to_peak_over_rms",
)
DEFECTS = ("bpfo", "bpfi", "bsf2", "ftf", "shaft")


@dataclass(frozen=True, slots=True)
class Spectrum:
    """Single-sided amplitude spectrum: a sine of amplitude A shows a peak of height A."""

    freqs: Array
    amplitude: Array


def _checked(window: NDArray[np.floating[Any]] | Array, name: str = "window") -> Array:
    values = np.asarray(window, dtype=np.float64)
    if values.ndim != 1:
        raise InputError.for_field(name, f"expected a one-dimensional signal, got shape {values.shape}")
    if values.size < 8:
        raise InputError.for_field(name, f"a signal of {values.size} samples is too short")
    if not np.all(np.isfinite(values)):
        raise InputError.for_field(name, "the signal holds missing or infinite values")
    if float(np.ptp(values)) == 0.0:
        raise InputError.for_field(name, "the signal is constant: no vibration to describe")
    return values


def time_statistics(window: Array) -> dict[str, float]:
    """Classical condition-monitoring statistics. Kurtosis is the plain fourth standardised moment (a sine
    gives 1.5, Gaussian noise 3); impacts from a defect raise it and the crest factor."""
    x = _checked(window)
    centred = x - x.mean()
    std = float(np.sqrt(np.mean(centred**2)))
    if std == 0.0:
        raise InputError.for_field("window", "the signal is constant: no vibration to describe")
    rms = float(np.sqrt(np.mean(x**2)))
    peak = float(np.max(np.abs(x)))
    mean_abs = float(np.mean(np.abs(x)))
    sqrt_mean = float(np.mean(np.sqrt(np.abs(x)))) ** 2
    return {
        "mean": float(x.mean()),
        "std": std,
        "rms": rms,
        "peak": peak,
        "peak_to_peak": float(np.ptp(x)),
        "crest_factor": peak / rms,
        "kurtosis": float(np.mean(centred**4)) / std**4,
        "skewness": float(np.mean(centred**3)) / std**3,
        "shape_factor": rms / mean_abs,
        "impulse_factor": peak / mean_abs,
        "clearance_factor": peak / sqrt_mean,
    }


def amplitude_spectrum(window: Array, fs: float) -> Spectrum:
    """Hann-windowed spectrum scaled so that a sine's peak equals its amplitude (coherent gain corrected)."""
    x = _checked(window)
    taper = np.hanning(x.size)
    values = np.abs(np.fft.rfft((x - x.mean()) * taper)) * 2 / taper.sum()
    freqs = np.asarray(np.fft.rfftfreq(x.size, 1 / fs), dtype=np.float64)
    return Spectrum(freqs, np.asarray(values, dtype=np.float64))


@functools.lru_cache(maxsize=32)
def _bandpass(low: float, high: float, fs: float) -> Array:
    # Designing the filter costs more than applying it to a window; every window of a rate shares one design.
    return np.asarray(sps.butter(4, (low, high), btype="bandpass", fs=fs, output="sos"), dtype=np.float64)


def envelope_spectrum(window: Array, fs: float, band: tuple[float, float]) -> Spectrum:
    """Band-pass around a resonance, take the Hilbert envelope, and return the spectrum of the envelope:
    periodic impacts at a defect rate appear as lines at that rate and its harmonics."""
    x = _checked(window)
    low, high = band
    if not 0 < low < high < fs / 2:
        raise InputError.for_field("band", f"the band {low:g}-{high:g} Hz must lie inside (0, {fs / 2:g}) Hz")
    filtered = sps.sosfiltfilt(_bandpass(low, high, fs), x - x.mean())
    envelope = np.abs(sps.hilbert(filtered))
    return amplitude_spectrum(envelope, fs)


def peak_near(spectrum: Spectrum, centre_hz: float, tolerance: float = ORDER_TOLERANCE) -> tuple[float, float]:
    """Largest amplitude (and its frequency) within ``centre * (1 +- tolerance)``, widened to +-1 bin."""
    step = float(spectrum.freqs[1] - spectrum.freqs[0])
    half = max(centre_hz * tolerance, step)
    mask = (spectrum.freqs >= centre_hz - half) & (spectrum.freqs <= centre_hz + half)
    if not mask.any():
        return 0.0, centre_hz
    index = int(np.argmax(np.where(mask, spectrum.amplitude, -np.inf)))
    return float(spectrum.amplitude[index]), float(spectrum.freqs[index])


def _defect_targets(orders: DefectOrders) -> dict[str, float]:
    # A ball defect strikes both races once per spin revolution: its line sits at 2 x BSF.
    return {"bpfo": orders.bpfo, "bpfi": orders.bpfi, "bsf2": 2 * orders.bsf, "ftf": orders.ftf, "shaft": 1.0}


def feature_names() -> tuple[str, ...]:
    names: list[str] = list(TIME_NAMES)
    names += [f"spectrum_{int(lo)}_{int(hi)}" for lo, hi in itertools.pairwise(SPECTRUM_EDGES)]
    names += ["spectral_centroid_khz"]
    for low, high in ENVELOPE_BANDS:
        tag = f"env{int(low)}_{int(high)}"
        names += [f"{tag}_{defect}_{h}x" for defect in DEFECTS for h in HARMONICS]
        names += [f"{tag}_bpfi_sidebands", f"{tag}_band_energy_share"]
    return tuple(names)


def minimum_window(fs: float, rpm: float) -> int:
    """Fewest samples that resolve the envelope orders: a few shaft revolutions, and never under MIN_WINDOW."""
    return max(MIN_WINDOW, math.ceil(MIN_REVOLUTIONS * fs * 60 / rpm))


def window_features(window: Array, fs: float, rpm: float, geometry: BearingGeometry) -> Array:
    """One feature vector, in the order of :func:`feature_names`."""
    x = _checked(window)
    if not fs > 0 or not rpm > 0:
        raise InputError.for_field("fs", "the sampling rate and the shaft speed must be positive")
    if x.size < minimum_window(fs, rpm):
        raise InputError.for_field(
            "window", f"{x.size} samples are too few: at least {minimum_window(fs, rpm)} at {fs:g} Hz, {rpm:g} rpm"
        )
    stats = time_statistics(x)
    values: list[float] = [
        math.log10(stats["rms"]),
        stats["kurtosis"],
        stats["skewness"],
        stats["crest_factor"],
        stats["shape_factor"],
        stats["impulse_factor"],
        stats["clearance_factor"],
        stats["peak_to_peak"] / stats["rms"],
    ]
    raw = amplitude_spectrum(x, fs)
    power = raw.amplitude**2
    total = float(power.sum())
    for low, high in itertools.pairwise(SPECTRUM_EDGES):
        values.append(float(power[(raw.freqs >= low) & (raw.freqs < high)].sum()) / total)
    values.append(float((raw.freqs * power).sum()) / total / 1000)

    shaft_hz = rpm / 60
    targets = _defect_targets(defect_orders(geometry))
    for band in ENVELOPE_BANDS:
        values += _envelope_features(x, fs, band, shaft_hz, targets, raw, total)
    return np.asarray(values, dtype=np.float64)


def _envelope_features(
    x: Array,
    fs: float,
    band: tuple[float, float],
    shaft_hz: float,
    targets: dict[str, float],
    raw: Spectrum,
    total: float,
) -> list[float]:
    high = min(band[1], 0.45 * fs)
    env = envelope_spectrum(x, fs, (band[0], high))
    # The reference is the envelope's broadband level up to MAX_ORDER: a line's height over it is gain-free.
    span = (env.freqs > 0.3 * shaft_hz) & (env.freqs <= MAX_ORDER * shaft_hz)
    reference = float(np.mean(env.amplitude[span])) or 1.0
    values: list[float] = []
    for name in DEFECTS:
        for harmonic in HARMONICS:
            amplitude, _ = peak_near(env, harmonic * targets[name] * shaft_hz)
            values.append(amplitude / reference)
    # An inner-race defect turns with the shaft, so its lines carry sidebands at BPFI +- 1x.
    bpfi = targets["bpfi"] * shaft_hz
    sidebands = peak_near(env, bpfi - shaft_hz)[0] + peak_near(env, bpfi + shaft_hz)[0]
    values.append(sidebands / (2 * reference))
    in_band = (raw.freqs >= band[0]) & (raw.freqs < high)
    values.append(float((raw.amplitude[in_band] ** 2).sum()) / total)
    return values


@dataclass(frozen=True, slots=True)
class DefectLine:
    """A defect's envelope line: where it was found and how high it stands over the broadband level."""

    defect: str  # bpfo, bpfi or bsf2 (ball impacts come at 2 x BSF)
    order: float
    frequency_hz: float
    amplitude_ratio: float


def defect_lines(window: Array, fs: float, rpm: float, geometry: BearingGeometry) -> dict[str, DefectLine]:
    """The BPFO, BPFI and 2 x BSF lines of one window, each from the envelope band where it stands highest.
    Used as the evidence a diagnosis shows; the classifier itself reads every feature."""
    x = _checked(window)
    shaft_hz = rpm / 60
    targets = _defect_targets(defect_orders(geometry))
    lines: dict[str, DefectLine] = {}
    for low, high in ENVELOPE_BANDS:
        env = envelope_spectrum(x, fs, (low, min(high, 0.45 * fs)))
        span = (env.freqs > 0.3 * shaft_hz) & (env.freqs <= MAX_ORDER * shaft_hz)
        reference = float(np.mean(env.amplitude[span])) or 1.0
        for name in ("bpfo", "bpfi", "bsf2"):
            amplitude, found_hz = peak_near(env, targets[name] * shaft_hz)
            if name not in lines or amplitude / reference > lines[name].amplitude_ratio:
                lines[name] = DefectLine(name, found_hz / shaft_hz, found_hz, amplitude / reference)
    return lines
