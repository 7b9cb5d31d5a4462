"""Time statistics and spectra of signals whose answers are known by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from zhizao.errors import InputError
from zhizao.maintenance.vibration.features import (
    amplitude_spectrum,
    envelope_spectrum,
    feature_names,
    minimum_window,
    peak_near,
    time_statistics,
    window_features,
)
from zhizao.maintenance.vibration.geometry import SKF_6205

FS = 12000.0


def sine(amplitude: float, hz: float, seconds: float = 1.0) -> np.ndarray:
    t = np.arange(int(FS * seconds)) / FS
    return amplitude * np.sin(2 * np.pi * hz * t)


def test_statistics_of_a_sine() -> None:
    # A whole number of periods: RMS = A/sqrt(2), peak = A, crest = sqrt(2), kurtosis 3/2, skewness 0,
    # shape factor = (A/sqrt 2) / (2A/pi) = pi / (2 sqrt 2).
    stats = time_statistics(sine(2.0, 50.0))
    assert stats["rms"] == pytest.approx(2 / math.sqrt(2), rel=1e-6)
    assert stats["peak"] == pytest.approx(2.0, rel=1e-6)
    assert stats["crest_factor"] == pytest.approx(math.sqrt(2), rel=1e-5)
    assert stats["kurtosis"] == pytest.approx(1.5, rel=1e-5)
    assert stats["skewness"] == pytest.approx(0.0, abs=1e-9)
    # Sampled at 240 points a period, mean |sin| is off the integral by ~6e-5.
    assert stats["shape_factor"] == pytest.approx(math.pi / (2 * math.sqrt(2)), rel=1e-4)


def test_gaussian_noise_has_kurtosis_three() -> None:
    noise = np.random.default_rng(1).standard_normal(200_000)
    assert time_statistics(noise)["kurtosis"] == pytest.approx(3.0, abs=0.05)


def test_an_offset_changes_rms_but_not_std() -> None:
    stats = time_statistics(np.array([1.0, 3.0] * 8))  # mean 2, deviations +-1
    assert stats["std"] == pytest.approx(1.0)
    assert stats["rms"] == pytest.approx(math.sqrt(5.0))


@pytest.mark.parametrize(
    ("values", "message"),
    [(np.full(64, 0.3), "constant"), (np.array([1.0, np.nan] * 16), "missing"), (np.ones((4, 16)), "one-dimensional")],
)
def test_bad_signals_are_refused(values: np.ndarray, message: str) -> None:
    with pytest.raises(InputError, match=message):
        time_statistics(values)


def test_amplitude_spectrum_shows_a_sine_at_its_amplitude() -> None:
    spectrum = amplitude_spectrum(sine(0.7, 375.0), FS)  # 375 Hz falls on a bin of a 1 s window
    amplitude, hz = peak_near(spectrum, 375.0)
    assert hz == pytest.approx(375.0)
    assert amplitude == pytest.approx(0.7, rel=1e-3)


def test_envelope_spectrum_recovers_the_modulation_rate() -> None:
    # A 3 kHz carrier with 50 % amplitude modulation at 107 Hz (BPFO at 1797 rpm): the envelope is
    # 1 + 0.5 cos(2 pi 107 t), so its spectrum shows one line of height 0.5 at 107 Hz and nothing at the carrier.
    t = np.arange(int(FS)) / FS
    signal = (1 + 0.5 * np.cos(2 * np.pi * 107.0 * t)) * np.cos(2 * np.pi * 3000.0 * t)
    env = envelope_spectrum(signal, FS, (2000.0, 4000.0))
    interior = (env.freqs > 20) & (env.freqs < 1000)
    assert env.freqs[interior][np.argmax(env.amplitude[interior])] == pytest.approx(107.0, abs=1.0)
    assert peak_near(env, 107.0)[0] == pytest.approx(0.5, rel=0.03)
    assert peak_near(env, 214.0)[0] < 0.02


def test_envelope_band_must_fit_under_nyquist() -> None:
    with pytest.raises(InputError, match="band"):
        envelope_spectrum(sine(1.0, 50.0), FS, (2000.0, 7000.0))


def test_window_features_have_one_value_per_name() -> None:
    window = sine(1.0, 30.0, 0.5)[:4096] + np.random.default_rng(0).normal(0, 0.1, 4096)
    values = window_features(window, FS, 1797, SKF_6205)
    assert values.shape == (len(feature_names()),)
    assert np.all(np.isfinite(values))


def test_gain_does_not_change_the_spectral_features() -> None:
    window = np.random.default_rng(2).standard_normal(4096)
    names = feature_names()
    low = window_features(window, FS, 1797, SKF_6205)
    high = window_features(window * 10, FS, 1797, SKF_6205)
    # Only the RMS level moves (by log10(10) = 1); every ratio stays.
    assert high[names.index("rms_log10")] - low[names.index("rms_log10")] == pytest.approx(1.0)
    others = [i for i, name in enumerate(names) if name != "rms_log10"]
    np.testing.assert_allclose(high[others], low[others], rtol=1e-9, atol=1e-12)


def test_too_short_windows_are_refused() -> None:
    assert minimum_window(FS, 1797) == math.ceil(4 * FS * 60 / 1797)  # four revolutions: 1603 samples
    with pytest.raises(InputError, match="too few"):
        window_features(np.random.default_rng(0).standard_normal(1200), FS, 1797, SKF_6205)
