"""Reading and writing the one-sheet Excel workbooks that imports use: header mapping, rows, templates.

Every import in zhizao follows one shape: the first row holds headers, either the column codes (``order_no``) or
the Chinese names of the template (``订单号``); each later row is one record. Values arrive as trimmed strings, so
that each import parses them with the same rules as its JSON API (through its Pydantic schemas).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from openpyxl import Workbook, load_workbook
from pydantic import ValidationError

from zhizao.errors import FieldProblem, InputError, plain_message

DEFAULT_MAX_ROWS = 20_000
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def header_map(header: Sequence[Any], columns: Mapping[str, str], required: Sequence[str]) -> dict[str, int]:
    """Column code → index in the sheet, from a header row naming columns by code or by template name."""
    by_name = {name: code for code, name in columns.items()} | {code: code for code in columns}
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        code = by_name.get(str(cell).strip()) if cell is not None else None
        if code:
            found[code] = index
    missing = [columns[code] for code in required if code not in found]
    if missing:
        raise InputError.for_field("file", f"missing columns: {', '.join(missing)}")
    return found


def _text(value: Any) -> str:
    """A cell as text. Dates and times become ISO 8601, which ``datetime.fromisoformat`` reads back."""
    if value is None:
        return ""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).strip()


def read_rows(
    content: bytes,
    columns: Mapping[str, str],
    required: Sequence[str],
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[dict[str, str]]:
    """The data rows of the first sheet as ``{column code: text}``; blank rows are skipped."""
    if len(content) > max_bytes:
        raise InputError.for_field("file", f"larger than {max_bytes // (1024 * 1024)} MiB")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError.for_field("file", "is not an Excel .xlsx workbook") from exc
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        found = header_map(next(rows, ()), columns, required)
        parsed: list[dict[str, str]] = []
        for values in rows:
            if all(value in (None, "") for value in values):
                continue
            if len(parsed) >= max_rows:
                raise InputError.for_field("file", f"more than {max_rows} rows")
            parsed.append({code: _text(values[index]) if index < len(values) else "" for code, index in found.items()})
    finally:
        workbook.close()
    return parsed


def row_problems(number: int, error: ValidationError) -> list[FieldProblem]:
    """A schema's validation errors as ``row N: field`` problems."""
    problems = []
    for detail in error.errors():
        field = str(detail["loc"][0]) if detail["loc"] else "row"
        problems.append(FieldProblem(f"row {number}: {field}", plain_message(detail["msg"])))
    return problems


def template_workbook(title: str, headers: Sequence[str], examples: Sequence[Sequence[Any]]) -> bytes:
    """A one-sheet workbook with the header row and example rows: an import's downloadable template, and the
    exports that import again. Text is always text: a value typed as "=…" is never written as a formula that
    Excel would run when the file is opened (CSV/formula injection)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(headers))
    for example in examples:
        sheet.append(list(example))
    for cells in sheet.iter_rows():
        for cell in cells:
            if cell.data_type == "f":
                cell.data_type = "s"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
