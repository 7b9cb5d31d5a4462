"""Product model definitions as they arrive (an uploaded JSON or YAML file, a JSON body) and as they are stored
(``ProductModelRow.definition``), turned into :class:`ProductModel` with every problem named by its field.

A stored definition is never edited, so its parsed model is kept in a small cache keyed by the definition's text:
parsing and validating the demo vehicle takes about 20 ms, and every configurator step needs the model.
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from typing import Any

import yaml

from zhizao.c2m.models import ProductModelRow
from zhizao.c2m.product.loading import parse_product_model, parse_product_model_json
from zhizao.c2m.product.model import ProductModel
from zhizao.errors import InputError

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
# YAML anchors can make a small file stand for an enormous document (the "billion laughs"); the largest realistic
# model has some tens of thousands of values, so anything past this is refused before it is expanded.
MAX_VALUES = 500_000
MAX_DEPTH = 64  # a model nests about 6 levels deep
CACHE_SIZE = 16

_cache: OrderedDict[str, ProductModel] = OrderedDict()
_lock = threading.Lock()


def parse_upload(content: bytes, filename: str | None, *, field: str = "file") -> ProductModel:
    """A model from an uploaded file: JSON when it is named ``*.json`` or starts with ``{``, else YAML."""
    if len(content) > MAX_UPLOAD_BYTES:
        raise InputError.for_field(field, f"larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MiB")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError.for_field(field, f"not UTF-8 text: {exc.reason} at byte {exc.start}") from exc
    if not text.strip():
        raise InputError.for_field(field, "the file is empty")
    if (filename or "").lower().endswith(".json") or text.lstrip().startswith("{"):
        return parse_product_model_json(text, root=field)
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError.for_field(field, f"not YAML or JSON: {_first_line(exc)}") from exc
    except RecursionError as exc:
        raise InputError.for_field(field, f"nested deeper than {MAX_DEPTH} levels: not a product model") from exc
    ensure_bounded(data, field)
    return parse_product_model(data, root=field)


def parse_body(data: object, *, field: str = "body") -> ProductModel:
    """A model sent as a JSON request body (already parsed by the web layer)."""
    ensure_bounded(data, field)
    return parse_product_model(data, root=field)


def ensure_bounded(data: object, field: str) -> None:
    """Refuse a document with more than ``MAX_VALUES`` values (shared, aliased parts counted each time they are
    used) or nested deeper than ``MAX_DEPTH``, before anything recursive reads it."""
    budget = MAX_VALUES
    stack: list[tuple[object, int]] = [(data, 0)]
    while stack:
        item, depth = stack.pop()
        budget -= 1
        if budget < 0:
            raise InputError.for_field(field, f"more than {MAX_VALUES:,} values: not a product model")
        if depth > MAX_DEPTH:
            raise InputError.for_field(field, f"nested deeper than {MAX_DEPTH} levels: not a product model")
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in (*item.keys(), *item.values()))
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)


def stored_definition(model: ProductModel) -> dict[str, Any]:
    """What ``ProductModelRow.definition`` holds: the model as JSON data (money and numbers as strings)."""
    return model.model_dump(mode="json")


def model_of(row: ProductModelRow) -> ProductModel:
    """The stored version's model (parsed once per distinct definition)."""
    key = json.dumps(row.definition, sort_keys=True, ensure_ascii=False)
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    model = parse_product_model_json(key, root="definition")
    with _lock:
        _cache[key] = model
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return model


def _first_line(exc: yaml.YAMLError) -> str:
    return " ".join(str(exc).split())[:300]
