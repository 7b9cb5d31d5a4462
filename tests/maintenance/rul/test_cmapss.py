"""Loading C-MAPSS-format folders: a well-formed synthetic subset loads; each malformation is a clear error."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from zhizao.errors import InputError
from zhizao.maintenance.rul.cmapss import check_subset_name, load_subset


def _rows(unit: int, cycles: int) -> list[str]:
    return [
        " ".join([str(unit), str(c), "0.0", "0.0", "100.0", *[f"{s + c * 0.01:.3f}" for s in range(21)]])
        for c in range(1, cycles + 1)
    ]


def _write(folder: Path, name: str, lines: list[str], *, zipped: bool = False) -> None:
    text = "\n".join(lines) + "\n"
    if zipped:
        with gzip.open(folder / f"{name}.gz", "wt") as handle:
            handle.write(text)
    else:
        (folder / name).write_text(text)


def _subset(folder: Path, *, zipped: bool = False) -> None:
    _write(folder, "train_FD009.txt", _rows(1, 5) + _rows(2, 4), zipped=zipped)
    _write(folder, "test_FD009.txt", _rows(1, 3), zipped=zipped)
    _write(folder, "RUL_FD009.txt", ["7"], zipped=zipped)


@pytest.mark.parametrize("zipped", [False, True])
def test_a_well_formed_subset_loads(tmp_path: Path, zipped: bool) -> None:
    _subset(tmp_path, zipped=zipped)
    data = load_subset(tmp_path, "fd009")
    assert data.name == "FD009"
    assert [h.n_cycles for h in data.train] == [5, 4]
    assert data.test[0].signals[0] == "setting_1"
    assert data.test_rul.tolist() == [7.0]
    assert np.allclose(data.train[0].values[:, 3], 0.01 * np.arange(1, 6))


def _message(folder: Path, subset: str = "FD009") -> str:
    with pytest.raises(InputError) as caught:
        load_subset(folder, subset)
    return caught.value.message


def test_missing_folder_and_files(tmp_path: Path) -> None:
    assert "no such folder" in _message(tmp_path / "absent")
    assert "train_FD009.txt" in _message(tmp_path)


def test_wrong_column_count_names_file_and_line(tmp_path: Path) -> None:
    _subset(tmp_path)
    lines = _rows(1, 3)
    lines[1] = lines[1].rsplit(" ", 1)[0]
    _write(tmp_path, "test_FD009.txt", lines)
    assert _message(tmp_path) == "test_FD009.txt line 2: 25 columns, expected 26"


def test_non_numbers_truth_count_and_cycles(tmp_path: Path) -> None:
    _subset(tmp_path)
    _write(tmp_path, "RUL_FD009.txt", ["7", "8"])
    assert "2 true RUL values for 1 test units" in _message(tmp_path)
    _write(tmp_path, "RUL_FD009.txt", ["seven"])
    assert "not a number" in _message(tmp_path)
    _write(tmp_path, "RUL_FD009.txt", ["7"])
    _write(tmp_path, "test_FD009.txt", _rows(1, 3)[::-1])
    assert "cycles do not strictly increase" in _message(tmp_path)


@pytest.mark.parametrize("name", ["FD1", "FD0001", "train", ""])
def test_subset_names(name: str) -> None:
    with pytest.raises(InputError, match="not a C-MAPSS subset name"):
        check_subset_name(name)


def test_cli_errors_exit_2_with_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from zhizao.cli import app

    runner = CliRunner()
    base = ["maintenance", "rul", "evaluate", "--data"]
    missing = runner.invoke(app, [*base, str(tmp_path / "absent"), "--subset", "FD001"])
    assert missing.exit_code == 2 and "no such folder" in missing.output
    bad_name = runner.invoke(app, [*base, str(tmp_path), "--subset", "FD1"])
    assert bad_name.exit_code == 2 and "not a C-MAPSS subset name" in bad_name.output
    _subset(tmp_path)
    _write(tmp_path, "train_FD009.txt", ["1 1 0 0"])
    columns = runner.invoke(app, [*base, str(tmp_path), "--subset", "FD009"])
    assert columns.exit_code == 2 and "4 columns, expected 26" in columns.output
