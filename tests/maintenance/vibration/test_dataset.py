"""Loading CWRU-style folders: what is accepted, how rates are unified, and a clear error for each fault."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.maintenance.vibration.builders import FS, bearing_signal, synthetic_folder, write_folder
from zhizao.errors import InputError
from zhizao.maintenance.vibration.dataset import check_rate, load_folder, parse_label, resample, windows


def entry(
    label: str = "IR007", file: str = "a.npz", fs: int = 12000, rpm: int = 1797, **extra: object
) -> dict[str, object]:
    return {"label": label, "file": file, "fs_hz": fs, "rpm": rpm, "load_hp": 0, **extra}


def test_a_folder_is_loaded_and_the_48k_baseline_brought_to_12k(tmp_path: Path) -> None:
    folder = synthetic_folder(tmp_path / "d", ("normal", "IR007"), {0: 1797}, seconds=1.0, normal_fs=48000.0)
    recordings = load_folder(folder)
    normal, inner = recordings
    assert (normal.label, normal.source_fs, normal.fs, normal.signal.size) == ("normal", 48000.0, FS, 12000)
    assert (inner.source_fs, inner.signal.size, inner.load, inner.rpm) == (FS, 12000, 0.0, 1797.0)
    assert {recording.rate_check for recording in recordings} == {"confirmed"}


def test_resampling_keeps_a_tone_where_it_was() -> None:
    t = np.arange(48000) / 48000
    low = resample(np.sin(2 * np.pi * 100 * t), 48000, 12000)
    assert low.size == 12000
    assert np.argmax(np.abs(np.fft.rfft(low))) == 100  # 1 Hz bins over one second


def test_parse_label() -> None:
    assert parse_label("normal") == ("normal", None)
    assert parse_label("IR007") == ("inner_race", 0.007)
    assert parse_label("B014") == ("ball", 0.014)
    assert parse_label("OR021@6") == ("outer_race", 0.021)
    assert parse_label("misalignment") == ("misalignment", None)


def test_windows_cut_without_overlap_by_default() -> None:
    cut = windows(np.arange(20.0), 8)
    assert cut.tolist() == [list(range(8)), list(range(8, 16))]
    assert windows(np.arange(20.0), 8, hop=4).shape == (4, 8)


def test_a_signal_shorter_than_a_window_is_refused() -> None:
    with pytest.raises(InputError, match="fewer than one window"):
        windows(np.arange(100.0), 4096)


def test_a_wrongly_stored_rate_is_caught_from_the_shaft_line() -> None:
    signal = bearing_signal("OR007@6", 1797, seconds=2.0)
    assert check_rate(signal, FS, 1797, "fs") == "confirmed"
    with pytest.raises(InputError, match="as if the rate were 12000 Hz"):
        check_rate(signal, 48000.0, 1797, "fs")
    with pytest.raises(InputError, match="as if the rate were 12000 Hz"):
        check_rate(signal, 6000.0, 1797, "fs")


def write(tmp_path: Path, entries: list[dict[str, object]], **arrays: np.ndarray) -> Path:
    folder = write_folder(tmp_path / "d", entries, {})
    for name, values in arrays.items():
        np.savez(folder / f"{name}.npz", DE=values, fs=np.int64(12000), rpm=np.int64(1797), label="IR007")
    return folder


GOOD = bearing_signal("IR007", 1797, seconds=0.5)


@pytest.mark.parametrize(
    ("build", "field", "message"),
    [
        (lambda p: p / "absent", "data", "does not exist"),
        (lambda p: p, "data", "has no manifest.json"),
        (lambda p: write(p, [entry(file="missing.npz")]), "manifest[0].file", "listed in the manifest but missing"),
        (lambda p: write(p, [{"file": "a.npz", "label": "IR007", "fs_hz": 12000}], a=GOOD), "manifest[0].rpm", "lacks"),
        (lambda p: write(p, [entry(rpm=-5)], a=GOOD), "manifest[0].rpm", "positive number"),
        (lambda p: write(p, [entry()], a=np.stack([GOOD, GOOD])), "manifest[0].file", "shape (2, 6000)"),
        (lambda p: write(p, [entry(n_samples=9999)], a=GOOD), "manifest[0].file", "holds 6000 samples"),
        (lambda p: write(p, [entry(fs=48000)], a=GOOD), "manifest[0].fs", "stores fs = 12000"),
        (lambda p: write(p, [entry(label="B007")], a=GOOD), "manifest[0].label", "stores label = IR007"),
        (
            lambda p: write(p, [entry()], a=np.where(np.arange(6000) == 7, np.nan, GOOD)),
            "manifest[0].file",
            "missing or",
        ),
        (lambda p: write(p, [entry()], a=np.zeros(6000)), "manifest[0].file", "constant"),
        (lambda p: write(p, [entry(fs=8000)], a=GOOD), "manifest[0].fs", "stores fs = 12000"),
    ],
)
def test_malformed_folders_are_refused(tmp_path: Path, build: object, field: str, message: str) -> None:
    folder = build(tmp_path)  # type: ignore[operator]
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        load_folder(folder)
    assert caught.value.fields[0].field == field


def test_a_manifest_that_is_not_a_list_of_entries(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"file": "a.npz"}))
    with pytest.raises(InputError, match="non-empty list"):
        load_folder(tmp_path)
    (tmp_path / "manifest.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        load_folder(tmp_path)


def test_an_npz_without_a_signal_names_what_it_holds(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "d", [entry()], {})
    np.savez(folder / "a.npz", FE=GOOD)
    with pytest.raises(InputError, match=r"holds no signal array \(DE or signal\); it has \['FE'\]"):
        load_folder(folder)


def test_a_rate_too_low_for_the_features_is_refused(tmp_path: Path) -> None:
    low = bearing_signal("IR007", 1797, fs=8000.0, seconds=1.0)
    folder = write_folder(tmp_path / "d", [entry(fs=8000)], {"a.npz": low})
    with pytest.raises(InputError, match="below the 12000 Hz"):
        load_folder(folder)
