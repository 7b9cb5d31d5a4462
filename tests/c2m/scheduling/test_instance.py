"""The OR-Library parser: what it reads, and each way a file can be wrong, named by line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.c2m.scheduling.conftest import THREE_BY_THREE
from zhizao.c2m.scheduling import Operation, format_instance, load_instance, parse_instance, random_instance
from zhizao.errors import InputError


def test_reads_jobs_in_order_skipping_comments_and_blank_lines() -> None:
    instance = parse_instance("\n# c\n" + THREE_BY_THREE + "\n\n", name="hand3")
    assert (instance.name, instance.n_jobs, instance.n_machines, instance.n_operations) == ("hand3", 3, 3, 9)
    assert instance.jobs[1] == (Operation(0, 2), Operation(2, 1), Operation(1, 4))


def test_a_job_may_visit_a_machine_twice_or_skip_one() -> None:
    instance = parse_instance("2 3\n0 1 0 2\n2 0\n")
    assert instance.jobs == ((Operation(0, 1), Operation(0, 2)), (Operation(2, 0),))


def test_load_names_the_instance_after_the_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.txt"
    path.write_text(THREE_BY_THREE)
    assert load_instance(path).name == "mine"


@pytest.mark.parametrize(
    ("text", "field", "words"),
    [
        ("", "instance", "empty"),
        ("# only a comment\n\n", "instance", "empty"),
        ("3\n", "line 1", "two integers"),
        ("3 3 3\n", "line 1", "two integers"),
        ("# c\nthree 3\n", "line 2", "'three' is not an integer"),
        ("0 3\n", "line 1", "at least 1"),
        ("2 2\n0 1 1 1\n", "line 2", "announces 2 jobs but there are 1"),
        ("1 2\n0 1 1 1\n0 1 1 1\n", "line 3", "announces 1 jobs but there are 2"),
        ("1 2\n0 1 1\n", "line 2", "odd number of values (3)"),
        ("1 2\n0 1 1 2.5\n", "line 2", "'2.5' is not an integer"),
        ("1 2\n0 1 2 1\n", "line 2", "machine 2 is out of range 0–1"),
        ("1 2\n-1 1 0 1\n", "line 2", "machine -1 is out of range"),
        ("1 2\n0 1 1 -4\n", "line 2", "duration -4 is negative"),
    ],
)
def test_each_malformation_is_named_with_its_line(text: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_instance(text, source="bad.txt")
    assert caught.value.fields[0].field == field
    assert words in caught.value.message
    assert "bad.txt" in caught.value.message


def test_a_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        load_instance(tmp_path / "absent")


def test_a_file_that_is_not_text_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "binary"
    path.write_bytes(b"\xff\xfe\x00\x01")
    with pytest.raises(InputError, match="cannot read"):
        load_instance(path)


def test_a_random_instance_is_written_and_read_back() -> None:
    instance = random_instance(6, 4, seed=11)
    assert all(sorted(op.machine for op in job) == [0, 1, 2, 3] for job in instance.jobs)
    assert all(1 <= op.duration <= 99 for job in instance.jobs for op in job)
    again = parse_instance(format_instance(instance), name=instance.name)
    assert again == instance
    assert random_instance(6, 4, seed=11) == instance != random_instance(6, 4, seed=12)
