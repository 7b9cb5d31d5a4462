"""Usage conditions of super-BOM lines and routing operations: boolean expressions over option codes.

Grammar (``!`` binds tighter than ``&``, which binds tighter than ``|``)::

    expression := term ('|' term)*
    term       := factor ('&' factor)*
    factor     := '!' factor | '(' expression ')' | CODE | 'true' | 'false'

A hand-written recursive-descent parser, never ``eval``: the text comes from whoever edits a model. Depth and length
are bounded so that a hostile expression cannot exhaust the stack.
"""

from __future__ import annotations

import re
from collections.abc import Set
from dataclasses import dataclass
from functools import lru_cache

MAX_LENGTH = 2000
MAX_DEPTH = 50
_TOKEN = re.compile(r"\s*(?:(?P<code>[A-Za-z_][A-Za-z0-9_]*)|(?P<symbol>[&|!()]))")


class ConditionError(ValueError):
    """A condition that does not parse; the message says where."""


@dataclass(frozen=True, slots=True)
class Constant:
    value: bool

    def holds(self, chosen: Set[str]) -> bool:
        return self.value


@dataclass(frozen=True, slots=True)
class Chosen:
    code: str

    def holds(self, chosen: Set[str]) -> bool:
        return self.code in chosen


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expression

    def holds(self, chosen: Set[str]) -> bool:
        return not self.operand.holds(chosen)


@dataclass(frozen=True, slots=True)
class AllOf:
    operands: tuple[Expression, ...]

    def holds(self, chosen: Set[str]) -> bool:
        return all(operand.holds(chosen) for operand in self.operands)


@dataclass(frozen=True, slots=True)
class AnyOf:
    operands: tuple[Expression, ...]

    def holds(self, chosen: Set[str]) -> bool:
        return any(operand.holds(chosen) for operand in self.operands)


Expression = Constant | Chosen | Not | AllOf | AnyOf


def codes_in(expression: Expression) -> frozenset[str]:
    """The option codes an expression mentions."""
    if isinstance(expression, Chosen):
        return frozenset((expression.code,))
    if isinstance(expression, Not):
        return codes_in(expression.operand)
    if isinstance(expression, AllOf | AnyOf):
        return frozenset().union(*(codes_in(operand) for operand in expression.operands))
    return frozenset()


@lru_cache(maxsize=4096)
def parse_condition(text: str) -> Expression:
    """The expression of ``text``; ``ConditionError`` (with the column) when it does not parse."""
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"longer than {MAX_LENGTH} characters")
    return _Parser(text).parse()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens: list[tuple[str, int]] = []  # (token, column from 1)
        position = 0
        while position < len(text):
            match = _TOKEN.match(text, position)
            if match is None:
                first = len(text) - len(text[position:].lstrip())
                if first == len(text):
                    break  # trailing white space
                raise ConditionError(f"unexpected character {text[first]!r} at column {first + 1}")
            token = match.group("code") or match.group("symbol")
            self.tokens.append((token, match.start(match.lastgroup or 0) + 1))
            position = match.end()
        self.index = 0

    def parse(self) -> Expression:
        if not self.tokens:
            raise ConditionError("empty condition")
        expression = self._expression(0)
        if self.index < len(self.tokens):
            token, column = self.tokens[self.index]
            raise ConditionError(f"unexpected {token!r} at column {column}")
        return expression

    def _peek(self) -> str | None:
        return self.tokens[self.index][0] if self.index < len(self.tokens) else None

    def _expression(self, depth: int) -> Expression:
        operands = [self._term(depth)]
        while self._peek() == "|":
            self.index += 1
            operands.append(self._term(depth))
        return operands[0] if len(operands) == 1 else AnyOf(tuple(operands))

    def _term(self, depth: int) -> Expression:
        operands = [self._factor(depth)]
        while self._peek() == "&":
            self.index += 1
            operands.append(self._factor(depth))
        return operands[0] if len(operands) == 1 else AllOf(tuple(operands))

    def _factor(self, depth: int) -> Expression:
        if depth > MAX_DEPTH:
            raise ConditionError(f"nested deeper than {MAX_DEPTH} levels")
        if self.index >= len(self.tokens):
            raise ConditionError("ends too early: an option code, '!' or '(' is missing")
        symbol, column = self.tokens[self.index]
        self.index += 1
        if symbol == "!":
            return Not(self._factor(depth + 1))
        if symbol == "(":
            inner = self._expression(depth + 1)
            if self._peek() != ")":
                raise ConditionError(f"'(' at column {column} is not closed")
            self.index += 1
            return inner
        if symbol in {"true", "false"}:
            return Constant(symbol == "true")
        if symbol in {"&", "|", ")"}:
            raise ConditionError(f"unexpected {symbol!r} at column {column}")
        return Chosen(symbol)
