"""Reading a product model from JSON, YAML or parsed data, with every problem named by its field
(``body.rules.3.any_of.1``), and the demo vehicle shipped with the package."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import ValidationError

from zhizao.c2m.product.model import DEFER_REFERENCE_CHECKS, RULE_KINDS, ProductModel
from zhizao.c2m.product.references import reference_problems
from zhizao.errors import FieldProblem, InputError, plain_message

DEMO_FILE = "vehicle_demo.yaml"


def parse_product_model_json(text: str | bytes, *, root: str = "body") -> ProductModel:
    """A model from JSON (a stored version, a request body). Strict: numbers stay numbers, codes stay strings."""
    try:
        model = ProductModel.model_validate_json(text, context={DEFER_REFERENCE_CHECKS: True})
    except ValidationError as exc:
        raise _input_error(exc, root) from exc
    problems = reference_problems(model)
    if problems:
        fields = [FieldProblem(_join(root, problem.field), problem.message) for problem in problems]
        raise InputError(_summary(fields), fields=fields)
    return model


def parse_product_model(data: object, *, root: str = "body") -> ProductModel:
    """A model from parsed data (YAML, a dict). It goes through JSON so that the same strict rules apply to a file
    as to a request: a price may be written 12000 or "12000.00", never as a list or a date."""
    try:
        text = json.dumps(data, default=_decimal_as_text, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise InputError.for_field(root or "model", f"holds a value JSON cannot carry: {exc}") from exc
    return parse_product_model_json(text, root=root)


def load_product_model_file(path: Path) -> ProductModel:
    """A model from a YAML (or JSON) file; problems are named by their path in the file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError.for_field("model", f"{path}: cannot be read ({exc})") from exc
    except yaml.YAMLError as exc:
        raise InputError.for_field("model", f"{path}: not YAML ({exc})") from exc
    return parse_product_model(data, root="")


@cache
def load_demo_model() -> ProductModel:
    """The demo electric SUV: about 40 option families, realistic rules, super-BOM and routing."""
    text = files("zhizao.c2m.product").joinpath("data", DEMO_FILE).read_text(encoding="utf-8")
    return parse_product_model(yaml.safe_load(text), root="")


def _decimal_as_text(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} {value!r}")


def _input_error(exc: ValidationError, root: str) -> InputError:
    errors = exc.errors(include_url=False)
    # A list whose item failed is also reported as too short (pydantic counts the valid items); say it once.
    failed = [problem["loc"] for problem in errors]
    fields = [
        FieldProblem(_join(root, _path(problem["loc"])), plain_message(problem["msg"]))
        for problem in errors
        if not (
            problem["type"] == "too_short"
            and any(loc[: len(problem["loc"])] == problem["loc"] and loc != problem["loc"] for loc in failed)
        )
    ]
    return InputError(_summary(fields), fields=fields)


def _path(loc: tuple[int | str, ...]) -> str:
    """``rules.3.requires.any_of`` → ``rules.3.any_of``: pydantic puts the union's tag into the path; the document
    has no such level."""
    parts = [str(part) for part in loc]
    if len(parts) >= 3 and parts[0] == "rules" and parts[2] in RULE_KINDS:
        del parts[2]
    return ".".join(parts)


def _join(root: str, path: str) -> str:
    if not root:
        return path or "model"
    return f"{root}.{path}" if path else root


def _summary(fields: list[FieldProblem]) -> str:
    shown = "; ".join(f"{field.field}: {field.message}" for field in fields[:5])
    more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
    return f"not a valid product model: {shown}{more}"
