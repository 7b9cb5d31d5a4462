"""Enterprises to and from Excel: the import template, an all-or-nothing import and the export of a filtered list.

One sheet, one enterprise a row; headers are the template's Chinese names or the column codes. Industry, district
and size may be written as the template writes them (汽车, 浦东新区, 中型) or as their codes (automotive, pudong,
medium); the park by its name. Every row is checked with the API's own schema, against the other rows (a credit
code or name twice in the file) and against the database; any problem, each reported as ``rows[N].column`` with N
the sheet's row number, and nothing is written. The export writes the same columns, so it imports again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit, credit_code
from zhizao.accounts.principal import Principal
from zhizao.errors import FieldProblem, InputError, plain_message
from zhizao.programme.kinds import District, EnterpriseSize, Industry
from zhizao.programme.models import Park
from zhizao.programme.schemas_enterprises import EnterpriseCreate, EnterpriseImportReport, EnterpriseRead
from zhizao.programme.service_enterprises import ORGANISATION_DISTRICT, stage_enterprise, taken_names_and_codes
from zhizao.ui import spreadsheet

# column code → header shown in the template (zh-CN), in template order
COLUMNS: dict[str, str] = {
    "name": "企业名称", "credit_code": "统一社会信用代码", "industry": "行业", "district": "所在区",
    "park": "园区", "size": "企业规模", "employees": "员工人数", "annual_revenue_cny": "年营业收入（元）",
    "address": "地址", "contact_name": "联系人", "contact_phone": "联系电话", "contact_email": "电子邮箱",
}  # fmt: skip
REQUIRED = ("name", "credit_code", "industry", "district", "size")
OPTIONAL_TEXT = ("address", "contact_name", "contact_phone", "contact_email")

# How the sheet writes each value (the glossary's terms); codes are accepted as well.
INDUSTRY_CELLS: dict[Industry, str] = {
    Industry.AUTOMOTIVE: "汽车", Industry.ELECTRONICS: "电子信息", Industry.HIGH_END_EQUIPMENT: "高端装备",
    Industry.BIOMEDICINE: "生物医药", Industry.AEROSPACE: "航空航天", Industry.CHEMICALS_MATERIALS: "绿色化工及新材料",
    Industry.FMCG_ENVIRONMENTAL: "快消品、节能环保等",
}  # fmt: skip
SIZE_CELLS: dict[EnterpriseSize, str] = {
    EnterpriseSize.LARGE: "大型", EnterpriseSize.MEDIUM: "中型",
    EnterpriseSize.SMALL: "小型", EnterpriseSize.MICRO: "微型",
}  # fmt: skip
DISTRICT_CELLS: Mapping[District, str] = ORGANISATION_DISTRICT
CHOICES: dict[str, Mapping[Any, str]] = {"industry": INDUSTRY_CELLS, "district": DISTRICT_CELLS, "size": SIZE_CELLS}
Choice = TypeVar("Choice", bound=StrEnum)


def _choice(text: str, cells: Mapping[Choice, str]) -> Choice | str:
    """The member a cell names (by its sheet name or its code); unknown text is left for the schema to refuse."""
    for member, cell in cells.items():
        if text in (cell, member.value):
            return member
    return text


def _whole_number(text: str) -> str | None:
    """Excel stores numbers as floats: 120.0 is 120. Blank is None; anything else goes to the schema as text."""
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return text
    # Bounded before int(): a cell of 1E999999999 must not become a billion-digit integer.
    whole = value.is_finite() and value.adjusted() < 18 and value == value.to_integral_value()
    return str(int(value)) if whole else text


def _schema_problems(number: int, error: ValidationError) -> list[FieldProblem]:
    problems = []
    for detail in error.errors():
        column = str(detail["loc"][0]) if detail["loc"] else "row"
        message = plain_message(detail["msg"])
        if column in CHOICES:  # name the values the sheet uses, not only the codes
            message = f"must be one of {'、'.join(CHOICES[column].values())}"
        problems.append(FieldProblem(f"rows[{number}].{column}", message))
    return problems


def _parse_row(
    number: int, row: Mapping[str, str], parks: Mapping[str, int]
) -> tuple[EnterpriseCreate | None, list[FieldProblem]]:
    """One row as the API's registration body, or every problem the row has."""
    problems = []
    park_name = row.get("park", "")
    if park_name and park_name not in parks:
        problems.append(FieldProblem(f"rows[{number}].park", f"no park named {park_name!r}"))
    try:
        spec = EnterpriseCreate.model_validate(
            {
                "name": row["name"],
                "credit_code": row["credit_code"],
                "industry": _choice(row["industry"], INDUSTRY_CELLS),
                "district": _choice(row["district"], DISTRICT_CELLS),
                "size": _choice(row["size"], SIZE_CELLS),
                "park_id": parks.get(park_name),
                "employees": _whole_number(row.get("employees", "")),
                "annual_revenue_cny": row.get("annual_revenue_cny") or None,
                **{column: row.get(column) or None for column in OPTIONAL_TEXT},
            }
        )
    except ValidationError as exc:
        return None, [*problems, *_schema_problems(number, exc)]
    return (None if problems else spec), problems


def check_rows(
    session: Session, rows: Sequence[Mapping[str, str]]
) -> tuple[list[EnterpriseCreate], list[FieldProblem]]:
    """Every row parsed, or every problem found, in row order (numbered as in the sheet, the header being row 1):
    the schema's, a credit code or name used twice in the file, and one registered already."""
    parks: dict[str, int] = dict(session.execute(select(Park.name, Park.id)).all())
    specs: list[tuple[int, EnterpriseCreate]] = []
    problems: list[tuple[int, FieldProblem]] = []
    first_row_of: dict[tuple[str, str], int] = {}
    for number, row in enumerate(rows, start=2):
        spec, found = _parse_row(number, row, parks)
        problems += [(number, problem) for problem in found]
        if spec is None:
            continue
        for column, value in (("credit_code", spec.credit_code), ("name", spec.name)):
            earlier = first_row_of.setdefault((column, value), number)
            if earlier != number:
                problems.append((number, FieldProblem(f"rows[{number}].{column}", f"also in row {earlier}")))
        specs.append((number, spec))
    taken_names, taken_codes = taken_names_and_codes(
        session, [spec.name for _, spec in specs], [spec.credit_code for _, spec in specs]
    )
    for number, spec in specs:
        if spec.credit_code in taken_codes:
            message = f"already registered to {taken_codes[spec.credit_code]}"
            problems.append((number, FieldProblem(f"rows[{number}].credit_code", message)))
        if spec.name in taken_names:
            message = "an organisation of this name is registered already"
            problems.append((number, FieldProblem(f"rows[{number}].name", message)))
    problems.sort(key=lambda entry: entry[0])
    return [spec for _, spec in specs], [problem for _, problem in problems]


def import_enterprises(session: Session, actor: Principal, content: bytes) -> EnterpriseImportReport:
    """Register every enterprise of the workbook in one transaction, or none of them."""
    rows = spreadsheet.read_rows(content, COLUMNS, REQUIRED)
    if not rows:
        raise InputError.for_field("file", "has no data rows")
    with session.begin():
        specs, problems = check_rows(session, rows)
        if problems:
            raise InputError(f"{len(problems)} problems in the workbook; nothing was imported", fields=problems[:200])
        for spec in specs:
            stage_enterprise(session, spec)
        report = EnterpriseImportReport(rows=len(rows), registered=len(specs))
        audit.record(
            session, actor, action="programme_enterprise.import", entity_type="programme_enterprise",
            after={**report.model_dump(), "credit_codes": [spec.credit_code for spec in specs]},
        )  # fmt: skip
    return report


def _cells(enterprise: EnterpriseRead) -> list[object]:
    return [
        enterprise.name, enterprise.credit_code, INDUSTRY_CELLS[enterprise.industry],
        DISTRICT_CELLS[enterprise.district], enterprise.park_name, SIZE_CELLS[enterprise.size], enterprise.employees,
        enterprise.annual_revenue_cny, enterprise.address, enterprise.contact_name,
        enterprise.contact_phone, enterprise.contact_email,
    ]  # fmt: skip


def export_workbook(enterprises: Sequence[EnterpriseRead]) -> bytes:
    """The enterprises in the import's columns: a filtered list that can be edited and imported elsewhere."""
    return spreadsheet.template_workbook("企业库", list(COLUMNS.values()), [_cells(row) for row in enterprises])


def template_workbook() -> bytes:
    """The import template: the header row and one example enterprise with a valid credit code."""
    example = [
        "上海示例精密机械有限公司", credit_code.complete("91310115MA1K4ABC2"),
        INDUSTRY_CELLS[Industry.HIGH_END_EQUIPMENT], DISTRICT_CELLS[District.PUDONG], "",
        SIZE_CELLS[EnterpriseSize.MEDIUM], 320, 186000000,
        "浦东新区示例路 88 号", "王工", "021-58880000", "contact@example.com",
    ]  # fmt: skip
    return spreadsheet.template_workbook("企业导入", list(COLUMNS.values()), [example])
