"""Train on synthetic bearing-like recordings at one speed, diagnose at another; save and load the model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tests.maintenance.vibration.builders import FS, bearing_signal, synthetic_folder
from zhizao.errors import InputError
from zhizao.maintenance.vibration import FEATURES_VERSION, BearingDiagnoser, load_folder, read_metadata, train
from zhizao.maintenance.vibration.classifier import MAGIC

LABELS = ("normal", "IR007", "IR021", "B014", "OR007@6", "OR021@6")
WINDOW = 2048


@pytest.fixture(scope="module")
def diagnoser(tmp_path_factory: pytest.TempPathFactory) -> BearingDiagnoser:
    folder = synthetic_folder(tmp_path_factory.mktemp("syn"), LABELS, {0: 1797}, seconds=1.5)
    return train(load_folder(folder), window=WINDOW, trees=60, description="synthetic, 0 hp")


@pytest.mark.parametrize(
    ("label", "fault", "severity", "defect", "order"),
    [
        ("IR007", "inner_race", 0.007, "bpfi", 5.415),
        ("B014", "ball", 0.014, "bsf2", 4.713),
        ("OR021@6", "outer_race", 0.021, "bpfo", 3.585),
    ],
)
def test_faults_are_recognised_at_another_speed(
    diagnoser: BearingDiagnoser, label: str, fault: str, severity: float, defect: str, order: float
) -> None:
    signal = bearing_signal(label, 1730, seconds=0.7, seed=99)  # unseen speed and noise
    diagnoses = diagnoser.diagnose_signal(signal, FS, 1730)
    assert len(diagnoses) == 4
    assert [d.label for d in diagnoses].count(label) >= 3
    best = max(diagnoses, key=lambda d: d.probability)
    assert (best.fault, best.severity_in) == (fault, severity)
    assert 0 < best.probability <= 1
    assert best.evidence.defect == defect
    assert best.evidence.order == pytest.approx(order, rel=0.04)
    assert best.evidence.amplitude_ratio > 3
    assert best.evidence.dominant_defect == defect  # the synthetic spectrum agrees with the diagnosis


def test_normal_is_normal(diagnoser: BearingDiagnoser) -> None:
    diagnoses = diagnoser.predict(bearing_signal("normal", 1760, seconds=0.2, seed=5)[:WINDOW], FS, 1760)
    assert [(d.fault, d.severity_in) for d in diagnoses] == [("normal", None)]


def test_a_48k_window_of_the_same_duration_is_resampled(diagnoser: BearingDiagnoser) -> None:
    fast = bearing_signal("OR007@6", 1797, fs=48000.0, seconds=0.2, seed=3)[: 4 * WINDOW]
    assert diagnoser.predict(fast, 48000.0, 1797)[0].fault == "outer_race"


def test_windows_of_another_length_or_a_lower_rate_are_refused(diagnoser: BearingDiagnoser) -> None:
    with pytest.raises(InputError, match="windows of 2048 samples"):
        diagnoser.predict(np.random.default_rng(0).standard_normal(3000), FS, 1797)
    with pytest.raises(InputError, match="12000 Hz or more"):
        diagnoser.predict(np.random.default_rng(0).standard_normal(WINDOW), 8000.0, 1797)


def test_save_and_load_round_trip(diagnoser: BearingDiagnoser, tmp_path: Path) -> None:
    path = tmp_path / "bearing.model"
    diagnoser.save(path)
    assert path.read_bytes().startswith(MAGIC)
    header = read_metadata(path)
    assert header.features_version == FEATURES_VERSION
    assert header.classes == sorted(LABELS)
    assert (header.fs, header.window, header.geometry["balls"]) == (FS, WINDOW, 9)
    assert header.training["description"] == "synthetic, 0 hp"
    loaded = BearingDiagnoser.load(path)
    window = bearing_signal("IR021", 1797, seconds=0.2, seed=7)[:WINDOW]
    assert loaded.predict(window, FS, 1797) == diagnoser.predict(window, FS, 1797)


def test_a_model_from_another_features_version_is_refused(diagnoser: BearingDiagnoser, tmp_path: Path) -> None:
    path = tmp_path / "old.model"
    diagnoser.save(path)
    raw = path.read_bytes().replace(FEATURES_VERSION.encode(), b"bearing-features/0", 1)
    path.write_bytes(raw)
    with pytest.raises(InputError, match="trained on bearing-features/0"):
        BearingDiagnoser.load(path)
    (tmp_path / "other.bin").write_bytes(b"not a model")
    with pytest.raises(InputError, match="not a saved bearing model"):
        BearingDiagnoser.load(tmp_path / "other.bin")


def test_training_needs_two_classes_and_long_enough_windows(tmp_path: Path) -> None:
    recordings = load_folder(synthetic_folder(tmp_path / "one", ("IR007", "B007"), {0: 1797}, seconds=1.0))
    with pytest.raises(InputError, match="two classes"):
        train(recordings[:1], window=WINDOW)
    with pytest.raises(InputError, match="too few"):
        train(recordings, window=1024)
