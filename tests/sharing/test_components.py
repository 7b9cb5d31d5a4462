"""Wear component replacements: a recorded replacement restarts the component's remaining life (on the API, the
owner dashboard and the owner page) without touching what was metered; bad replacements are refused naming the
field; only the owner records them, and lessees never see the machine's maintenance history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import World
from tests.sharing.owner_helpers import field_errors, sign_in
from tests.sharing.tenant_cases import API, bearer
from tests.sharing.test_dashboards import Month, _record, build_month
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.telemetry.timeutil import to_us


def _components(month: Month) -> str:
    return f"{API}/listings/{month.offer.listing_id}/components"


def _replace(client: TestClient, month: Month, when: datetime, component: str = "spindle", **extra: object) -> Any:
    body = {"component_id": component, "replaced_at": when.isoformat(), **extra}
    return client.post(f"{_components(month)}/replacements", json=body, headers=bearer(client, month.offer.owner))


def _wear_since(world: World, month: Month, start: datetime, quantity: str) -> None:
    """A wear record of the running job that began at ``start`` (after the replacement)."""
    owner, lessee = month.offer.owner.organisation_id, month.lessee_id
    assert owner is not None
    with world.database.session() as session, session.begin():
        record = _record(owner, lessee, month.offer, month.active_booking, 4, "wear", quantity, month.period, "spindle")
        record.start_us = record.end_us = to_us(start)
        session.add(record)


def test_a_replacement_restarts_the_remaining_life_from_then_on(client: TestClient, world: World) -> None:
    month = build_month(world, client)  # 0.0003 of spindle wear metered last month; a job running for an hour
    replaced = (datetime.now(UTC) - timedelta(hours=3)).replace(microsecond=0)
    made = client.post(
        f"{_components(month)}/replacements", headers=bearer(client, month.offer.owner),
        json={"component_id": "spindle", "replaced_at": replaced.isoformat(), "note": "主轴轴承更换"},
    )  # fmt: skip
    assert made.status_code == 201, made.text
    _wear_since(world, month, datetime.now(UTC) - timedelta(minutes=50), "0.000050000")

    read = client.get(_components(month), headers=bearer(client, month.offer.owner)).json()
    [life] = read["components"]
    assert (life["component_id"], life["consumed"], life["remaining"]) == ("spindle", "0.000050000", "0.999950000")
    assert datetime.fromisoformat(life["replaced_at"]) == replaced
    assert [(r["component_id"], r["note"]) for r in read["replacements"]] == [("spindle", "主轴轴承更换")]
    board = client.get(f"{API}/dashboards/owner", headers=bearer(client, month.offer.owner)).json()
    assert board["machines"][0]["wear"] == read["components"]

    with world.database.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "share_component.replace")).all()
        assert entry.actor_id == month.offer.owner.user_id
        assert entry.after is not None and entry.after["component_id"] == "spindle"

    # A later replacement counts from itself: the wear before it no longer counts.
    assert _replace(client, month, datetime.now(UTC) - timedelta(minutes=45)).status_code == 409  # in the job
    assert _replace(client, month, datetime.now(UTC) - timedelta(minutes=70)).status_code == 201
    [life] = client.get(_components(month), headers=bearer(client, month.offer.owner)).json()["components"]
    assert life["consumed"] == "0.000050000"  # the record began after both replacements


def test_bad_replacements_are_refused_naming_the_field(client: TestClient, world: World) -> None:
    month = build_month(world, client)
    now = datetime.now(UTC)

    def problem(response: Any) -> tuple[int, str]:
        return response.status_code, response.json()["error"]["fields"][0]["field"]

    assert problem(_replace(client, month, now - timedelta(days=1), "chuck")) == (422, "body.component_id")
    assert problem(_replace(client, month, now - timedelta(days=1), "spindle bearing")) == (422, "body.component_id")
    assert problem(_replace(client, month, now + timedelta(hours=1))) == (422, "body.replaced_at")
    assert problem(_replace(client, month, now - timedelta(minutes=30))) == (409, "body.replaced_at")  # in the job
    naive = client.post(
        f"{_components(month)}/replacements", headers=bearer(client, month.offer.owner),
        json={"component_id": "spindle", "replaced_at": "2026-01-01T08:00:00"},
    )  # fmt: skip
    assert problem(naive) == (422, "body.replaced_at")
    once = now - timedelta(days=2)
    assert _replace(client, month, once).status_code == 201
    assert problem(_replace(client, month, once)) == (409, "body.replaced_at")
    with world.database.session() as session:
        assert len(session.scalars(select(AuditEntry).where(AuditEntry.action == "share_component.replace")).all()) == 1


def test_only_the_owner_records_and_lessees_never_see_the_history(client: TestClient, world: World) -> None:
    month = build_month(world, client)
    body = {"component_id": "spindle", "replaced_at": (datetime.now(UTC) - timedelta(days=1)).isoformat()}
    lessee = bearer(client, month.offer.lessee)
    assert client.get(_components(month), headers=lessee).status_code == 404
    assert client.post(f"{_components(month)}/replacements", json=body, headers=lessee).status_code == 404
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.get(_components(month), headers=officer).status_code == 200
    assert client.post(f"{_components(month)}/replacements", json=body, headers=officer).status_code == 403
    assert client.get(_components(month)).status_code == 401


def test_the_owner_page_records_a_replacement_and_shows_problems_beside_the_input(
    client: TestClient, world: World
) -> None:
    month = build_month(world, client)
    page = f"/sharing/owner/listings/{month.offer.listing_id}/components"
    csrf = sign_in(client, month.offer.owner, page)
    shown = client.get(page)
    assert shown.status_code == 200 and 'id="component-spindle"' in shown.text and "99.97 %" in shown.text

    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    refused = client.post(page, data={"csrf_token": csrf, "component_id": "spindle", "replaced_at": future})
    assert refused.status_code == 422 and "replaced_at" in field_errors(refused.text)
    assert future in refused.text  # what was typed is kept

    past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d %H:%M")
    done = client.post(
        page, data={"csrf_token": csrf, "component_id": "spindle", "replaced_at": past, "note": "换轴承"},
        follow_redirects=False,
    )  # fmt: skip
    assert done.status_code == 303
    after = client.get(page).text
    assert "换轴承" in after and "100.00 %" in after  # the old wear began before the replacement
