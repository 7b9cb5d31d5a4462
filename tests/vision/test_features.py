"""Texture features (vision/features.py) and the detector's window statistics (vision/detect.py) against values
worked out by hand on tiny made-up images; the arithmetic is in the comments.

The private feature families are tested one by one; the first test checks that ``extract`` is exactly those
families, in this order, so the hand-checked values are the ones a trained model sees.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.typing import NDArray

from zhizao.vision import detect, detect_prior, features

Array = NDArray[np.float64]


def standardised(pixels: Array) -> Array:
    """What ``extract`` hands every family but the moments: zero mean, unit spread."""
    return np.asarray((pixels - pixels.mean()) / pixels.std(), dtype=np.float64)


def checkerboard(size: int, cell: int) -> Array:
    """±1 in squares of ``cell`` pixels, +1 in the top-left corner."""
    index = np.arange(size) // cell
    return np.where((index[:, None] + index[None, :]) % 2 == 0, 1.0, -1.0)


# --- the vector's layout -----------------------------------------------------------------------------------------


def test_extract_is_the_families_in_order() -> None:
    rng = np.random.default_rng(7)
    pixels = rng.uniform(0.2, 0.8, (32, 40))
    standard = standardised(pixels)
    parts = [
        features._moments(pixels, standard),
        features._lbp(standard),
        features._glcm(standard),
        features._gradients(standard),
        features._gabor(standard),
        features._haar(standard),
        features._spectrum(standard),
        features._blobs(standard),
    ]
    # 44 moments, 4 radii × (10 + 59) LBP bins, 5 distances × 48 GLCM values, 3 scales × 32 gradient values,
    # 360 Gabor values, 4 levels × 3 bands × 3 Haar values, 12 + 8 + 8 spectrum values, 2 × 3 × 2 × 4 blob values.
    assert [len(part) for part in parts] == [44, 276, 240, 96, 360, 36, 28, 48]
    vector = features.extract(pixels.astype(np.float32))
    assert vector.shape == (features.feature_count(),) == (1128,)
    np.testing.assert_allclose(vector, np.concatenate(parts).astype(np.float32), rtol=1e-5, atol=1e-6)


# --- grey-level moments ------------------------------------------------------------------------------------------


def test_moments_of_a_quarter_bright_image() -> None:
    # 16 × 16, the top 4 rows 1 and the rest 0: a share p = 1/4 is bright.
    pixels = np.zeros((16, 16))
    pixels[:4] = 1.0
    vector = features.extract(pixels.astype(np.float32))
    # mean = p = 1/4; std = √(p(1 − p)) = √3/4.
    # Standardised, a bright pixel is (1 − 1/4)/(√3/4) = √3 and a dark one (0 − 1/4)/(√3/4) = −1/√3, so
    # skewness = mean(z³) = (1/4)·3√3 + (3/4)·(−1/(3√3)) = 3√3/4 − 1/(4√3) = 2/√3,
    # kurtosis = mean(z⁴) = (1/4)·9 + (3/4)·(1/9) = 7/3 (the Bernoulli values (1 − 2p)/σ and (1 − 3pq)/pq).
    # Mean |row-to-row step|: 15 steps per column, one of them (row 3 → 4) of 1 → 1/15.
    expected = [1 / 4, math.sqrt(3) / 4, 2 / math.sqrt(3), 7 / 3, 1 / 15]
    np.testing.assert_allclose(vector[:5], expected, rtol=1e-6)


def test_moment_percentiles_and_histograms() -> None:
    # 4 × 4, 12 zeros and 4 ones (the top row). Percentiles interpolate between sorted values at position q·15:
    # 1 % → 0.15, 5 % → 0.75, 25 % → 3.75, 50 % → 7.5 all fall among the zeros (positions 0–11); 75 % → 11.25 is a
    # quarter of the way from the last 0 to the first 1 → 0.25; 95 % → 14.25 and 99 % → 14.85 are among the ones.
    pixels = np.zeros((4, 4))
    pixels[0] = 1.0
    moments = features._moments(pixels, standardised(pixels))
    np.testing.assert_allclose(moments[5:12], [0, 0, 0, 0, 0.25, 1, 1])
    # Raw histogram: 16 bins of grey level; 0 → bin 0, 1 × 16 = 16 clipped into the last bin 15.
    raw = np.zeros(16)
    raw[0], raw[15] = 12 / 16, 4 / 16
    np.testing.assert_allclose(moments[12:28], raw)
    # Standardised histogram: 16 bins of 0.5 over [−4, 4]. −1/√3 ≈ −0.577 lies in [−1, −0.5) = bin 6; √3 ≈ 1.732 in
    # [1.5, 2) = bin 11.
    standard = np.zeros(16)
    standard[6], standard[11] = 12 / 16, 4 / 16
    np.testing.assert_allclose(moments[28:44], standard)


# --- local binary patterns ---------------------------------------------------------------------------------------


def test_lbp_tables() -> None:
    rotation_invariant, oriented = features._lbp_tables()
    # Rotation-invariant uniform bin: the number of set bits when the circle has at most two 0/1 transitions, else 9.
    assert rotation_invariant[0b00000000] == 0
    assert rotation_invariant[0b11111111] == 8
    assert rotation_invariant[0b10000011] == 3  # bits 7, 0, 1: one run of three
    assert rotation_invariant[0b00000101] == 9  # bits 0 and 2: four transitions, not uniform
    # Oriented bins number the 58 uniform codes in increasing order; every other code shares bin 58.
    assert int(oriented.max()) == 58
    assert int((oriented < 58).sum()) == 58  # 2 constant codes + 8 × 7 runs
    assert [int(oriented[code]) for code in range(8)] == [0, 1, 2, 3, 4, 58, 5, 6]  # 5 = 0b101 is not uniform


def lbp_blocks(histograms: Array) -> list[tuple[Array, Array]]:
    """Per radius (1, 2, 3, 5): the rotation-invariant (10) and oriented (59) histograms."""
    return [(histograms[start : start + 10], histograms[start + 10 : start + 69]) for start in range(0, 276, 69)]


def test_lbp_of_a_single_bright_pixel() -> None:
    # 16 × 16 of 0 with a 1 at (8, 8). A code's bit p is set when the neighbour sampled at angle 45°·p (bilinear) is
    # at least 0.001 above the centre: flat ground gives code 0, and so does the bright pixel (all its neighbours are
    # lower; its 45° samples hold 0.086 of itself, still below 1).
    image = np.zeros((16, 16))
    image[8, 8] = 1.0
    blocks = lbp_blocks(features._lbp(image))
    _, oriented_tables = features._lbp_tables()

    # Radius 1 (margin 2: 12 × 12 = 144 centres). The samples at 0°, 90°, … are the 4 side neighbours; a sample at
    # 45° mixes the 2 × 2 cells (−1, 0), (−1, 1), (0, 0), (0, 1). The pixel left of the bright one sees it at 315°,
    # 0° and 45° → bits 7, 0, 1 → a run of 3 (bin 3); the same for the pixels above, right and below it. A diagonal
    # neighbour sees it only in one 45° sample → one bit (bin 1). The other 136 centres have code 0.
    rotation_invariant, oriented = blocks[0]
    expected = np.zeros(10)
    expected[0], expected[1], expected[3] = 136 / 144, 4 / 144, 4 / 144
    np.testing.assert_allclose(rotation_invariant, expected)
    # Oriented: the four runs of three (bits 7,0,1 / 1,2,3 / 3,4,5 / 5,6,7) and the four single diagonal bits are
    # eight different codes, each once.
    codes = [0b10000011, 0b00001110, 0b00111000, 0b11100000, 0b10, 0b1000, 0b100000, 0b10000000]
    for code in codes:
        assert oriented[oriented_tables[code]] == pytest.approx(1 / 144)
    assert oriented[0] == pytest.approx(136 / 144)

    # Radius 2 (margin 3: 10 × 10 = 100 centres). Side samples sit 2 pixels away on one cell; a 45° sample at
    # (−1.41, 1.41) mixes the cells (−2, 1), (−2, 2), (−1, 1), (−1, 2). The 8 footprints are disjoint and cover
    # 4 + 4 × 4 = 20 cells, so 20 centres see the bright pixel in exactly one sample: bin 1.
    rotation_invariant, _ = blocks[1]
    expected = np.zeros(10)
    expected[0], expected[1] = 80 / 100, 20 / 100
    np.testing.assert_allclose(rotation_invariant, expected)


def test_lbp_of_a_vertical_edge() -> None:
    # 16 × 16: columns 0–7 are 0, columns 8–15 are 1. Only a dark centre can have a brighter neighbour.
    image = np.zeros((16, 16))
    image[:, 8:] = 1.0
    blocks = lbp_blocks(features._lbp(image))
    # Radius 1 (12 × 12 centres): column 7 sees bright at 315°, 0° and 45° → bits 7, 0, 1 → bin 3; 12 of 144.
    expected = np.zeros(10)
    expected[0], expected[3] = 132 / 144, 12 / 144
    np.testing.assert_allclose(blocks[0][0], expected)
    # Radius 2 (10 × 10 centres): column 7 (bright 1 pixel away) and column 6 (2 away: the 0° sample lands on
    # column 8, the 45° and 315° samples put weight 0.41 on it) both get bits 7, 0, 1 → bin 3; 20 of 100.
    expected = np.zeros(10)
    expected[0], expected[3] = 80 / 100, 20 / 100
    np.testing.assert_allclose(blocks[1][0], expected)
    # Every histogram is a share of the centres.
    for rotation_invariant, oriented in blocks:
        assert rotation_invariant.sum() == pytest.approx(1.0)
        assert oriented.sum() == pytest.approx(1.0)


def test_detector_lbp_uses_nearest_pixels_and_no_margin() -> None:
    # detect_prior.lbp_histogram: neighbour ≥ centre sets a bit (no 0.001 margin), so flat ground is all ones (bin 8).
    # 7 × 7 of 1 with a 0 at (3, 3), radius 1: 5 × 5 = 25 centres. The dark pixel: all 8 neighbours ≥ it → bin 8.
    # Its 8 neighbours: one neighbour (the dark one) is lower → 7 set bits in one run → bin 7. The other 16 → bin 8.
    image = np.ones((7, 7))
    image[3, 3] = 0.0
    expected = np.zeros(10)
    expected[7], expected[8] = 8 / 25, 17 / 25
    np.testing.assert_allclose(detect_prior.lbp_histogram(image, 1), expected)
    # Vertical edge, 0 left of column 4, 1 from it: 5 × 5 centres. Column 4 (bright, beside the edge) has its three
    # left neighbours (offsets 3, 4, 5) lower → bits 6, 7, 0, 1, 2 set → 5 in one run → bin 5; all else bin 8.
    edge = np.zeros((7, 7))
    edge[:, 4:] = 1.0
    expected = np.zeros(10)
    expected[5], expected[8] = 5 / 25, 20 / 25
    np.testing.assert_allclose(detect_prior.lbp_histogram(edge, 1), expected)


# --- grey-level co-occurrence ------------------------------------------------------------------------------------


def test_glcm_of_a_two_level_edge() -> None:
    # 16 × 16, left half −1, right half +1. Rank quantisation into 16 levels: the 15 inner quantiles of 128 lows
    # and 128 highs are −1 (q = 1/16 … 7/16), 0 (q = 1/2, halfway between the 127th and 128th value) and +1
    # (q = 9/16 … 15/16); searchsorted(side="right") puts −1 above 7 edges → level 7, +1 above all 15 → level 15.
    # So the two grey levels are 7 and 15: a difference of 8.
    image = np.where(np.arange(16)[None, :] < 8, -1.0, 1.0) * np.ones((16, 1))
    stats = features._glcm(image)
    # Offset (0, 1), distance 1: per row 15 pairs — 7 (7, 7), 1 (7, 15), 7 (15, 15). Counts plus their transpose,
    # 30 per row: p(7,7) = p(15,15) = 14/30 = 7/15, p(7,15) = p(15,7) = 1/30.
    p_same, p_cross = 7 / 15, 1 / 30
    contrast = 64 * 2 * p_cross  # 8² × 1/15 = 64/15
    dissimilarity = 8 * 2 * p_cross  # 8/15
    homogeneity = 2 * p_same + 2 * p_cross / (1 + 64)  # 14/15 + 1/975
    energy = 2 * p_same**2 + 2 * p_cross**2  # angular second moment, 197/450
    entropy = -(2 * p_same * math.log(p_same) + 2 * p_cross * math.log(p_cross))
    # Marginal mean (7 + 15)/2 = 11, variance 4² = 16; covariance 2·(7/15)·16 − 2·(1/30)·16 = 16·13/15 → 13/15.
    correlation = 13 / 15
    # Cluster shade: (i + j − 22)³ is −512 at (7, 7), +512 at (15, 15), 0 across → 0; prominence 2·(7/15)·8⁴/10⁴.
    shade, prominence = 0.0, 2 * p_same * 8**4 / 1e4
    horizontal = [contrast, dissimilarity, homogeneity, energy, entropy, correlation, shade, prominence]
    np.testing.assert_allclose(stats[0:8], horizontal, atol=1e-12)
    assert energy == pytest.approx(197 / 450)
    # 45° (1, 1) and 135° (1, −1) pair each pixel with one a column over, as (0, 1) does: the same statistics.
    np.testing.assert_allclose(stats[8:16], horizontal, atol=1e-12)
    np.testing.assert_allclose(stats[24:32], horizontal, atol=1e-12)
    # 90° (1, 0) pairs pixels in one column: p(7,7) = p(15,15) = 1/2 → contrast 0, homogeneity 1, energy 1/2,
    # entropy ln 2, correlation 1 (covariance 16 / variance 16), shade 0, prominence 8⁴/10⁴.
    vertical = [0, 0, 1, 0.5, math.log(2), 1, 0, 8**4 / 1e4]
    np.testing.assert_allclose(stats[16:24], vertical, atol=1e-12)
    # Then the mean over the four angles and their range (max − min): contrast 3/4·64/15 = 16/5, range 64/15.
    assert stats[32] == pytest.approx(16 / 5)
    assert stats[40] == pytest.approx(64 / 15)
    # Distance 2 (the next 48 values) at (0, 1): per row 14 pairs, 2 of them across → p across = 4/28; contrast 64/7.
    assert stats[48] == pytest.approx(64 * 4 / 28)


def test_glcm_rank_levels_put_ties_at_the_top_of_their_range() -> None:
    # 16 × 16, columns 0–3 at −1 (a quarter of the pixels), 4–7 at 0 (a quarter), 8–15 at 1 (half). Quantile k/16
    # sits at sorted position 15.94k: k = 1–3 among the −1s (positions 0–63), k = 4 (63.75) between −1 and 0, k = 5–7
    # among the 0s (64–127), k = 8 (127.5) between 0 and 1, k = 9–15 among the 1s. searchsorted(side="right") counts
    # the edges ≤ each value: −1 → 3, 0 → 3 + 1 + 3 = 7, 1 → 15. Levels 3, 7, 15: steps of 4 and 8.
    image = np.repeat(np.array([[-1.0] * 4 + [0.0] * 4 + [1.0] * 8]), 16, axis=0)
    stats = features._glcm(image)
    # Offset (0, 1), per row 15 pairs: (3,3) ×3, (3,7) ×1, (7,7) ×3, (7,15) ×1, (15,15) ×7; symmetrised over 30:
    # p(3,3) = p(7,7) = 6/30, p(15,15) = 14/30, p(3,7) = p(7,3) = p(7,15) = p(15,7) = 1/30.
    contrast = (2 * 16 + 2 * 64) / 30  # 16/3
    dissimilarity = (2 * 4 + 2 * 8) / 30  # 4/5
    homogeneity = 26 / 30 + 2 / 30 / 17 + 2 / 30 / 65
    energy = (6**2 + 6**2 + 14**2 + 4) / 900  # 68/225
    # Marginals 7/30, 8/30, 15/30 at levels 3, 7, 15: mean 302/30 = 151/15; E[i²] = 3830/30, E[ij] = 3750/30 = 125.
    # variance 3830/30 − (151/15)² = 5924/225, covariance 125 − (151/15)² = 5324/225 → correlation 1331/1481.
    np.testing.assert_allclose(stats[[0, 1, 2, 3, 5]], [contrast, dissimilarity, homogeneity, energy, 1331 / 1481])
    assert contrast == pytest.approx(16 / 3)


# --- gradient orientations ---------------------------------------------------------------------------------------


def gradient_blocks(values: Array) -> list[Array]:
    """Per scale (σ = 1, 2, 4): 12 histogram bins, 12 sorted, 4 magnitude, 3 coherence statistics, 1 coherence."""
    return [values[start : start + 32] for start in range(0, 96, 32)]


def test_a_horizontal_ramp_has_all_its_gradient_in_one_bin() -> None:
    # Grey level rising along x: gy = 0 everywhere (a Gaussian derivative across constant columns) and gx > 0
    # (reflection at the borders flattens the ramp but never turns it), so every pixel's orientation is 0 → bin 0,
    # a decreasing ramp too (orientation is modulo 180°), and a ramp along y is at 90° → bin 6 of 12.
    ramp = standardised(np.tile(np.arange(24.0), (20, 1)))
    one_hot = np.eye(12)
    for image, expected_bin in ((ramp, 0), (-ramp, 0), (ramp.T.copy(), 6)):
        for block in gradient_blocks(features._gradients(image)):
            np.testing.assert_allclose(block[:12], one_hot[expected_bin], atol=1e-12)
            np.testing.assert_allclose(block[12:24], one_hot[0], atol=1e-12)  # sorted: the same for every turn
            # Structure tensor with jxy = jyy = 0: coherence |jxx|/jxx = 1 at every pixel and for the whole image.
            np.testing.assert_allclose(block[28:32], [1, 0, 1, 1], atol=1e-9)
    # Magnitude in the ramp's middle (σ = 1, far from the borders): the derivative of a line is its slope,
    # 1/std(0 … 23) = 1/√((24² − 1)/12).
    slope = 1 / math.sqrt((24**2 - 1) / 12)
    block = gradient_blocks(features._gradients(ramp))[0]
    assert block[26] == pytest.approx(slope, rel=1e-3)  # 90th percentile of the magnitude


# --- Gabor bank --------------------------------------------------------------------------------------------------


def test_a_cosine_at_a_gabor_centre_frequency() -> None:
    # cos(2πx/8) on 32 × 32 (4 whole periods): std 1/√2, standardised amplitude √2. The bank's filters are one-sided
    # Gaussians in the Fourier plane, so the λ = 8, 0° filter passes the +1/8 peak with gain 1 and the −1/8 peak with
    # gain exp(−(2c)²/(2(0.45c)²)) = exp(−9.88) ≈ 5e-5: its response is the analytic signal, magnitude √2/2 everywhere.
    x = np.arange(32.0)
    image = standardised(np.tile(np.cos(2 * np.pi * x / 8), (32, 1)))
    values = features._gabor(image)
    means, spreads = np.expm1(values[:40]).reshape(5, 8), np.expm1(values[40:80]).reshape(5, 8)
    scale = features.GABOR_WAVELENGTHS.index(8.0)
    assert means[scale, 0] == pytest.approx(math.sqrt(2) / 2, rel=1e-4)
    assert spreads[scale, 0] < 1e-3
    assert int(np.argmax(means[scale])) == 0
    # ±22.5° see the two mirror peaks with the same gain: equal responses.
    assert means[scale, 1] == pytest.approx(means[scale, 7], rel=1e-4)


# --- Haar wavelet ------------------------------------------------------------------------------------------------


def haar_bands(values: Array) -> Array:
    """(level, band: vertical/horizontal/diagonal, statistic: mean |·|, std, mean(·⁴)/std⁴)."""
    return values.reshape(4, 3, 3)


def test_haar_of_a_constant_is_zero() -> None:
    # Every detail band of a constant is a − b ± … = 0, and so is every statistic (the 4th moment over max(0, 1e-12)).
    np.testing.assert_array_equal(features._haar(np.full((16, 16), 3.0)), np.zeros(36))


def test_haar_checkerboard_energy_lands_in_the_diagonal_band_of_its_level() -> None:
    # A ±1 checkerboard of 2^(k−1)-pixel squares. Level 1 splits each 2 × 2 block into a b / c d. With 1-pixel squares
    # a = d = s and b = c = −s: vertical (a − b + c − d)/2 = 0, horizontal (a + b − c − d)/2 = 0, diagonal
    # (a − b − c + d)/2 = 2s, approximation (a + b + c + d)/2 = 0 — nothing is left for levels 2–4. With bigger squares
    # each level halves them and doubles the approximation, so a 2^(k−1) square gives |diagonal| = 2^k at level k.
    for level in range(1, 5):
        bands = haar_bands(features._haar(checkerboard(16, 2 ** (level - 1))))
        expected_mean = np.zeros((4, 3))
        expected_mean[level - 1, 2] = 2**level
        np.testing.assert_allclose(bands[:, :, 0], expected_mean)
        np.testing.assert_allclose(bands[:, :, 1], 0.0, atol=1e-12)  # the diagonal band is constant: no spread


def test_haar_band_orientation_and_fourth_moment() -> None:
    # Pixel signs alternating along x only, times a checkerboard of 2 × 2 blocks: in a block a = c = s, b = d = −s,
    # so vertical = (a − b + c − d)/2 = 2s with s = ±1 from block to block, horizontal = diagonal = 0, approximation 0.
    # Vertical band values: half +2, half −2 → mean |·| 2, std 2, mean(·⁴)/std⁴ = 16/16 = 1.
    columns = np.where(np.arange(16) % 2 == 0, 1.0, -1.0)[None, :] * np.ones((16, 1))
    blocks = checkerboard(16, 2)
    for image, band in ((columns * blocks, 0), (columns.T * blocks, 1), (checkerboard(16, 1) * blocks, 2)):
        bands = haar_bands(features._haar(image))
        expected = np.zeros((4, 3, 3))
        expected[0, band] = [2, 2, 1]
        np.testing.assert_allclose(bands, expected, atol=1e-12)


# --- power spectrum ----------------------------------------------------------------------------------------------


def test_spectrum_of_a_cosine_is_one_ring_and_one_sector() -> None:
    # cos(2π·3x/32) on 32 × 32: all power at (fy, fx) = (0, ±3/32). Radius 0.09375: log-ring position
    # (log2(0.09375/0.5) + 6)/6 = (−2.415 + 6)/6 = 0.5975 → ring ⌊0.5975 · 12⌋ = 7. Angle 0 (and 180° for −3/32,
    # which modulo 180° is 0) → sector 0. Along y the angle is 90° → sector ⌊0.5 · 8⌋ = 4.
    # cos(2π(4x + 3y)/32): peaks at ±(3/32, 4/32), radius 5/32 → position (log2(0.3125) + 6)/6 = 0.7203 → ring 8;
    # angle atan(3/4) = 36.87° (the mirror peak at −143.13° is the same modulo 180°) → sector ⌊36.87/22.5⌋ = 1.
    y, x = np.mgrid[0:32, 0:32].astype(np.float64)
    along_x = standardised(np.cos(2 * np.pi * 3 * x / 32))
    tilted = standardised(np.cos(2 * np.pi * (4 * x + 3 * y) / 32))
    for image, ring, sector in ((along_x, 7, 0), (along_x.T.copy(), 7, 4), (tilted, 8, 1)):
        values = features._spectrum(image)
        ring_share = np.exp(values[:12]) - 1e-6  # the family stores log(share + 1e-6)
        np.testing.assert_allclose(ring_share, np.eye(12)[ring], atol=1e-9)
        np.testing.assert_allclose(values[12:20], np.eye(8)[sector], atol=1e-12)
        np.testing.assert_allclose(values[20:28], np.eye(8)[0], atol=1e-12)  # sorted, largest first


# --- blobs -------------------------------------------------------------------------------------------------------


def blob_stats(values: Array) -> Array:
    """(field: smoothed/local, threshold 1.5/2/3, dark/bright, statistic: share, log1p count, largest, log1p mean)."""
    return values.reshape(2, 3, 2, 4)


def test_a_dark_square_is_one_dark_blob_and_its_negative_one_bright_blob() -> None:
    # A 6 × 6 square of 0 on 40 × 40 of 1. Smoothed and standardised, only the square lies beyond ±1.5: one dark
    # region (log1p(1) = ln 2), no bright one (share 0, count 0, largest 0, log1p(0)).
    image = np.ones((40, 40))
    image[17:23, 17:23] = 0.0
    dark = blob_stats(features._blobs(standardised(image)))
    smoothed_dark, smoothed_bright = dark[0, 0, 0], dark[0, 0, 1]
    assert smoothed_dark[1] == pytest.approx(math.log(2))
    assert 0 < smoothed_dark[0] == smoothed_dark[2] <= 64 / 1600  # one region: its share is the largest's
    np.testing.assert_array_equal(smoothed_bright, [0, 0, 0, 0])
    # The same square bright on dark: the dark and bright statistics swap.
    bright = blob_stats(features._blobs(standardised(1 - image)))
    np.testing.assert_allclose(bright[:, :, ::-1], dark, atol=1e-12)


# --- the detector's window statistics ----------------------------------------------------------------------------


def test_integral_table_and_window_means() -> None:
    # One channel, 3 × 4:   0  1  2  3
    #                       4  5  6  7
    #                       8  9 10 11      and a second channel of 10 × it.
    values = np.arange(12.0).reshape(3, 4)
    maps = np.stack([values, 10 * values])
    table = detect._integral(maps)
    # table[y, x] is the sum above and left of (y, x): a zero first row and column, then running sums.
    assert table.shape == (2, 4, 5)
    np.testing.assert_array_equal(table[0, 0], 0.0)
    np.testing.assert_array_equal(table[0, :, 0], 0.0)
    np.testing.assert_array_equal(table[0, 1], [0, 0, 1, 3, 6])
    np.testing.assert_array_equal(table[0, 2], [0, 4, 10, 18, 28])  # 0+4, +1+5, +2+6, +3+7
    assert table[0, 3, 4] == 66  # 0 + 1 + … + 11

    def means(*region: float) -> Array:
        x0, y0, x1, y1 = (np.array([value]) for value in region)
        return detect._region_means(table, x0, y0, x1, y1)

    # Columns 1–2, rows 0–1: (1 + 2 + 5 + 6)/4 = 3.5; four look-ups: 18 − 0 − 4 + 0 = 14 over area 4.
    np.testing.assert_allclose(means(1, 0, 3, 2), [[3.5, 35.0]])
    np.testing.assert_allclose(means(0, 0, 4, 3), [[5.5, 55.0]])  # the whole image
    np.testing.assert_allclose(means(3, 2, 4, 3), [[11.0, 110.0]])  # one pixel
    # Corners are rounded to whole pixels (0.6 → 1, 2.6 → 3, 1.6 → 2, 1.4 → 1) and clipped into the image
    # (y0 = −5 → 0, x1 = 9 → 4).
    np.testing.assert_allclose(means(0.6, -5, 2.6, 1.6), [[3.5, 35.0]])
    np.testing.assert_allclose(means(0.6, -5, 2.6, 1.4), [[1.5, 15.0]])  # row 0 only: (1 + 2)/2
    np.testing.assert_allclose(means(2, 0, 9, 1), [[2.5, 25.0]])
    # A window with no area — here one entirely left of the image — is NaN (the window scorer's "missing").
    assert np.isnan(means(-4, 0, -1, 3)).all()


def test_window_features_of_a_square_and_its_surroundings() -> None:
    # A 16 × 16 map, 1 on the 4 × 4 square x, y ∈ [4, 8), with 3-pixel bands beside it: 0.25 left (x ∈ [1, 4)),
    # fading 0.75, 0.5, 0.25 right (x = 8, 9, 10: mean 0.5 over exactly 3 columns), 0.75 above (y ∈ [1, 4)),
    # nothing below; 0 elsewhere. All 14 channels are this map, channel c scaled by c + 1.
    # Image mean g = (16 + 12 · (0.25 + 0.5 + 0.75))/256 = 34/256 per unit of scale.
    square = np.zeros((16, 16))
    square[4:8, 4:8] = 1.0
    square[4:8, 1:4], square[4:8, 8:11], square[1:4, 4:8] = 0.25, [0.75, 0.5, 0.25], 0.75
    scales = np.arange(1.0, detect.CHANNELS + 1)
    maps = scales[:, None, None] * square
    prior = np.array([0.25, 0.75])
    data = detect._ImageData(detect._integral(maps), maps.mean(axis=(1, 2)), 16, 16, prior)
    row = detect._window_features(data, np.array([[4.0, 4.0, 8.0, 8.0]]), class_index=1)[0]
    c = detect.CHANNELS
    block = row[: 10 * c].reshape(10, c) / scales  # per unit of scale
    g = 34 / 256
    # The window is the square. inside − g and middle (the central 2 × 2) − g: 1 − g. Edge strips are max(3, w/4) = 3
    # wide: the strip just inside each edge is all square (1 − g); the strip just outside is the band beside that
    # edge, so the steps across the left, right, top and bottom edges are 1 − 0.25, 1 − 0.5, 1 − 0.75 and 1 − 0.
    expected = [1 - g, 1 - g, 1 - g, 0.75, 1 - g, 0.5, 1 - g, 0.25, 1 - g, 1.0]
    np.testing.assert_allclose(block, np.repeat(np.array(expected)[:, None], c, axis=1))
    # Energy share of channels 4, 7, 10, 12: inside mean × window area / (image mean × image area) = 16/34.
    np.testing.assert_allclose(row[10 * c : 10 * c + 4], 16 / 34, rtol=1e-9)
    # Geometry: x0/W, y0/H, x1/W, y1/H, w/W, h/H, ln(w/h), area share.
    np.testing.assert_allclose(row[10 * c + 4 : 10 * c + 12], [0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.0, 16 / 256])
    # Context: the image means, the class prior, and this class's prior again.
    np.testing.assert_allclose(row[10 * c + 12 :], [*(scales * g), 0.25, 0.75, 0.75])
    # At the image's left edge the strip outside has no pixels: the step across that edge is missing (NaN).
    edge = detect._window_features(data, np.array([[0.0, 4.0, 4.0, 8.0]]), class_index=1)[0]
    assert np.isnan(edge[3 * c : 4 * c]).all()
    assert not np.isnan(np.delete(edge, np.s_[3 * c : 4 * c])).any()


def test_texture_maps_of_a_ramp() -> None:
    # Columns 0 … 15 on 16 rows. Median 7.5; 10th and 90th percentiles of 256 values (each column value 16 times) at
    # positions 25.5 and 229.5 → 1 and 14: spread 13 + 0.001, so norm = (x − 7.5)/13.001 with slope s = 1/13.001.
    ramp = np.tile(np.arange(16.0), (16, 1))
    maps = detect._texture_maps(ramp)
    s = 1 / 13.001
    assert maps.shape == (detect.CHANNELS, 16, 16)
    np.testing.assert_allclose(maps[0], (ramp - 7.5) * s)
    np.testing.assert_allclose(maps[1], ((ramp - 7.5) * s) ** 2)
    # |gy| = 0: a Sobel filter across constant columns.
    np.testing.assert_allclose(maps[3], 0.0, atol=1e-12)
    # |gx| away from the borders (σ = 1 smoothing reaches 4 pixels, Sobel 1 more: columns 5–10): the smoothed ramp
    # is the ramp, and Sobel's (−1, 0, 1) difference gives 2s, times its (1, 2, 1) smoothing's sum of 4 → 8s.
    np.testing.assert_allclose(maps[2][:, 5:11], 8 * s, rtol=1e-6)
    # Local standard deviation over 7 × 7 (columns 3–12): a ramp's 7 values x − 3 … x + 3 have spread s·√(28/7) = 2s.
    np.testing.assert_allclose(maps[4][:, 3:13], 2 * s, rtol=1e-6)
    # Speckle |norm − 5 × 5 median| (columns 2–13): the median of a ramp's window is its centre → 0.
    np.testing.assert_allclose(maps[12][:, 2:14], 0.0, atol=1e-12)
    # A constant image has nothing: every map is 0.
    np.testing.assert_array_equal(detect._texture_maps(np.full((16, 16), 0.4)), 0.0)


def test_candidate_windows_and_box_overlap() -> None:
    # One shape, half the image each way, on 8 × 8 with 4 grid steps: stride 2, width 4, positions 0, 2, 4 (the last
    # flush with the far edge) → 3 × 3 windows.
    windows = detect._windows(np.array([[0.5, 0.5]]), 8, 8, 4)
    starts = [(x, y) for y in (0, 2, 4) for x in (0, 2, 4)]
    np.testing.assert_array_equal(windows, [[x, y, x + 4, y + 4] for x, y in starts])
    # IoU: (0, 0, 4, 4) and (2, 0, 6, 4) share 2 × 4 = 8 of 16 + 16 − 8 = 24 → 1/3; (2, 2, 6, 6): 4 of 28 → 1/7.
    iou = detect._iou_matrix(windows[:1], windows)
    assert iou[0, 0] == 1.0
    assert iou[0, 1] == pytest.approx(1 / 3)
    assert iou[0, 4] == pytest.approx(1 / 7)
    assert iou[0, 2] == 0.0  # (4, 0, 8, 4) only touches
    # Suppression at IoU > 0.4: the best (index 4, centre) first; 1/3 and 1/7 overlaps with it survive.
    scores = np.linspace(0.1, 0.9, 9)
    scores[4] = 1.0
    kept = detect._nms(windows, scores, 0.4, keep=20)
    assert kept[0] == 4
    assert sorted(kept.tolist()) == list(range(9))
    # Two identical windows: the lower-scored copy goes.
    twice = np.array([[0.0, 0.0, 4.0, 4.0], [0.0, 0.0, 4.0, 4.0]])
    assert detect._nms(twice, np.array([0.3, 0.8]), 0.4, keep=20).tolist() == [1]
