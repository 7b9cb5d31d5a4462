"""The load-split protocol and ``zhizao maintenance bearing evaluate``: synthetic folders, and CWRU when present."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner, Result

from tests.maintenance.vibration.builders import synthetic_folder
from zhizao import cli
from zhizao.errors import InputError
from zhizao.maintenance.vibration import evaluate_folder, evaluate_recordings, load_folder

CWRU = Path(__file__).resolve().parents[4] / "shared" / "data" / "cwru"
LABELS = ("normal", "IR007", "B021", "OR014@6")
runner = CliRunner()


def zhizao(*args: str) -> Result:
    return runner.invoke(cli.app, list(args), prog_name="zhizao")


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Normal only at 0 hp, as in CWRU; the other loads run slower.
    root = synthetic_folder(tmp_path_factory.mktemp("syn"), LABELS, {0: 1797}, seconds=1.2, normal_fs=48000.0)
    extra = synthetic_folder(tmp_path_factory.mktemp("more"), LABELS[1:], {1: 1772, 2: 1750}, seconds=0.7)
    manifest = json.loads((root / "manifest.json").read_text())
    for entry in json.loads((extra / "manifest.json").read_text()):
        (root / entry["file"]).write_bytes((extra / entry["file"]).read_bytes())
        manifest.append(entry)
    (root / "manifest.json").write_text(json.dumps(manifest))
    return root


def test_train_on_one_load_and_score_each_other(folder: Path) -> None:
    report = evaluate_folder(folder, 0, window=2048)
    assert report.train_classes == sorted(LABELS)
    assert report.train_windows == 4 * 13  # 1.2 s at 12 kHz: 14400 samples, windows of 2048 every 1024
    assert [result.load for result in report.results] == [1.0, 2.0]
    for result in report.results:
        assert result.windows == 3 * 4  # 0.7 s: 8400 samples, four windows without overlap
        assert result.labels[:3] == ["B021", "IR007", "OR014@6"]
        assert np.asarray(result.confusion).sum() == result.windows
        assert result.macro_f1 == pytest.approx(1.0)
        assert result.unseen == []
    assert report.min_macro_f1 == pytest.approx(1.0)


def test_a_class_missing_from_training_is_reported_unseen(folder: Path) -> None:
    report = evaluate_folder(folder, 1, window=2048)
    zero = next(result for result in report.results if result.load == 0)
    assert zero.unseen == ["normal"]
    assert zero.macro_f1 < 1.0  # the normal windows cannot be right: the score says so


def test_a_load_not_in_the_data_or_a_single_load(folder: Path) -> None:
    with pytest.raises(InputError, match="the data has loads 0, 1, 2"):
        evaluate_folder(folder, 3)
    only_zero = [recording for recording in load_folder(folder) if recording.load == 0]
    with pytest.raises(InputError, match="no other load"):
        evaluate_recordings(only_zero, 0)


def test_cli_prints_a_matrix_per_load_and_a_summary(folder: Path) -> None:
    result = zhizao(
        "maintenance", "bearing", "evaluate", "--data", str(folder), "--train-load", "0", "--window", "2048"
    )
    assert result.exit_code == 0, result.output
    assert "load 1 hp (1772 rpm): 12 windows, accuracy 1.0000, macro-F1 1.0000" in result.output
    assert "OR014@6" in result.output
    assert "min 1.0000" in result.output.splitlines()[-1]


def test_cli_json_is_one_object(folder: Path) -> None:
    result = zhizao("maintenance", "bearing", "evaluate", "--data", str(folder), "--window", "2048", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["train_load"] == 0 and report["min_macro_f1"] == 1.0
    assert [load["load"] for load in report["results"]] == [1.0, 2.0]


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda root: root / "absent", "does not exist"),
        (lambda root: root, "has no manifest.json"),
        (lambda root: _missing_file(root), "listed in the manifest but missing"),
        (lambda root: _wrong_shape(root), "one-dimensional numeric signal, got shape (2, 4)"),
    ],
)
def test_cli_refuses_malformed_folders_with_exit_2(tmp_path: Path, prepare: object, message: str) -> None:
    target = prepare(tmp_path)  # type: ignore[operator]
    result = zhizao("maintenance", "bearing", "evaluate", "--data", str(target))
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_refuses_a_train_load_not_in_the_data(folder: Path) -> None:
    result = zhizao("maintenance", "bearing", "evaluate", "--data", str(folder), "--train-load", "5")
    assert result.exit_code == 2
    assert "train_load: no recordings at load 5; the data has loads 0, 1, 2" in result.output


def _missing_file(root: Path) -> Path:
    (root / "manifest.json").write_text(
        json.dumps([{"file": "x.npz", "label": "B007", "fs_hz": 12000, "rpm": 1797, "load_hp": 0}])
    )
    return root


def _wrong_shape(root: Path) -> Path:
    np.savez(root / "x.npz", DE=np.ones((2, 4)))
    (root / "manifest.json").write_text(
        json.dumps([{"file": "x.npz", "label": "B007", "fs_hz": 12000, "rpm": 1797, "load_hp": 0}])
    )
    return root


@pytest.mark.skipif(not (CWRU / "manifest.json").is_file(), reason=f"CWRU benchmark data not present at {CWRU}")
def test_cwru_trained_at_0hp_recognises_every_fault_at_1_and_2hp() -> None:
    # All of 0 hp trains (as the protocol does); a subset of each test recording (first 8 windows) keeps this fast.
    # The full evaluation is `zhizao maintenance bearing evaluate --data ../shared/data/cwru` (docs).
    started = time.perf_counter()
    recordings = [
        recording if recording.load == 0 else dataclasses.replace(recording, signal=recording.signal[: 8 * 4096])
        for recording in load_folder(CWRU)
    ]
    report = evaluate_recordings(recordings, 0, seed=0)
    assert len(report.train_classes) == 10
    assert [(result.load, result.windows) for result in report.results] == [(1.0, 72), (2.0, 72)]
    assert report.min_macro_f1 >= 0.99
    assert time.perf_counter() - started < 60
