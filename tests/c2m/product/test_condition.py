"""Usage conditions: ``!`` over ``&`` over ``|``, parentheses, clear errors, no way out of the grammar."""

from __future__ import annotations

import pytest

from zhizao.c2m.product.condition import (
    AllOf,
    AnyOf,
    Chosen,
    ConditionError,
    Not,
    codes_in,
    parse_condition,
)


def test_precedence_is_not_then_and_then_or() -> None:
    assert parse_condition("A | B & !C") == AnyOf((Chosen("A"), AllOf((Chosen("B"), Not(Chosen("C"))))))
    assert parse_condition("(A | B) & C") == AllOf((AnyOf((Chosen("A"), Chosen("B"))), Chosen("C")))


@pytest.mark.parametrize(
    ("text", "chosen", "holds"),
    [
        ("A & (B | !C)", {"A", "B"}, True),
        ("A & (B | !C)", {"A", "C"}, False),
        ("A & (B | !C)", {"A"}, True),
        ("!A", set(), True),
        ("!!A", {"A"}, True),
        ("true", set(), True),
        ("false | A", set(), False),
        ("  A\t&B  ", {"A", "B"}, True),
    ],
)
def test_conditions_evaluate_over_the_chosen_codes(text: str, chosen: set[str], holds: bool) -> None:
    assert parse_condition(text).holds(chosen) is holds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty condition"),
        ("A &", "ends too early"),
        ("A B", "unexpected 'B' at column 3"),
        ("(A | B", "'(' at column 1 is not closed"),
        ("A | )", "unexpected ')' at column 5"),
        ("A + B", "unexpected character '+' at column 3"),
        ("__import__('os')", "unexpected character"),
        ("!" * 60 + "A", "nested deeper than 50 levels"),
        ("(" * 60 + "A" + ")" * 60, "nested deeper than 50 levels"),
        ("A|" * 1500 + "A", "longer than 2000 characters"),
    ],
)
def test_malformed_conditions_say_what_and_where(text: str, message: str) -> None:
    with pytest.raises(ConditionError, match=message.replace("(", r"\(").replace(")", r"\)").replace("+", r"\+")):
        parse_condition(text)


def test_codes_in_lists_every_mentioned_option() -> None:
    assert codes_in(parse_condition("A & (B | !C) | true")) == {"A", "B", "C"}
