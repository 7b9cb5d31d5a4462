"""The Excel template for what an enterprise enters for programme KPIs, and its import. Pure: bytes in, records out.

Three sheets — labour hours per month, operating costs per month and category with their price index, and
deliveries — with Chinese headers (English column codes are accepted too, as are sheet names by code). The
import is all-or-nothing: it returns every record, or raises one ``InputError`` with a ``FieldProblem`` for each
bad cell, named ``<sheet>.rows[<Excel row number>].<column code>`` (e.g. ``deliveries.rows[12].order_date``).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation
from pydantic import BaseModel, ValidationError

from zhizao.errors import FieldProblem, InputError, plain_message
from zhizao.production.programme_inputs import CostCategory, CostLine, Delivery, EnteredRecords, LabourMonth

MAX_ROWS = 20_000  # per sheet
MAX_BYTES = 5 * 1024 * 1024

CATEGORY_LABELS: dict[CostCategory, str] = {
    CostCategory.MATERIALS: "材料",
    CostCategory.LABOUR: "人工",
    CostCategory.ENERGY: "能源",
    CostCategory.MAINTENANCE: "维修",
    CostCategory.OTHER: "其他",
}


@dataclass(frozen=True)
class SheetSpec:
    code: str
    title: str  # the sheet's name in the template
    columns: dict[str, str]  # column code (= the record's field name) → header in the template, in order
    example: str  # what the instructions sheet says about it


SHEETS = (
    SheetSpec("labour", "工时", {"month": "月份", "hours": "工时（小时）"}, "每月一行：该月全部生产人员的实际工时合计"),
    SheetSpec(
        "costs",
        "成本",
        {"month": "月份", "category": "成本类别", "amount": "金额（元）", "price_index": "价格指数（基期=100）"},
        "每月每个成本类别一行；某类别当月无成本时填 0；价格指数以基期价格为 100",
    ),
    SheetSpec(
        "deliveries",
        "交付",
        {
            "order_id": "订单编号",
            "product": "产品编码",
            "quantity": "数量",
            "order_date": "下单日期",
            "delivery_date": "交付日期",
        },
        "每个已交付订单一行；日期格式 2024-01-31",
    ),
)
INSTRUCTIONS_TITLE = "说明"

_MONTH = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$")
_DATE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def template_workbook() -> bytes:
    """The empty template: one sheet per record kind with its headers, and a sheet that explains them."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for spec in SHEETS:
        sheet = workbook.create_sheet(spec.title)
        sheet.append(list(spec.columns.values()))
        for index, header in enumerate(spec.columns.values()):
            sheet.column_dimensions[chr(ord("A") + index)].width = max(14, 2 * len(header) + 4)
        if spec.code == "costs":
            categories = DataValidation(type="list", formula1='"' + ",".join(CATEGORY_LABELS.values()) + '"')
            categories.add(f"B2:B{MAX_ROWS + 1}")
            sheet.add_data_validation(categories)
    notes = workbook.create_sheet(INSTRUCTIONS_TITLE)
    notes.append(["工作表", "列", "列代码", "说明"])
    for spec in SHEETS:
        for code, header in spec.columns.items():
            notes.append([spec.title, header, code, spec.example])
    labels = "、".join(f"{label}（{category.value}）" for category, label in CATEGORY_LABELS.items())
    notes.append(["成本", "成本类别", "category", f"可填：{labels}"])
    notes.append(["全部", "月份", "month", "格式 2024-01；文件必须整体无误才会导入"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_entered_records(content: bytes) -> EnteredRecords:
    """Every record in the workbook, or ``InputError`` listing every problem (nothing is partially read)."""
    if len(content) > MAX_BYTES:
        raise InputError.for_field("file", f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise InputError.for_field("file", "is not an Excel .xlsx workbook") from exc
    try:
        problems: list[FieldProblem] = []
        tables = {spec.code: _read_sheet(workbook, spec, problems) for spec in SHEETS}
    finally:
        workbook.close()
    labour = _records(tables["labour"], "labour", LabourMonth, LABOUR_PARSERS, problems)
    costs = _records(tables["costs"], "costs", CostLine, COST_PARSERS, problems)
    deliveries = _records(tables["deliveries"], "deliveries", Delivery, DELIVERY_PARSERS, problems)
    # Duplicates are found among all rows whose key cells read, so a row with another problem still counts.
    _duplicates("labour", _keys(tables["labour"], {"month": _month}), "month", problems)
    _duplicates("costs", _keys(tables["costs"], {"month": _month, "category": _category}), "category", problems)
    _duplicates("deliveries", _keys(tables["deliveries"], {"order_id": _text}), "order_id", problems)
    if problems:
        raise InputError(f"{len(problems)} problems in the workbook; nothing was imported", fields=problems)
    return EnteredRecords(
        labour=tuple(record for _, record in labour),
        costs=tuple(record for _, record in costs),
        deliveries=tuple(record for _, record in deliveries),
    )


Row = tuple[int, dict[str, Any]]  # Excel row number, cell value by column code


def _read_sheet(workbook: Any, spec: SheetSpec, problems: list[FieldProblem]) -> list[Row]:
    names = {spec.title, spec.code}
    sheet = next((workbook[name] for name in workbook.sheetnames if str(name).strip() in names), None)
    if sheet is None:
        problems.append(FieldProblem(spec.code, f"the workbook has no sheet named {spec.title} ({spec.code})"))
        return []
    rows: Iterator[tuple[Any, ...]] = sheet.iter_rows(values_only=True)
    header = next(rows, ())
    by_name = {name: code for code, name in spec.columns.items()} | {code: code for code in spec.columns}
    columns = {by_name[str(cell).strip()]: index for index, cell in enumerate(header) if str(cell).strip() in by_name}
    missing = [name for code, name in spec.columns.items() if code not in columns]
    if missing:
        problems.append(FieldProblem(spec.code, f"missing columns: {', '.join(missing)}"))
        return []
    parsed: list[Row] = []
    for number, values in enumerate(rows, start=2):  # row 1 is the header
        if all(value is None or str(value).strip() == "" for value in values):
            continue
        if len(parsed) >= MAX_ROWS:
            problems.append(FieldProblem(spec.code, f"more than {MAX_ROWS} rows"))
            return []
        cells = {code: values[index] if index < len(values) else None for code, index in columns.items()}
        parsed.append((number, cells))
    return parsed


Parsers = dict[str, Callable[[Any], Any]]  # column code → cell parser
M = TypeVar("M", bound=BaseModel)


def _records(
    rows: list[Row], sheet: str, model: type[M], parsers: Parsers, problems: list[FieldProblem]
) -> list[tuple[int, M]]:
    """Each row parsed cell by cell, then validated as ``model``; every bad cell becomes a problem, not a record."""
    records: list[tuple[int, M]] = []
    for number, cells in rows:
        where = f"{sheet}.rows[{number}]"
        values, failures = _parse_cells(cells, parsers)
        problems.extend(FieldProblem(f"{where}.{column}", message) for column, message in failures.items())
        try:
            record = model.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                column = str(error["loc"][0]) if error["loc"] else ""
                if column in failures:
                    continue  # already reported as unreadable; the model only misses it
                path = f"{where}.{column}" if column else where
                problems.append(FieldProblem(path, plain_message(error["msg"])))
            continue
        if not failures:
            records.append((number, record))
    return records


def _parse_cells(cells: dict[str, Any], parsers: Parsers) -> tuple[dict[str, Any], dict[str, str]]:
    """The cells that parse, and a message for each that does not, so a row's problems are reported together."""
    values: dict[str, Any] = {}
    failures: dict[str, str] = {}
    for column, parse in parsers.items():
        cell = cells.get(column)
        if cell is None or str(cell).strip() == "":
            failures[column] = "is empty"
            continue
        try:
            values[column] = parse(cell)
        except ValueError as exc:
            failures[column] = str(exc)
    return values, failures


def _keys(rows: list[Row], parsers: Parsers) -> list[tuple[int, str]]:
    """Each row's identifying cells as one text, for rows whose identifying cells parse."""
    keys: list[tuple[int, str]] = []
    for number, cells in rows:
        values, failures = _parse_cells(cells, parsers)
        if not failures:
            keys.append((number, " ".join(str(value) for value in values.values())))
    return keys


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # an order number typed as 1001 arrives as 1001.0
    return str(value).strip()


def _month(value: Any) -> str:
    if isinstance(value, date):  # Excel turns a typed "2024-01" into the date 2024-01-01
        return f"{value.year:04d}-{value.month:02d}"
    match = _MONTH.match(str(value).strip())
    if match is None or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"{value!r} is not a month (write 2024-01)")
    return f"{int(match[1]):04d}-{int(match[2]):02d}"


def _date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.match(str(value).strip())
    try:
        if match is None:
            raise ValueError
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"{value!r} is not a date (write 2024-01-31)") from None


def _decimal(value: Any) -> Decimal:
    if isinstance(value, (bool, date)):
        raise ValueError(f"{value!r} is not a number")
    # A float cell is read back through its shortest repr, so 1234.56 stays 1234.56 rather than its binary value.
    text = str(value).strip().replace(",", "").replace("，", "").replace(" ", "")
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return number


def _count(value: Any) -> int:
    number = _decimal(value)
    if number != number.to_integral_value():
        raise ValueError(f"{value!r} is not a whole number")
    return int(number)


def _category(value: Any) -> CostCategory:
    text = str(value).strip()
    for category, label in CATEGORY_LABELS.items():
        if text in (label, category.value):
            return category
    choices = "、".join(CATEGORY_LABELS.values())
    raise ValueError(f"unknown cost category {text!r} (one of {choices})")


LABOUR_PARSERS: Parsers = {"month": _month, "hours": _decimal}
COST_PARSERS: Parsers = {"month": _month, "category": _category, "amount": _decimal, "price_index": _decimal}
DELIVERY_PARSERS: Parsers = {
    "order_id": _text,
    "product": _text,
    "quantity": _count,
    "order_date": _date,
    "delivery_date": _date,
}


def _duplicates(sheet: str, keys: list[tuple[int, str]], column: str, problems: list[FieldProblem]) -> None:
    first: dict[str, int] = {}
    for number, key in keys:
        if key in first:
            problems.append(FieldProblem(f"{sheet}.rows[{number}].{column}", f"{key} repeats row {first[key]}"))
        else:
            first[key] = number
