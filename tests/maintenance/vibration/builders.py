"""Synthetic bearing-like signals and CWRU-style folders, small enough for fast tests.

A localised defect gives a train of impacts at its defect rate, each ringing a structural resonance (here
3 kHz) and dying away; an inner-race defect turns with the shaft, so its impacts are modulated at 1x; a ball
defect turns with the cage (FTF). The rate jitters by ~1 % as real rolling elements slip.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from scipy import signal as sps

from zhizao.maintenance.vibration.geometry import SKF_6205, defect_orders

FS = 12000.0
RESONANCE_HZ = 3000.0
SEVERITY = {"007": 0.4, "014": 0.8, "021": 1.4}


def bearing_signal(
    label: str, rpm: float, *, fs: float = FS, seconds: float = 2.0, seed: int = 0
) -> NDArray[np.float64]:
    """A signal for a CWRU-style label (normal, IR007, B014, OR021@6 …)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * fs)
    t = np.arange(n) / fs
    shaft = rpm / 60
    x = 0.05 * np.sin(2 * np.pi * shaft * t) + 0.02 * np.sin(2 * np.pi * 2 * shaft * t) + 0.04 * rng.standard_normal(n)
    if label == "normal":
        return x
    orders = defect_orders(SKF_6205)
    kind = "OR" if label.startswith("OR") else "IR" if label.startswith("IR") else "B"
    size = label.removeprefix(kind)[:3]
    rate = {"OR": orders.bpfo, "IR": orders.bpfi, "B": 2 * orders.bsf}[kind] * shaft
    times = np.cumsum(rng.normal(1 / rate, 0.01 / rate, size=int(seconds * rate) + 2))
    times = times[times < seconds]
    amplitude = SEVERITY[size] * np.ones(times.size)
    if kind == "IR":
        amplitude *= 1 + 0.8 * np.cos(2 * np.pi * shaft * times)
    if kind == "B":
        amplitude *= 1 + 0.5 * np.cos(2 * np.pi * orders.ftf * shaft * times)
    impulses = np.zeros(n)
    np.add.at(impulses, (times * fs).astype(int), amplitude)
    ring = np.arange(int(0.004 * fs)) / fs
    kernel = np.exp(-ring * 1500) * np.sin(2 * np.pi * RESONANCE_HZ * ring)
    return np.asarray(x + sps.fftconvolve(impulses, kernel)[:n], dtype=np.float64)


def write_folder(root: Path, entries: list[dict[str, object]], signals: dict[str, NDArray[np.float64]]) -> Path:
    """A CWRU-style folder: the manifest as given, and each ``signals[file]`` saved with fs/rpm/label."""
    root.mkdir(parents=True, exist_ok=True)
    for entry in entries:
        name = str(entry["file"])
        if name in signals:
            np.savez(
                root / name,
                DE=signals[name],
                fs=np.int64(float(str(entry["fs_hz"]))),
                rpm=np.int64(float(str(entry["rpm"]))),
                label=str(entry["label"]),
            )
    (root / "manifest.json").write_text(json.dumps(entries), encoding="utf-8")
    return root


def synthetic_folder(
    root: Path, labels: tuple[str, ...], loads: dict[int, int], *, seconds: float = 1.5, normal_fs: float = FS
) -> Path:
    """Every label at every load (``loads`` maps load in hp to rpm); the normal baseline at ``normal_fs``."""
    entries: list[dict[str, object]] = []
    signals: dict[str, NDArray[np.float64]] = {}
    for load, rpm in loads.items():
        for index, label in enumerate(labels):
            fs = normal_fs if label == "normal" else FS
            name = f"syn_{load}hp_{label.replace('@', 'at')}.npz"
            signals[name] = bearing_signal(label, rpm, fs=fs, seconds=seconds, seed=100 * load + index)
            entries.append(
                {
                    "label": label,
                    "file": name,
                    "n_samples": signals[name].size,
                    "fs_hz": int(fs),
                    "load_hp": load,
                    "rpm": rpm,
                }
            )
    return write_folder(root, entries, signals)
