"""Invoices and disputes through the JSON API, on SQLite and PostgreSQL: the owner issues October 2026 (the meters
run first), both sides read it, it recomputes, it downloads as PDF and Excel; the lessee disputes lines and the owner
answers; another tenant gets 404; bad input is 422 naming the field."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.conftest import World
from tests.sharing.billing_world import PERIOD, ZONE, Leasing, month_of_leasing, tamper
from tests.sharing.tenant_cases import bearer
from zhizao.accounts.roles import Role
from zhizao.telemetry.store.base import TelemetryStore

API = "/api/sharing"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _store(client: TestClient) -> TelemetryStore:
    store: TelemetryStore = client.app.state.telemetry_store  # type: ignore[attr-defined]
    return store


def _issued(client: TestClient, world: World) -> tuple[Leasing, dict[str, Any], tuple[int, int, int]]:
    """A month of leasing, not metered yet: issuing runs the owner's meters first."""
    leasing, *bookings = month_of_leasing(world, _store(client))
    body = {"lessee_id": leasing.lessee_id, "period": PERIOD}
    response = client.post(f"{API}/invoices", json=body, headers=bearer(client, leasing.owner))
    assert response.status_code == 201, response.text
    job, cancelled, no_show = bookings
    return leasing, response.json(), (job, cancelled, no_show)


def _line(invoice: dict[str, Any], kind: str) -> dict[str, Any]:
    return next(line for group in invoice["bookings"] for line in group["lines"] if line["kind"] == kind)


def test_the_owner_issues_and_both_sides_read_recompute_and_download(client: TestClient, world: World) -> None:
    leasing, invoice, (job, cancelled, no_show) = _issued(client, world)
    assert invoice["total_cny"] == "954.53" and invoice["period"] == PERIOD and invoice["side"] == "owner"
    assert [group["booking_id"] for group in invoice["bookings"]] == [job, cancelled, no_show]
    assert [group["subtotal_cny"] for group in invoice["bookings"]] == ["558.53", "132.00", "264.00"]
    time = _line(invoice, "time")
    assert (time["quantity"], time["unit_rate"], time["amount_cny"]) == ("3.166667", "120", "380.00")
    assert time["basis_us"] == 190 * 60 * 1_000_000 and time["record_ids"] and time["intervals"]
    assert [(t["version"], t["rates"]["hourly_rate"]) for t in invoice["tariffs"]] == [(1, "120.00"), (2, "132.00")]
    assert {line["tariff_id"] for group in invoice["bookings"] for line in group["lines"]} <= {
        t["id"] for t in invoice["tariffs"]
    }
    owner, lessee = bearer(client, leasing.owner), bearer(client, leasing.lessee)
    seen = client.get(f"{API}/invoices/{invoice['id']}", headers=lessee).json()
    assert seen["total_cny"] == "954.53" and seen["side"] == "lessee" and seen["number"] == invoice["number"]

    def listed(headers: dict[str, str], **query: str) -> list[int]:
        response = client.get(f"{API}/invoices", params=query, headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert listed(owner, side="owner") == listed(lessee, side="lessee") == listed(lessee) == [invoice["id"]]
    assert listed(owner, side="lessee") == listed(lessee, side="owner") == listed(owner, period="2026-09") == []
    page = client.get(f"{API}/invoices", params={"limit": 1, "offset": 1}, headers=owner).json()
    assert (page["total"], page["offset"], page["limit"], page["items"]) == (1, 1, 1, [])

    recomputed = client.get(f"{API}/invoices/{invoice['id']}/recompute", headers=lessee).json()
    assert recomputed["matches"] is True and recomputed["problems"] == []
    assert recomputed["recomputed_total_cny"] == recomputed["issued_total_cny"] == "954.53"
    assert [line["amount_cny"] for line in recomputed["lines"]] == [
        line["amount_cny"] for group in invoice["bookings"] for line in group["lines"]
    ]
    pdf = client.get(f"{API}/invoices/{invoice['id']}.pdf", headers=lessee)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == f'attachment; filename="{invoice["number"]}.pdf"'
    assert pdf.content.startswith(b"%PDF-")
    xlsx = client.get(f"{API}/invoices/{invoice['id']}.xlsx", headers=owner)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"] == XLSX
    assert xlsx.content.startswith(b"PK")


def test_recompute_reports_a_tampered_meter_log(client: TestClient, world: World) -> None:
    leasing, invoice, _ = _issued(client, world)
    tamper(world.database, "UPDATE share_meter_record SET quantity = '7200000000' WHERE kind = 'usage'")
    result = client.get(f"{API}/invoices/{invoice['id']}/recompute", headers=bearer(client, leasing.lessee)).json()
    assert result["matches"] is False
    assert any("altered" in problem for problem in result["problems"]), result["problems"]


def test_the_lessee_disputes_and_the_owner_credits_or_explains(client: TestClient, world: World) -> None:
    leasing, invoice, _ = _issued(client, world)
    owner, lessee = bearer(client, leasing.owner), bearer(client, leasing.lessee)
    time, setup = _line(invoice, "time"), _line(invoice, "setup")
    disputes = f"{API}/invoices/{invoice['id']}/disputes"
    by_owner = client.post(disputes, json={"line_id": time["id"], "reason": "?"}, headers=owner)
    assert by_owner.status_code == 403, by_owner.text
    first = client.post(disputes, json={"line_id": time["id"], "reason": "换刀 10 分钟是出租方的"}, headers=lessee)
    assert first.status_code == 201, first.text
    assert client.post(disputes, json={"line_id": time["id"], "reason": "again"}, headers=lessee).status_code == 409
    second = client.post(disputes, json={"line_id": setup["id"], "reason": "no setup was needed"}, headers=lessee)
    assert second.status_code == 201, second.text
    first_id, second_id = first.json()["id"], second.json()["id"]

    def answer(dispute_id: int, headers: dict[str, str], **body: Any) -> Any:
        return client.post(f"{API}/disputes/{dispute_id}/answer", json=body, headers=headers)

    assert answer(first_id, lessee, accept=False, answer="no").status_code == 403
    too_much = answer(first_id, owner, accept=True, answer="ok", credit="400.00")
    assert too_much.status_code == 422 and too_much.json()["error"]["fields"][0]["field"] == "body.credit"
    assert "380.00" in too_much.json()["error"]["message"]
    assert answer(first_id, owner, accept=True, answer="ok").status_code == 422  # accepting credits something
    assert answer(second_id, owner, accept=False, answer="见换型记录", credit="1.00").status_code == 422
    accepted = answer(first_id, owner, accept=True, answer="换刀时间退回", credit="20")
    assert accepted.status_code == 200 and accepted.json()["credit_cny"] == "20.00", accepted.text
    assert client.get(f"{API}/invoices/{invoice['id']}", headers=lessee).json()["status"] == "disputed"
    rejected = answer(second_id, owner, accept=False, answer="换型记录见 08:00–08:20")
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert answer(second_id, owner, accept=False, answer="again").status_code == 409
    settled = client.get(f"{API}/invoices/{invoice['id']}", headers=lessee).json()
    assert settled["status"] == "settled" and settled["total_cny"] == "954.53"
    assert (settled["credited_cny"], settled["balance_cny"]) == ("20.00", "934.53")
    assert [(n["number"], n["amount_cny"]) for n in settled["credit_notes"]] == [(f"{invoice['number']}-C01", "20.00")]
    assert _line(settled, "time")["credited_cny"] == "20.00"
    assert [d["status"] for d in settled["disputes"]] == ["accepted", "rejected"]


def test_another_tenant_gets_404_and_an_officer_only_reads(client: TestClient, world: World) -> None:
    leasing, invoice, _ = _issued(client, world)
    dispute = client.post(
        f"{API}/invoices/{invoice['id']}/disputes",
        json={"line_id": _line(invoice, "time")["id"], "reason": "x"},
        headers=bearer(client, leasing.lessee),
    ).json()
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    base = f"{API}/invoices/{invoice['id']}"
    for path in (base, f"{base}.pdf", f"{base}.xlsx", f"{base}/recompute"):
        assert client.get(path, headers=stranger).status_code == 404, path
    assert client.post(f"{base}/disputes", json={"line_id": 1, "reason": "x"}, headers=stranger).status_code == 404
    answered = client.post(
        f"{API}/disputes/{dispute['id']}/answer", json={"accept": False, "answer": "x"}, headers=stranger
    )
    assert answered.status_code == 404
    assert client.get(f"{API}/invoices", headers=stranger).json()["total"] == 0
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.get(base, headers=officer).status_code == 200
    assert client.post(f"{base}/disputes", json={"line_id": 1, "reason": "x"}, headers=officer).status_code == 403


def test_bad_input_names_the_field(client: TestClient, world: World) -> None:
    leasing = month_of_leasing(world, _store(client))[0]
    owner, lessee = bearer(client, leasing.owner), bearer(client, leasing.lessee)

    def issue(headers: dict[str, str], **body: Any) -> tuple[int, str, str]:
        response = client.post(f"{API}/invoices", json={"lessee_id": leasing.lessee_id, **body}, headers=headers)
        error = response.json().get("error", {})
        fields = error.get("fields") or [{"field": ""}]
        return response.status_code, fields[0]["field"], error.get("message", "")

    this_month = datetime.now(ZONE).strftime("%Y-%m")
    assert issue(owner, period="2026-13")[:2] == (422, "body.period")
    assert issue(owner, period="2026/10")[:2] == (422, "body.period")
    not_over = issue(owner, period=this_month)
    assert not_over[:2] == (422, "body.period") and "not over" in not_over[2]
    assert issue(owner, period="2026-09")[:2] == (422, "body.period")  # nothing metered in September
    assert issue(owner, period=PERIOD, lessee_id=world.organisation())[:2] == (422, "body.lessee_id")
    assert issue(lessee, period=PERIOD, owner_id=leasing.owner_id)[0] == 403  # the lessee does not bill itself
    admin = bearer(client, world.user(Role.ADMIN))
    assert issue(admin, period=PERIOD)[:2] == (422, "body.owner_id")
    assert issue(owner, period=PERIOD)[0] == 201
    assert issue(owner, period=PERIOD)[0] == 409  # issued once
    invoice_id = client.get(f"{API}/invoices", headers=owner).json()["items"][0]["id"]
    bad_line = client.post(
        f"{API}/invoices/{invoice_id}/disputes", json={"line_id": 2_147_483_647, "reason": "x"}, headers=lessee
    )
    assert bad_line.status_code == 422 and bad_line.json()["error"]["fields"][0]["field"] == "body.line_id"
    blank = client.post(f"{API}/invoices/{invoice_id}/disputes", json={"line_id": 1, "reason": "  "}, headers=lessee)
    assert blank.status_code == 422 and blank.json()["error"]["fields"][0]["field"] == "body.reason"
    assert Decimal(client.get(f"{API}/invoices/{invoice_id}", headers=lessee).json()["total_cny"]) == Decimal("954.53")
