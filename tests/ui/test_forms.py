"""Form numbers: whatever a user or a script types, the form gets a number for its schema to judge, never a crash."""

from __future__ import annotations

import pytest

from zhizao.ui.forms import LARGEST_FORM_INT, optional_int


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        (None, None),
        ("", None),
        ("   ", None),
        ("42", 42),
        (" 7 ", 7),
        ("²", -1),  # str.isdigit() is true for it, int() is not
        ("١٢", -1),  # Arabic-Indic digits: int() would take them, ids are ASCII
        ("1e3", -1),
        ("-3", -1),
        (str(LARGEST_FORM_INT), LARGEST_FORM_INT),
        (str(LARGEST_FORM_INT + 1), -1),  # SQLite cannot bind it
        ("9" * 40, -1),
    ],
)
def test_optional_int(typed: str | None, expected: int | None) -> None:
    assert optional_int(typed) == expected
