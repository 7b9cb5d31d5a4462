"""The CSPLib prob001 parser: the example reads as written; each malformation is named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.c2m.sequencing.conftest import CARSEQ, DINCBAS
from zhizao.c2m.sequencing.instance import CapacityRule, Instance, load_instance, parse_instance
from zhizao.errors import InputError


def test_the_specification_example_reads_as_written(dincbas: Instance) -> None:
    assert dincbas.n_cars == 10
    assert dincbas.rules == (
        CapacityRule(1, 2), CapacityRule(2, 3), CapacityRule(1, 3), CapacityRule(2, 5), CapacityRule(1, 5)
    )  # fmt: skip
    assert [c.count for c in dincbas.classes] == [1, 1, 2, 2, 2, 2]
    assert dincbas.classes[0].options == (True, False, True, True, False)
    assert [dincbas.demand(o) for o in range(5)] == [5, 6, 3, 4, 2]


def test_blank_lines_are_skipped_and_line_numbers_kept() -> None:
    text = "\n" + DINCBAS.replace("2 3 3 5 5\n", "2 3 3 5 5\n\n")
    assert parse_instance(text).n_cars == 10
    with pytest.raises(InputError) as caught:
        parse_instance(text.replace("5 2 1 1 0 0 0", "5 2 1 1 0 0 7"))
    assert caught.value.fields[0].field == "line 11"


def field_and_message(text: str) -> tuple[str, str]:
    with pytest.raises(InputError) as caught:
        parse_instance(text)
    problem = caught.value.fields[0]
    return problem.field, problem.message


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("", "line 1", "empty"),
        ("10 5\n", "line 1", "n_cars n_options n_classes"),
        ("10 five 6\n", "line 1", "'five' is not a whole number"),
        ("0 5 6\n", "line 1", "n_cars must be at least 1"),
        ("10 5 6\n", "line 2", "missing: the p and q lines"),
        (DINCBAS.replace("1 2 1 2 1\n", "1 2 1 2\n"), "line 2", "the p of each of the 5 options"),
        (DINCBAS.replace("2 3 3 5 5\n", "2 3 3 5 x\n"), "line 3", "'x' is not a whole number"),
        (DINCBAS.replace("1 2 1 2 1\n", "1 2 0 2 1\n"), "line 2", "option 3: p must be at least 1"),
        (DINCBAS.replace("2 3 3 5 5\n", "2 3 3 1 5\n"), "line 3", "option 4: q = 1 is smaller than p = 2"),
        (DINCBAS.replace("5 2 1 1 0 0 0\n", ""), "line 9", "announces 6 classes but the file has 5"),
        (DINCBAS + "6 1 0 0 0 0 0\n", "line 10", "announces 6 classes but the file has 7"),
        (DINCBAS.replace("3 2 0 1 0 1 0", "3 2 0 1 0 1"), "line 7", "`index count` and 5 option flags"),
        (DINCBAS.replace("3 2 0 1 0 1 0", "3 2 0 1 2 1 0"), "line 7", "class 3: option 3 flag must be 0 or 1"),
        (DINCBAS.replace("3 2 0 1 0 1 0", "3 -1 0 1 0 1 0"), "line 7", "count must not be negative"),
        (DINCBAS.replace("3 2 0 1 0 1 0", "2 2 0 1 0 1 0"), "line 7", "class index 2 appears twice"),
        (DINCBAS.replace("5 2 1 1 0 0 0", "5 3 1 1 0 0 0"), "line 1", "add up to 11 cars, but the header says"),
    ],
)
def test_malformed_files_name_the_line_and_the_problem(text: str, field: str, words: str) -> None:
    found_field, message = field_and_message(text)
    assert found_field == field
    assert words in message


def test_a_missing_file_or_a_folder_is_an_input_error_on_instance(tmp_path: Path) -> None:
    for path, words in ((tmp_path / "absent.txt", "no such file"), (tmp_path, "is a folder")):
        with pytest.raises(InputError) as caught:
            load_instance(path)
        assert caught.value.fields[0].field == "instance"
        assert words in caught.value.fields[0].message


def test_load_names_the_instance_after_its_file(tmp_path: Path) -> None:
    path = tmp_path / "example.txt"
    path.write_text(DINCBAS)
    assert load_instance(path).name == "example.txt"


@pytest.mark.skipif(not CARSEQ.is_dir(), reason="the shared carseq data are not here")
def test_every_shared_instance_parses() -> None:
    files = sorted(CARSEQ.rglob("*.txt"))
    assert len(files) == 81
    for path in files:
        instance = load_instance(path)
        assert sum(c.count for c in instance.classes) == instance.n_cars
