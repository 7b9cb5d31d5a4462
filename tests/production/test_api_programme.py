"""The programme-KPI API: the Excel template round trip, all-or-nothing import, running and reading verifications,
roles and tenants."""

from __future__ import annotations

import io
from typing import Any

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from tests.conftest import World, bearer
from tests.production.programme_builders import WINDOWS, Factory, build_factory, filled, workbook
from zhizao.accounts.roles import Role
from zhizao.production.programme_excel import template_workbook
from zhizao.ui.spreadsheet import XLSX_MEDIA_TYPE

API = "/api/production/programme"


def upload(client: TestClient, headers: dict[str, str], content: bytes, **params: Any) -> Any:
    files = {"file": ("inputs.xlsx", content, XLSX_MEDIA_TYPE)}
    return client.post(f"{API}/import", files=files, params=params, headers=headers)


def test_template_import_round_trip_then_verification(client: TestClient, world: World) -> None:
    factory = build_factory(world)
    staff = world.user(Role.ENTERPRISE, factory.enterprise_id)
    headers = bearer(client, staff)
    imported = upload(client, headers, filled(client, headers))
    assert imported.status_code == 200, imported.text
    assert imported.json() == {
        "enterprise_id": factory.enterprise_id,
        "labour_months": 6,
        "cost_lines": 12,
        "deliveries": 4,
        "replaced_inputs": 0,
        "replaced_deliveries": 0,
    }
    inputs = client.get(f"{API}/inputs", headers=headers).json()
    assert inputs["labour"][0] == {"month": "2025-01", "hours": "300"}
    assert {"month": "2025-04", "category": "materials", "amount": "29000", "price_index": "110"} in inputs["costs"]
    assert inputs["deliveries"][1]["order_date"] == "2025-02-01" and inputs["deliveries"][1]["delivery_date"] == (
        "2025-02-09"
    )

    created = client.post(f"{API}/verifications", json=WINDOWS, headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["enterprise_id"] == factory.enterprise_id
    assert (body["productivity_verdict"], body["cost_verdict"]) == ("meets", "does_not_meet")
    kpis = {kpi["kpi"]: kpi for kpi in body["result"]["kpis"]}
    assert kpis["productivity"]["change"] == "0.2" and kpis["productivity"]["target"]["change"] == "0.20"
    assert kpis["operating_cost"]["verdict"] == "does_not_meet"
    assert body["result"]["baseline_inputs"]["coverage"]["telemetry_days"] == 90
    assert body["result"]["formula_version"] == body["formula_version"] == "programme-kpi/1"

    read = client.get(f"{API}/verifications/{body['id']}", headers=headers)
    assert read.status_code == 200 and read.json() == body
    listed = client.get(f"{API}/verifications", headers=headers).json()
    assert [row["id"] for row in listed] == [body["id"]] and "result" not in listed[0]

    # A second import replaces the first.
    again = upload(client, headers, filled(client, headers))
    assert again.json()["replaced_inputs"] == 6 + 2 * 12 and again.json()["replaced_deliveries"] == 4


def test_a_bad_workbook_lists_every_bad_cell_and_stores_nothing(client: TestClient, world: World) -> None:
    factory = build_factory(world, output=False)
    headers = bearer(client, world.user(Role.ENTERPRISE, factory.enterprise_id))
    assert upload(client, headers, filled(client, headers)).status_code == 200
    template = client.get(f"{API}/template", headers=headers).content
    bad = workbook(
        template,
        {
            "工时": [("2025-01", 100), ("2025-13", 100), ("2025-02", "many")],
            "成本": [("2025-01", "燃料", 10, 100)],
            "交付": [("SO-9", "A", 1, "31/01/2025", "2025-02-01"), ("SO-8", "A", 1, "2025-02-02", "2025-02-01")],
        },
    )
    refused = upload(client, headers, bad)
    assert refused.status_code == 422, refused.text
    fields = {problem["field"] for problem in refused.json()["error"]["fields"]}
    assert fields == {
        "labour.rows[3].month",
        "labour.rows[4].hours",
        "costs.rows[2].category",
        "deliveries.rows[2].order_date",
        "deliveries.rows[3]",
    }
    inputs = client.get(f"{API}/inputs", headers=headers).json()
    assert len(inputs["labour"]) == 6 and len(inputs["deliveries"]) == 4  # the earlier import is untouched
    not_a_workbook = upload(client, headers, b"not a workbook")
    assert not_a_workbook.status_code == 422 and not_a_workbook.json()["error"]["fields"][0]["field"] == "file"


def test_a_verification_that_cannot_be_measured_names_the_field(client: TestClient, world: World) -> None:
    factory = build_factory(world)
    headers = bearer(client, world.user(Role.ENTERPRISE, factory.enterprise_id))
    reversed_window = {**WINDOWS, "baseline_end": "2024-12-31"}
    refused = client.post(f"{API}/verifications", json=reversed_window, headers=headers)
    assert refused.status_code == 422
    assert [p["field"] for p in refused.json()["error"]["fields"]] == ["body.baseline_end"]
    out_of_era = client.post(f"{API}/verifications", json={**WINDOWS, "evaluation_end": "9999-12-31"}, headers=headers)
    assert out_of_era.status_code == 422 and out_of_era.json()["error"]["fields"][0]["field"] == "body.evaluation_end"
    bad_rules = client.post(f"{API}/verifications", json={**WINDOWS, "rules": {"min_coverage": "1.5"}}, headers=headers)
    assert bad_rules.status_code == 422 and bad_rules.json()["error"]["fields"][0]["field"].startswith("body.rules")
    short = client.post(f"{API}/verifications", json={**WINDOWS, "rules": {"min_window_days": 30}}, headers=headers)
    assert short.status_code == 201 and short.json()["result"]["rules"]["min_window_days"] == 30


def _verification_of(client: TestClient, world: World, factory: Factory) -> int:
    headers = bearer(client, world.user(Role.ENTERPRISE, factory.enterprise_id))
    created = client.post(f"{API}/verifications", json=WINDOWS, headers=headers)
    assert created.status_code == 201, created.text
    return int(created.json()["id"])


def test_roles_and_tenants(client: TestClient, world: World) -> None:
    factory = build_factory(world)
    verification_id = _verification_of(client, world, factory)
    other = world.user(Role.ENTERPRISE)
    other_headers = bearer(client, other)
    # Another enterprise's user: 404 for the record, the enterprise's inputs and a run on its behalf.
    assert client.get(f"{API}/verifications/{verification_id}", headers=other_headers).status_code == 404
    assert client.get(f"{API}/verifications", headers=other_headers).json() == []
    inputs = client.get(f"{API}/inputs", params={"enterprise_id": factory.enterprise_id}, headers=other_headers)
    assert inputs.status_code == 404
    run = client.post(
        f"{API}/verifications", json={**WINDOWS, "enterprise_id": factory.enterprise_id}, headers=other_headers
    )
    assert run.status_code == 404
    imported = upload(client, other_headers, b"whatever", enterprise_id=factory.enterprise_id)
    assert imported.status_code == 404
    # An officer reads and runs for any enterprise, but must name it, and does not import.
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.get(f"{API}/verifications/{verification_id}", headers=officer).status_code == 200
    listed = client.get(f"{API}/verifications", params={"enterprise_id": factory.enterprise_id}, headers=officer)
    assert [row["id"] for row in listed.json()] == [verification_id]
    unnamed = client.post(f"{API}/verifications", json=WINDOWS, headers=officer)
    assert unnamed.status_code == 422 and unnamed.json()["error"]["fields"][0]["field"] == "body.enterprise_id"
    named = client.post(
        f"{API}/verifications", json={**WINDOWS, "enterprise_id": factory.enterprise_id}, headers=officer
    )
    assert named.status_code == 201
    assert client.get(f"{API}/inputs", headers=officer).status_code == 422
    assert client.get(f"{API}/inputs", params={"enterprise_id": 999_999}, headers=officer).status_code == 404
    assert upload(client, officer, b"x", enterprise_id=factory.enterprise_id).status_code == 403
    # Roles outside the programme's production data are refused everything.
    for role in (Role.EXPERT, Role.INTEGRATOR, Role.PLATFORM, Role.CONSUMER):
        headers = bearer(client, world.user(role))
        assert client.get(f"{API}/verifications/{verification_id}", headers=headers).status_code == 403
        assert client.get(f"{API}/template", headers=headers).status_code == 403
        assert client.post(f"{API}/verifications", json=WINDOWS, headers=headers).status_code == 403


def test_the_template_is_the_programme_excel_template(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.ENTERPRISE))
    response = client.get(f"{API}/template", headers=headers)
    sheets = load_workbook(io.BytesIO(response.content)).sheetnames
    assert sheets == load_workbook(io.BytesIO(template_workbook())).sheetnames == ["工时", "成本", "交付", "说明"]
    assert 'filename="zhizao-programme-inputs.xlsx"' in response.headers["content-disposition"]
