"""A car-sequencing instance in the CSPLib prob001 format, and its parser.

The format: line 1 ``n_cars n_options n_classes``; line 2 the p of each option; line 3 the q of each option (at most
p cars needing the option in any q consecutive cars); then one line per class: ``index count o_1 … o_k`` with each
``o_i`` 0 or 1. Blank lines are skipped; errors name the line of the file they were found on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from zhizao.errors import InputError


@dataclass(frozen=True, slots=True)
class CapacityRule:
    """The p/q rule of one option station: at most ``p`` cars with the option in any ``q`` consecutive cars."""

    p: int
    q: int


@dataclass(frozen=True, slots=True)
class CarClass:
    """Cars that need the same options: ``index`` as the file numbers it, how many, and one flag per option."""

    index: int
    count: int
    options: tuple[bool, ...]


@dataclass(frozen=True, slots=True)
class Instance:
    name: str
    n_cars: int
    rules: tuple[CapacityRule, ...]
    classes: tuple[CarClass, ...]

    @property
    def n_options(self) -> int:
        return len(self.rules)

    def demand(self, option: int) -> int:
        """How many cars in all need ``option``."""
        return sum(car_class.count for car_class in self.classes if car_class.options[option])


def load_instance(path: Path) -> Instance:
    """Read and parse an instance file; a missing or unreadable file is an input error on ``instance``."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError.for_field("instance", f"no such file: {path}") from None
    except IsADirectoryError:
        raise InputError.for_field("instance", f"{path} is a folder, not an instance file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.for_field("instance", f"cannot read {path}: {exc}") from None
    return parse_instance(text, name=path.name)


def parse_instance(text: str, *, name: str = "instance") -> Instance:
    lines = [(number, line.split()) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise InputError.for_field("line 1", "the file is empty; expected `n_cars n_options n_classes`")
    header_line, header = lines[0]
    n_cars, n_options, n_classes = _integers(header_line, header, 3, "`n_cars n_options n_classes`")
    for value, what in ((n_cars, "n_cars"), (n_options, "n_options"), (n_classes, "n_classes")):
        if value < 1:
            raise InputError.for_field(f"line {header_line}", f"{what} must be at least 1, not {value}")
    if len(lines) < 3:
        raise InputError.for_field(f"line {lines[-1][0] + 1}", "missing: the p and q lines of the options")
    p_line, p_tokens = lines[1]
    q_line, q_tokens = lines[2]
    ps = _integers(p_line, p_tokens, n_options, f"the p of each of the {n_options} options")
    qs = _integers(q_line, q_tokens, n_options, f"the q of each of the {n_options} options")
    rules = tuple(_rule(option, p, q, p_line, q_line) for option, (p, q) in enumerate(zip(ps, qs, strict=True)))
    class_lines = lines[3:]
    if len(class_lines) != n_classes:
        where = class_lines[n_classes][0] if len(class_lines) > n_classes else (lines[-1][0] + 1)
        raise InputError.for_field(
            f"line {where}", f"the header announces {n_classes} classes but the file has {len(class_lines)} class lines"
        )
    classes = tuple(_car_class(number, tokens, n_options) for number, tokens in class_lines)
    _check_indices(classes, class_lines)
    total = sum(car_class.count for car_class in classes)
    if total != n_cars:
        raise InputError.for_field(
            f"line {header_line}", f"the class counts add up to {total} cars, but the header says n_cars = {n_cars}"
        )
    return Instance(name=name, n_cars=n_cars, rules=rules, classes=classes)


def _integers(line: int, tokens: list[str], expected: int, what: str) -> list[int]:
    if len(tokens) != expected:
        raise InputError.for_field(f"line {line}", f"expected {what} ({expected} numbers), found {len(tokens)}")
    values = []
    for token in tokens:
        try:
            values.append(int(token))
        except ValueError:
            raise InputError.for_field(f"line {line}", f"{token!r} is not a whole number ({what})") from None
    return values


def _rule(option: int, p: int, q: int, p_line: int, q_line: int) -> CapacityRule:
    if p < 1:
        raise InputError.for_field(f"line {p_line}", f"option {option + 1}: p must be at least 1, not {p}")
    if p > q:
        raise InputError.for_field(
            f"line {q_line}", f"option {option + 1}: q = {q} is smaller than p = {p} (line {p_line}); p ≤ q"
        )
    return CapacityRule(p=p, q=q)


def _car_class(line: int, tokens: list[str], n_options: int) -> CarClass:
    values = _integers(line, tokens, 2 + n_options, f"`index count` and {n_options} option flags")
    index, count, *flags = values
    if count < 0:
        raise InputError.for_field(f"line {line}", f"class {index}: the count must not be negative, not {count}")
    for option, flag in enumerate(flags):
        if flag not in (0, 1):
            raise InputError.for_field(
                f"line {line}", f"class {index}: option {option + 1} flag must be 0 or 1, not {flag}"
            )
    return CarClass(index=index, count=count, options=tuple(flag == 1 for flag in flags))


def _check_indices(classes: tuple[CarClass, ...], class_lines: list[tuple[int, list[str]]]) -> None:
    seen: set[int] = set()
    for car_class, (line, _tokens) in zip(classes, class_lines, strict=True):
        if car_class.index in seen:
            raise InputError.for_field(f"line {line}", f"class index {car_class.index} appears twice")
        seen.add(car_class.index)
