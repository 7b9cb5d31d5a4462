"""Hand-made texture features of one grey image: a fixed-length vector that does not depend on the image's size.

The families, each chosen because surface-defect classes differ in it (NEU's six classes, for example):

- grey-level moments and histograms (raw and standardised): patches are darker, inclusions have dark specks;
- uniform local binary patterns at radii 1, 2, 3 and 5 (rotation-invariant and oriented histograms): micro-texture;
- grey-level co-occurrence statistics at distances 1–8 in four directions, on rank-quantised grey levels;
- gradient-orientation histograms at three scales, with structure-tensor coherence: scratches and rolled-in scale
  are oriented, crazing is a network;
- a Gabor filter bank (5 scales × 8 orientations): the mean and spread of each response's magnitude, and a second
  layer (the Gabor energy of each first-layer magnitude map, as a wavelet scattering transform does) that sees how
  the texture's energy is itself arranged;
- Haar wavelet band statistics over four levels;
- the power spectrum summed in rings (scale) and sectors (direction);
- blobs: dark and bright regions beyond 1.5–3 standard deviations — their share, count and largest size.

Everything is numpy/scipy, vectorised, deterministic; filters depend only on the image's shape and are cached.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from scipy import fft, ndimage

from zhizao.vision.types import GreyImage

FloatArray = NDArray[np.float64]

LBP_RADII = (1.0, 2.0, 3.0, 5.0)
LBP_POINTS = 8
GLCM_LEVELS = 16
GLCM_DISTANCES = (1, 2, 3, 5, 8)
GLCM_ANGLES = ((0, 1), (1, 1), (1, 0), (1, -1))  # (dy, dx): 0°, 45°, 90°, 135°
GRADIENT_SIGMAS = (1.0, 2.0, 4.0)
ORIENTATION_BINS = 12
GABOR_WAVELENGTHS = (3.0, 5.0, 8.0, 13.0, 21.0)  # pixels per period
GABOR_ORIENTATIONS = 8
SECOND_LAYER_WAVELENGTHS = (8.0, 21.0)  # the coarser scales, applied to first-layer magnitude maps
HAAR_LEVELS = 4
SPECTRUM_RINGS = 12
SPECTRUM_SECTORS = 8
BLOB_THRESHOLDS = (1.5, 2.0, 3.0)


def extract(image: GreyImage) -> NDArray[np.float32]:
    """The feature vector of one image (float32, the same length for every image)."""
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.ndim != 2 or min(pixels.shape) < 16:
        raise ValueError("a grey image of at least 16 × 16 pixels")
    spread = pixels.std()
    standard = (pixels - pixels.mean()) / (spread if spread > 1e-6 else 1.0)  # contrast-free texture
    parts = [
        _moments(pixels, standard),
        _lbp(standard),
        _glcm(standard),
        _gradients(standard),
        _gabor(standard),
        _haar(standard),
        _spectrum(standard),
        _blobs(standard),
    ]
    vector = np.concatenate(parts).astype(np.float32)
    return np.nan_to_num(vector, nan=0.0, posinf=0.0, neginf=0.0)


def extract_many(images: list[GreyImage] | tuple[GreyImage, ...]) -> NDArray[np.float32]:
    """One row of features per image."""
    return np.stack([extract(image) for image in images])


@lru_cache(maxsize=1)
def feature_count() -> int:
    return int(extract(np.linspace(0, 1, 32 * 32, dtype=np.float32).reshape(32, 32)).shape[0])


# --- grey levels -----------------------------------------------------------------------------------------------


def _moments(pixels: FloatArray, standard: FloatArray) -> FloatArray:
    flat = standard.ravel()
    percentiles = np.percentile(pixels, (1, 5, 25, 50, 75, 95, 99))
    raw_histogram = np.bincount(np.clip((pixels * 16).astype(np.int64), 0, 15).ravel(), minlength=16) / pixels.size
    standard_histogram = np.histogram(np.clip(flat, -3.999, 3.999), bins=16, range=(-4, 4))[0] / flat.size
    return np.concatenate(
        [
            [pixels.mean(), pixels.std(), np.mean(flat**3), np.mean(flat**4), np.abs(np.diff(pixels, axis=0)).mean()],
            percentiles,
            raw_histogram,
            standard_histogram,
        ]
    )


# --- local binary patterns -------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _lbp_tables() -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """For each 8-bit code: its rotation-invariant uniform bin (0–9) and its oriented uniform bin (0–58)."""
    codes = np.arange(256)
    bits = (codes[:, None] >> np.arange(LBP_POINTS)) & 1
    transitions = np.sum(bits != np.roll(bits, 1, axis=1), axis=1)
    ones = bits.sum(axis=1)
    rotation_invariant = np.where(transitions <= 2, ones, LBP_POINTS + 1)
    uniform_codes = codes[transitions <= 2]
    oriented = np.full(256, len(uniform_codes), dtype=np.int64)
    oriented[uniform_codes] = np.arange(len(uniform_codes))
    return rotation_invariant.astype(np.int64), oriented


def _shifted(image: FloatArray, dy: float, dx: float, margin: int) -> FloatArray:
    """``image`` sampled at (y + dy, x + dx) by bilinear interpolation, over the interior ``margin`` pixels in."""
    height, width = image.shape
    y0, x0 = int(np.floor(dy)), int(np.floor(dx))
    fy, fx = dy - y0, dx - x0

    def window(oy: int, ox: int) -> FloatArray:
        return image[margin + oy : height - margin + oy, margin + ox : width - margin + ox]

    return (
        (1 - fy) * (1 - fx) * window(y0, x0)
        + (1 - fy) * fx * window(y0, x0 + 1)
        + fy * (1 - fx) * window(y0 + 1, x0)
        + fy * fx * window(y0 + 1, x0 + 1)
    )


def _lbp(standard: FloatArray) -> FloatArray:
    rotation_invariant, oriented = _lbp_tables()
    histograms: list[FloatArray] = []
    for radius in LBP_RADII:
        margin = int(np.ceil(radius)) + 1
        centre = standard[margin:-margin, margin:-margin]
        codes = np.zeros(centre.shape, dtype=np.int64)
        for point in range(LBP_POINTS):
            angle = 2 * np.pi * point / LBP_POINTS
            neighbour = _shifted(standard, -radius * np.sin(angle), radius * np.cos(angle), margin)
            codes |= (neighbour >= centre + 1e-3).astype(np.int64) << point  # small margin: flat areas stay 0
        total = codes.size
        histograms.append(np.bincount(rotation_invariant[codes].ravel(), minlength=LBP_POINTS + 2) / total)
        histograms.append(np.bincount(oriented[codes].ravel(), minlength=59) / total)
    return np.concatenate(histograms)


# --- co-occurrence ---------------------------------------------------------------------------------------------


def _glcm(standard: FloatArray) -> FloatArray:
    # Rank quantisation: each level holds about the same number of pixels, whatever the image's contrast.
    edges = np.quantile(standard, np.linspace(0, 1, GLCM_LEVELS + 1)[1:-1])
    levels = np.searchsorted(edges, standard, side="right").astype(np.int64)
    height, width = levels.shape
    i, j = np.meshgrid(np.arange(GLCM_LEVELS), np.arange(GLCM_LEVELS), indexing="ij")
    stats: list[FloatArray] = []
    for distance in GLCM_DISTANCES:
        per_angle: list[FloatArray] = []
        for uy, ux in GLCM_ANGLES:
            dy, dx = uy * distance, ux * distance
            a = levels[max(0, -dy) : height - max(0, dy), max(0, -dx) : width - max(0, dx)]
            b = levels[max(0, dy) : height + min(0, dy) or None, max(0, dx) : width + min(0, dx) or None]
            counts = np.bincount((a * GLCM_LEVELS + b).ravel(), minlength=GLCM_LEVELS**2).reshape(GLCM_LEVELS, -1)
            p = counts + counts.T
            p = p / p.sum()
            mean_i = (i * p).sum()
            var_i = ((i - mean_i) ** 2 * p).sum()
            difference = np.abs(i - j)
            per_angle.append(
                np.array(
                    [
                        (difference**2 * p).sum(),  # contrast
                        (difference * p).sum(),  # dissimilarity
                        (p / (1 + difference**2)).sum(),  # homogeneity
                        (p**2).sum(),  # angular second moment
                        -(p[p > 0] * np.log(p[p > 0])).sum(),  # entropy
                        ((i - mean_i) * (j - mean_i) * p).sum() / var_i if var_i > 0 else 1.0,  # correlation
                        ((i + j - 2 * mean_i) ** 3 * p).sum() / 1e3,  # cluster shade
                        ((i + j - 2 * mean_i) ** 4 * p).sum() / 1e4,  # cluster prominence
                    ]
                )
            )
        angles = np.stack(per_angle)
        stats.extend([angles.ravel(), angles.mean(axis=0), angles.max(axis=0) - angles.min(axis=0)])
    return np.concatenate(stats)


# --- gradients -------------------------------------------------------------------------------------------------


def _gradients(standard: FloatArray) -> FloatArray:
    parts: list[FloatArray] = []
    for sigma in GRADIENT_SIGMAS:
        gy = ndimage.gaussian_filter(standard, sigma, order=(1, 0), mode="reflect")
        gx = ndimage.gaussian_filter(standard, sigma, order=(0, 1), mode="reflect")
        magnitude = np.hypot(gx, gy)
        orientation = np.mod(np.arctan2(gy, gx), np.pi)  # unsigned: a line's two edges point the same way
        bins = np.minimum((orientation / np.pi * ORIENTATION_BINS).astype(np.int64), ORIENTATION_BINS - 1)
        histogram = np.bincount(bins.ravel(), weights=magnitude.ravel(), minlength=ORIENTATION_BINS)
        histogram = histogram / max(histogram.sum(), 1e-12)
        ordered = np.sort(histogram)[::-1]  # the same pattern turned 90° gives the same sorted histogram
        # Structure tensor: how strongly the gradients agree on one direction in each neighbourhood.
        jxx = ndimage.gaussian_filter(gx * gx, 2 * sigma, truncate=2.5)
        jyy = ndimage.gaussian_filter(gy * gy, 2 * sigma, truncate=2.5)
        jxy = ndimage.gaussian_filter(gx * gy, 2 * sigma, truncate=2.5)
        root = np.sqrt((jxx - jyy) ** 2 + 4 * jxy**2)
        coherence = root / np.maximum(jxx + jyy, 1e-12)
        parts.append(
            np.concatenate(
                [
                    histogram,
                    ordered,
                    [magnitude.mean(), magnitude.std(), np.percentile(magnitude, 90), np.percentile(magnitude, 99)],
                    [coherence.mean(), coherence.std(), np.percentile(coherence, 90)],
                    [np.sqrt(((jxx - jyy).mean()) ** 2 + 4 * jxy.mean() ** 2) / max((jxx + jyy).mean(), 1e-12)],
                ]
            )
        )
    return np.concatenate(parts)


# --- Gabor bank and its second layer ---------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _gabor_bank(shape: tuple[int, int], wavelengths: tuple[float, ...]) -> NDArray[np.float64]:
    """Frequency responses (filters × height × width) of even+odd Gabor filters: Gaussians around each centre
    frequency in the Fourier plane, one octave-ish wide; their inverse transform is complex (analytic)."""
    height, width = shape
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    filters: list[FloatArray] = []
    for wavelength in wavelengths:
        centre = 1.0 / wavelength
        bandwidth = centre * 0.45
        for k in range(GABOR_ORIENTATIONS):
            theta = np.pi * k / GABOR_ORIENTATIONS
            u = fx * np.cos(theta) + fy * np.sin(theta)
            v = -fx * np.sin(theta) + fy * np.cos(theta)
            response = np.exp(-((u - centre) ** 2) / (2 * bandwidth**2) - v**2 / (2 * (bandwidth * 0.8) ** 2))
            filters.append(response)
    return np.stack(filters)


def _low_band(shape: tuple[int, int]) -> tuple[slice, slice]:
    """The centred (fftshift-ed) spectrum window below a quarter cycle per pixel: half the size in each axis."""
    height, width = shape
    return slice(height // 2 - height // 4, height // 2 + height // 4), slice(
        width // 2 - width // 4, width // 2 + width // 4
    )


@lru_cache(maxsize=8)
def _second_layer_bank(shape: tuple[int, int]) -> NDArray[np.float32]:
    rows, columns = _low_band(shape)
    bank = np.fft.fftshift(_gabor_bank(shape, SECOND_LAYER_WAVELENGTHS), axes=(-2, -1))[:, rows, columns]
    return np.fft.ifftshift(bank, axes=(-2, -1)).astype(np.float32)


def _gabor(standard: FloatArray) -> FloatArray:
    spectrum = fft.fft2(standard.astype(np.float32), workers=1)  # single precision: twice as fast, plenty here
    bank = _gabor_bank(standard.shape, GABOR_WAVELENGTHS).astype(np.float32)
    magnitudes = np.abs(fft.ifft2(spectrum[None] * bank, axes=(-2, -1), workers=1))
    means = magnitudes.mean(axis=(1, 2), dtype=np.float64)
    spreads = magnitudes.std(axis=(1, 2), dtype=np.float64)
    grid = means.reshape(len(GABOR_WAVELENGTHS), GABOR_ORIENTATIONS)
    normalised = grid / np.maximum(grid.sum(axis=1, keepdims=True), 1e-12)
    # Turned versions of the same texture give the same sorted orientation profile; the raw profile keeps direction.
    sorted_profile = np.sort(normalised, axis=1)[:, ::-1]
    # Second layer (as a scattering transform): the coarse-scale Gabor energy of each scale's orientation-summed
    # magnitude map. Those filters pass nothing above a quarter cycle per pixel, so it is computed at half size.
    per_scale = magnitudes.reshape(len(GABOR_WAVELENGTHS), GABOR_ORIENTATIONS, *standard.shape).sum(axis=1)
    per_scale = per_scale - per_scale.mean(axis=(1, 2), keepdims=True)
    rows, columns = _low_band(standard.shape)
    low = np.fft.fftshift(fft.fft2(per_scale, axes=(-2, -1), workers=1), axes=(-2, -1))[:, rows, columns]
    low = np.fft.ifftshift(low, axes=(-2, -1))
    second = np.abs(fft.ifft2(low[:, None] * _second_layer_bank(standard.shape)[None], axes=(-2, -1), workers=1))
    shrink = standard.size / (low.shape[-2] * low.shape[-1])  # the smaller inverse transform divides by fewer
    second_means = second.mean(axis=(2, 3), dtype=np.float64) / shrink
    second_means /= np.maximum(grid.sum(axis=1)[:, None], 1e-12)
    return np.concatenate(
        [
            np.log1p(means),
            np.log1p(spreads),
            spreads / np.maximum(means, 1e-12),  # how patchy each response is
            normalised.ravel(),
            sorted_profile.ravel(),
            second_means.ravel(),
            np.sort(second_means.reshape(len(GABOR_WAVELENGTHS), len(SECOND_LAYER_WAVELENGTHS), -1), axis=2).ravel(),
        ]
    )


# --- Haar wavelet ----------------------------------------------------------------------------------------------


def _haar(standard: FloatArray) -> FloatArray:
    stats: list[float] = []
    approximation = standard
    for _level in range(HAAR_LEVELS):
        height, width = (approximation.shape[0] // 2) * 2, (approximation.shape[1] // 2) * 2
        block = approximation[:height, :width]
        a, b = block[0::2, 0::2], block[0::2, 1::2]
        c, d = block[1::2, 0::2], block[1::2, 1::2]
        approximation = (a + b + c + d) / 2
        for band in ((a - b + c - d) / 2, (a + b - c - d) / 2, (a - b - c + d) / 2):  # vertical, horizontal, diagonal
            spread = band.std()
            stats.extend([np.abs(band).mean(), spread, np.mean(band**4) / max(spread**4, 1e-12)])
    return np.array(stats)


# --- power spectrum --------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _spectrum_bins(shape: tuple[int, int]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    fy = np.fft.fftfreq(shape[0])[:, None]
    fx = np.fft.fftfreq(shape[1])[None, :]
    radius = np.hypot(fy, fx)
    # Rings equally spaced in log frequency, from 1/128 cycles per pixel (six octaves down) to Nyquist.
    position = (np.log2(np.maximum(radius, 1e-9) / 0.5) + 6) / 6
    inside = (radius >= 0.5 / 64) & (radius <= 0.5)
    rings = np.where(
        inside, np.minimum((position * SPECTRUM_RINGS).astype(np.int64), SPECTRUM_RINGS - 1), SPECTRUM_RINGS
    )
    angle = np.mod(np.arctan2(fy, fx), np.pi)
    sectors = np.minimum((angle / np.pi * SPECTRUM_SECTORS).astype(np.int64), SPECTRUM_SECTORS - 1)
    sectors = np.where((radius < 0.02) | (radius > 0.5), SPECTRUM_SECTORS, sectors)
    return rings.ravel(), sectors.ravel()


def _spectrum(standard: FloatArray) -> FloatArray:
    power = np.abs(fft.fft2(standard, workers=1)).ravel() ** 2
    rings, sectors = _spectrum_bins(standard.shape)
    ring_power = np.bincount(rings, weights=power, minlength=SPECTRUM_RINGS + 1)[:SPECTRUM_RINGS]
    sector_power = np.bincount(sectors, weights=power, minlength=SPECTRUM_SECTORS + 1)[:SPECTRUM_SECTORS]
    ring_share = ring_power / max(ring_power.sum(), 1e-12)
    sector_share = sector_power / max(sector_power.sum(), 1e-12)
    return np.concatenate([np.log(ring_share + 1e-6), sector_share, np.sort(sector_share)[::-1]])


# --- blobs -----------------------------------------------------------------------------------------------------


def _blobs(standard: FloatArray) -> FloatArray:
    smooth = ndimage.gaussian_filter(standard, 1.5)
    smooth = smooth / max(smooth.std(), 1e-6)
    # Local background removed: a blob is darker or brighter than its surroundings, not than the whole image.
    local = smooth - ndimage.uniform_filter(smooth, size=31, mode="reflect")
    local = local / max(local.std(), 1e-6)
    total = standard.size
    stats: list[float] = []
    for field in (smooth, local):
        for threshold in BLOB_THRESHOLDS:
            for region in (field < -threshold, field > threshold):
                labelled, count = ndimage.label(region)
                sizes = np.bincount(labelled.ravel())[1:] if count else np.zeros(1)
                stats.extend([region.mean(), np.log1p(count), sizes.max() / total, np.log1p(sizes.mean())])
    return np.array(stats)
