"""Enterprises from and to Excel: the template imports as it is, a workbook with any bad row registers nothing and
names every problem by row and column, and the export of a filtered list imports again."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from tests.conftest import World, bearer
from tests.programme.builders import programme_enterprise, valid_credit_code
from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import Role
from zhizao.programme.enterprises_excel import COLUMNS
from zhizao.programme.kinds import District, Industry

URL = "/api/programme/enterprises"


def _workbook(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(COLUMNS.values()))
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(serial: int, name: str, **cells: Any) -> list[Any]:
    values = {"name": name, "credit_code": valid_credit_code(serial), "industry": "汽车", "district": "嘉定区",
              "park": None, "size": "中型", "employees": 100.0, "annual_revenue_cny": 12000000,
              "address": None, "contact_name": None, "contact_phone": None, "contact_email": None, **cells}  # fmt: skip
    return [values[column] for column in COLUMNS]


def _import(client: TestClient, headers: dict[str, str], content: bytes) -> Any:
    files = {"file": ("enterprises.xlsx", content, "application/octet-stream")}
    return client.post(f"{URL}/import", files=files, headers=headers)


def _organisations(world: World) -> int:
    with world.database.session() as session:
        return session.scalar(select(func.count()).select_from(Organisation)) or 0


def test_the_template_imports_as_it_is(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    template = client.get(f"{URL}/import/template", headers=officer)
    assert template.status_code == 200 and "attachment" in template.headers["content-disposition"]
    report = _import(client, officer, template.content)
    assert report.status_code == 200, report.text
    assert report.json() == {"rows": 1, "registered": 1}
    listed = client.get(URL, headers=officer).json()["items"]
    assert [(row["industry"], row["district"], row["size"]) for row in listed] == [
        ("high_end_equipment", "pudong", "medium")
    ]


def test_a_workbook_with_bad_rows_registers_nothing_and_names_each_row(client: TestClient, world: World) -> None:
    programme_enterprise(world, name="已在库中的企业")
    officer = bearer(client, world.user(Role.OFFICER))
    taken_code = client.get(URL, headers=officer).json()["items"][0]["credit_code"]
    code = valid_credit_code(800010)
    rows = [
        _row(800001, "好企业一", industry="automotive", district="pudong", size="large"),  # row 2: fine (codes)
        _row(800002, "校验位错", credit_code=code[:-1] + ("0" if code[-1] != "0" else "1")),  # row 3
        _row(800003, "好企业二"),  # row 4: fine
        _row(800004, "行业不明", industry="钢铁", employees="很多"),  # row 5: two problems
        _row(800001, "重复代码"),  # row 6: the code of row 2
        _row(800005, "撞库代码", credit_code=taken_code),  # row 7: registered already
        _row(800006, "已在库中的企业"),  # row 8: the name is taken
        _row(800007, "无此园区", park="不存在的园区"),  # row 9
    ]
    before = _organisations(world)
    response = _import(client, officer, _workbook(rows))
    assert response.status_code == 422
    fields = [problem["field"] for problem in response.json()["error"]["fields"]]
    assert fields == [
        "rows[3].credit_code",
        "rows[5].industry",
        "rows[5].employees",
        "rows[6].credit_code",
        "rows[7].credit_code",
        "rows[8].name",
        "rows[9].park",
    ]
    messages = {problem["field"]: problem["message"] for problem in response.json()["error"]["fields"]}
    assert "check character" in messages["rows[3].credit_code"] and "汽车" in messages["rows[5].industry"]
    assert messages["rows[6].credit_code"] == "also in row 2" and "已在库中的企业" in messages["rows[7].credit_code"]
    assert _organisations(world) == before


def test_a_file_that_is_not_a_workbook_is_refused(client: TestClient, world: World) -> None:
    officer = bearer(client, world.user(Role.OFFICER))
    response = _import(client, officer, b"name,credit_code\n")
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "file"
    assert _import(client, bearer(client, world.user(Role.ENTERPRISE)), _workbook([])).status_code == 403


def test_the_filtered_export_imports_again(client: TestClient, world: World) -> None:
    programme_enterprise(world, Industry.AEROSPACE, District.MINHANG, name="闵行航天")
    programme_enterprise(world, Industry.AUTOMOTIVE, District.JIADING, name="嘉定汽车")
    officer = bearer(client, world.user(Role.OFFICER))
    exported = client.get(f"{URL}/export", params={"industry": "aerospace"}, headers=officer)
    assert exported.status_code == 200
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == tuple(COLUMNS.values())
    assert [(row[0], row[2], row[3]) for row in rows[1:]] == [("闵行航天", "航空航天", "闵行区")]

    renamed = [[f"{row[0]}（新）", valid_credit_code(800100), *row[2:]] for row in rows[1:]]
    again = _import(client, officer, _workbook(renamed))
    assert again.status_code == 200, again.text
    assert client.get(URL, params={"district": "minhang"}, headers=officer).json()["total"] == 2
