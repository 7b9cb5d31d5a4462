"""The invoice pages with a signed-in browser session (SQLite; the services underneath are tested on both backends):
the owner issues October 2026 from the form, the lessee finds it in the list, reads its lines and disputes one, the
owner accepts with a credit note; mistakes are shown on the page; another tenant gets 404."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.pages import csrf_field, sign_in_page
from tests.sharing.billing_world import PERIOD, month_of_leasing
from zhizao.accounts.roles import Role
from zhizao.telemetry.store.base import TelemetryStore


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _post(client: TestClient, page: str, action: str, data: dict[str, str]) -> tuple[int, str, str]:
    token = csrf_field(client.get(page).text)
    response = client.post(action, data={**data, "csrf_token": token}, follow_redirects=False)
    return response.status_code, response.headers.get("location", ""), response.text


def test_issue_read_dispute_and_credit_through_the_pages(client: TestClient, world: World) -> None:
    store: TelemetryStore = client.app.state.telemetry_store  # type: ignore[attr-defined]
    leasing = month_of_leasing(world, store)[0]
    sign_in_page(client, leasing.owner)
    form = client.get("/sharing/invoices/new")
    assert form.status_code == 200 and f'<option value="{leasing.lessee_id}"' in form.text
    assert 'href="/sharing/invoices"' in client.get("/sharing").text  # the navigation has the invoices
    code, _, text = _post(client, "/sharing/invoices/new", "/sharing/invoices/new",
                          {"lessee_id": str(leasing.lessee_id), "period": "2026-13"})  # fmt: skip
    assert code == 422 and "body.period" in text
    code, location, _ = _post(client, "/sharing/invoices/new", "/sharing/invoices/new",
                              {"lessee_id": str(leasing.lessee_id), "period": PERIOD})  # fmt: skip
    assert code == 303 and re.fullmatch(r"/sharing/invoices/\d+", location), location
    detail = client.get(location).text
    assert 'data-matches="true"' in detail and 'id="invoice-total">954.53<' in detail
    assert detail.count('class="card booking-lines"') == 3 and 'href="#tariff-' in detail
    assert f'href="/api/sharing{location.removeprefix("/sharing")}.pdf"' in detail
    assert "10-05 08:20:00–09:00:00" in detail  # meter intervals in local time
    assert "dispute-form" not in detail  # the owner disputes nothing

    sign_in_page(client, leasing.lessee)
    assert location in client.get("/sharing/invoices?side=lessee").text
    assert location not in client.get("/sharing/invoices?side=owner").text
    page = client.get(location).text
    line_id = re.search(r'name="line_id" value="(\d+)"', page)
    assert line_id is not None
    code, _, text = _post(client, location, f"{location}/disputes", {"line_id": line_id.group(1), "reason": " "})
    assert code == 422 and "body.reason" in text
    code, back, _ = _post(client, location, f"{location}/disputes",
                          {"line_id": line_id.group(1), "reason": "换刀 10 分钟是出租方的"})  # fmt: skip
    assert (code, back) == (303, location)
    assert 'data-status="disputed"' in client.get(location).text

    sign_in_page(client, leasing.owner)
    page = client.get(location).text
    answer = re.search(r'action="(/sharing/disputes/\d+/answer)"', page)
    assert answer is not None
    code, _, text = _post(client, location, answer.group(1), {"decision": "accept", "answer": "ok", "credit": "9e9"})
    assert code == 422 and "body.credit" in text
    code, back, _ = _post(client, location, answer.group(1), {"decision": "accept", "answer": "退回", "credit": "20"})
    assert (code, back) == (303, location)
    settled = client.get(location).text
    assert 'data-status="settled"' in settled and 'id="invoice-balance">934.53<' in settled

    sign_in_page(client, world.user(Role.ENTERPRISE))
    assert client.get(location).status_code == 404
    assert location not in client.get("/sharing/invoices").text
