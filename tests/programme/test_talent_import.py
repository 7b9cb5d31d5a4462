"""Trainees from Excel: all rows or none, every problem named by row and column; registered employers linked by
name; the export lists outcomes, keeps text typed as a formula as text, and imports back into another cohort."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import Workbook, load_workbook

from tests.conftest import World, bearer
from tests.programme.tenant_cases_community import cohort
from zhizao.accounts.roles import Role
from zhizao.ui.spreadsheet import XLSX_MEDIA_TYPE

API = "/api/programme"
HEADER = ["姓名", "工作单位", "证件号码", "手机号码"]


def workbook(rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _upload(client: TestClient, headers: dict[str, str], cohort_id: int, content: bytes) -> Any:
    files = {"file": ("trainees.xlsx", content, XLSX_MEDIA_TYPE)}
    return client.post(f"{API}/cohorts/{cohort_id}/trainees/import", files=files, headers=headers)


def test_a_workbook_with_bad_rows_imports_nothing(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.OFFICER))
    cohort_id = cohort(world)
    rows = [
        ["张伟", "上海某汽车零部件有限公司", "310101199001011234", 13800138000],
        ["", "某大学", "", ""],  # no name
        ["李娜", "某大学", "", "call me"],  # not a phone
        ["王芳", "某大学", "310101199001011234", ""],  # the id number of row 2 again
    ]
    response = _upload(client, headers, cohort_id, workbook(rows))
    assert response.status_code == 422, response.text
    fields = [problem["field"] for problem in response.json()["error"]["fields"]]
    assert fields == ["row 3: name", "row 4: phone", "row 5: id_number"]
    assert client.get(f"{API}/cohorts/{cohort_id}/trainees", headers=headers).json() == []


def test_a_good_workbook_enrols_everyone(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.OFFICER))
    employer_id = world.organisation(name="上海电气集团股份有限公司")
    cohort_id = cohort(world)
    rows = [["张伟", "上海电气集团股份有限公司", "", 13800138000], ["李娜", "上海交通大学", "A1234567", ""]]
    response = _upload(client, headers, cohort_id, workbook(rows))
    assert response.status_code == 200, response.text
    assert response.json() == {"rows": 2, "created": 2}
    trainees = client.get(f"{API}/cohorts/{cohort_id}/trainees", headers=headers).json()
    assert [(t["name"], t["employer_id"], t["phone"], t["status"]) for t in trainees] == [
        ("张伟", employer_id, "13800138000", "enrolled"),
        ("李娜", None, None, "enrolled"),
    ]


def test_a_workbook_larger_than_the_free_seats_imports_nothing(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.OFFICER))
    cohort_id = cohort(world, capacity=1)
    response = _upload(client, headers, cohort_id, workbook([["张伟", "某公司", "", ""], ["李娜", "某公司", "", ""]]))
    assert response.status_code == 409 and response.json()["error"]["fields"][0]["field"] == "file"
    assert client.get(f"{API}/cohorts/{cohort_id}/trainees", headers=headers).json() == []


def test_missing_columns_and_non_workbooks_are_named(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.OFFICER))
    cohort_id = cohort(world)
    missing = _upload(client, headers, cohort_id, workbook([["张伟"]], header=["姓名"]))
    assert missing.status_code == 422 and "工作单位" in missing.json()["error"]["message"]
    garbage = _upload(client, headers, cohort_id, b"not a workbook")
    assert garbage.status_code == 422 and garbage.json()["error"]["fields"][0]["field"] == "file"


def test_the_export_lists_outcomes_and_imports_back(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.OFFICER))
    source = cohort(world)
    first = client.post(
        f"{API}/cohorts/{source}/trainees", json={"name": "=HYPERLINK(1)", "employer_name": "某公司"}, headers=headers
    ).json()
    client.patch(f"{API}/trainees/{first['id']}", json={"status": "completed"}, headers=headers)
    client.post(
        f"{API}/trainees/{first['id']}/certificate",
        json={"certificate_no": "ZZ-9", "certified_on": "2021-07-01"},
        headers=headers,
    )
    exported = client.get(f"{API}/cohorts/{source}/trainees.xlsx", headers=headers)
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX_MEDIA_TYPE
    sheet = load_workbook(io.BytesIO(exported.content)).worksheets[0]
    header, row = [cell.value for cell in sheet[1]], sheet[2]
    assert header[:4] == HEADER and "证书编号" in header
    assert row[0].value == "=HYPERLINK(1)" and row[0].data_type == "s"  # text, not a formula
    assert row[header.index("证书编号")].value == "ZZ-9"

    target = cohort(world, name="第二期")
    again = _upload(client, headers, target, exported.content)
    assert again.status_code == 200, again.text
    assert [t["name"] for t in client.get(f"{API}/cohorts/{target}/trainees", headers=headers).json()] == [
        "=HYPERLINK(1)"
    ]


def test_the_template_downloads(client: TestClient, world: World) -> None:
    response = client.get(f"{API}/talent/trainee-template.xlsx", headers=bearer(client, world.user(Role.ADMIN)))
    assert response.status_code == 200
    assert [cell.value for cell in load_workbook(io.BytesIO(response.content)).worksheets[0][1]] == HEADER
