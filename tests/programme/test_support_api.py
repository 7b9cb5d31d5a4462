"""Support measures: an officer records them on a factory project (audited), the enterprise reads its own and no
other's, totals by kind per edition for the cockpit, and field-level errors that change nothing."""

from __future__ import annotations

from decimal import Decimal

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import World, bearer
from tests.programme.project_builders import built_project
from tests.programme.tenant_cases_community import project_with_support
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.programme import service_support
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_community import SupportKind, SupportMeasure

API = "/api/programme"


def test_the_enterprise_reads_its_own_projects_measures_only(client: TestClient, world: World) -> None:
    project, measure_id = project_with_support(world)
    own = client.get(f"{API}/projects/{project.id}/support", headers=bearer(client, project.enterprise))
    assert own.status_code == 200
    assert [(m["id"], m["kind"], m["amount_cny"]) for m in own.json()] == [(measure_id, "subsidy", "500000.00")]

    other = built_project(world)
    refused = client.get(f"{API}/projects/{project.id}/support", headers=bearer(client, other.enterprise))
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "not_found"
    body = {"kind": "loan", "amount_cny": "1", "provider": "x", "granted_on": "2021-01-01"}
    writes = client.post(f"{API}/projects/{project.id}/support", json=body, headers=bearer(client, project.enterprise))
    assert writes.status_code == 403


def test_officers_record_change_and_delete_measures(client: TestClient, world: World) -> None:
    project = built_project(world)
    officer = bearer(client, world.user(Role.OFFICER))
    body = {
        "kind": "loan", "amount_cny": "2000000.50", "provider": "上海银行", "granted_on": "2021-10-15",
        "reference": "SHB-2021-88",
    }  # fmt: skip
    created = client.post(f"{API}/projects/{project.id}/support", json=body, headers=officer)
    assert created.status_code == 201, created.text
    measure_id = created.json()["id"]
    changed = client.patch(
        f"{API}/projects/{project.id}/support/{measure_id}", json={"amount_cny": "1500000"}, headers=officer
    )
    assert changed.status_code == 200 and changed.json()["amount_cny"] == "1500000.00"
    # A measure is reached through its own project only.
    elsewhere = built_project(world)
    assert client.delete(f"{API}/projects/{elsewhere.id}/support/{measure_id}", headers=officer).status_code == 404
    assert client.delete(f"{API}/projects/{project.id}/support/{measure_id}", headers=officer).status_code == 204
    with world.database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "support_measure")).all()
    assert sorted(actions) == ["support_measure.create", "support_measure.delete", "support_measure.update"]


def test_totals_by_kind_per_edition(client: TestClient, world: World) -> None:
    first, _ = project_with_support(world)  # a 500 000 subsidy
    second = built_project(world)
    officer = bearer(client, world.user(Role.OFFICER))
    for kind, amount in (("subsidy", "250000.25"), ("insurance", "80000")):
        body = {"kind": kind, "amount_cny": amount, "provider": "某机构", "granted_on": "2021-11-01"}
        assert client.post(f"{API}/projects/{second.id}/support", json=body, headers=officer).status_code == 201
    with world.database.session() as session:
        edition_id = session.get_one(FactoryProject, first.id).edition_id
        totals = service_support.support_totals(session, edition_id)
    assert totals[SupportKind.SUBSIDY] == (2, Decimal("750000.25"))
    assert totals[SupportKind.INSURANCE] == (1, Decimal("80000.00"))
    assert totals[SupportKind.LOAN] == (0, Decimal("0.00"))
    listed = client.get(f"{API}/support/totals", params={"edition_id": edition_id}, headers=officer).json()
    assert {entry["kind"]: (entry["count"], entry["amount_cny"]) for entry in listed} == {
        "subsidy": (2, "750000.25"), "loan": (0, "0.00"), "fund": (0, "0.00"), "leasing": (0, "0.00"),
        "insurance": (1, "80000.00"),
    }  # fmt: skip
    with world.database.session() as session:
        assert all(count == 0 for count, _ in service_support.support_totals(session, edition_id + 1).values())


def test_bad_measures_name_the_field_and_change_nothing(client: TestClient, world: World) -> None:
    project = built_project(world)
    officer = bearer(client, world.user(Role.OFFICER))
    base = {"kind": "fund", "amount_cny": "1000", "provider": "产业基金", "granted_on": "2021-06-01"}
    cases = [
        ({"amount_cny": "-1"}, "body.amount_cny"),
        ({"amount_cny": "12.345"}, "body.amount_cny"),
        ({"amount_cny": "1e20"}, "body.amount_cny"),
        ({"kind": "grant"}, "body.kind"),
        ({"granted_on": "21-06-01"}, "body.granted_on"),
        ({"provider": ""}, "body.provider"),
    ]
    for change, field in cases:
        response = client.post(f"{API}/projects/{project.id}/support", json=base | change, headers=officer)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["fields"][0]["field"] == field, change
    assert client.post(f"{API}/projects/999999/support", json=base, headers=officer).status_code == 404
    created = client.post(f"{API}/projects/{project.id}/support", json=base, headers=officer).json()
    nulled = client.patch(f"{API}/projects/{project.id}/support/{created['id']}", json={"kind": None}, headers=officer)
    assert nulled.status_code == 422 and nulled.json()["error"]["fields"][0]["field"] == "body.kind"
    with world.database.session() as session:
        assert session.scalar(select(func.count()).select_from(SupportMeasure)) == 1
