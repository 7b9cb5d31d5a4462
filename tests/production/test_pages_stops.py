"""The stops page over the one-shift scenario: stops of the shift most lost time first, unclassified ones
highlighted, classification by HTMX with CSRF through the audited service, roles and tenants."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.conftest import Account, World
from tests.production.conftest import ONE_SHIFT_DAY, Rig
from tests.telemetry.builders import build_plant
from zhizao.accounts.models import AuditEntry
from zhizao.accounts.roles import Role
from zhizao.production.models import DowntimeReason, StateInterval
from zhizao.production.reasons import ensure_current_tree
from zhizao.production.stops import is_stop

S = 1_000_000
SHIFT_A = {"date": ONE_SHIFT_DAY.isoformat(), "shift": "A"}


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _sign_in(client: TestClient, account: Account) -> None:
    form = client.get("/login")
    response = client.post(
        "/login",
        data={"username": account.username, "password": account.password, "csrf_token": _csrf(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def _stop_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="stop-(\d+)"', html)]


def _reason_id(rig: Rig, code: str, enterprise_id: int | None = None) -> int:
    with rig.database.session() as session, session.begin():
        tree = ensure_current_tree(session, enterprise_id or rig.plant.enterprise_id)
        reason = session.scalar(
            select(DowntimeReason).where(DowntimeReason.tree_id == tree.id, DowntimeReason.code == code)
        )
        assert reason is not None
        return reason.id


def _intervals(rig: Rig) -> dict[int, StateInterval]:
    with rig.database.session() as session:
        rows = session.scalars(select(StateInterval).where(StateInterval.equipment_id == rig.plant.equipment_id))
        return {row.id: row for row in rows}


def test_page_lists_the_shifts_stops_most_lost_time_first(synced: Rig, world: World, client: TestClient) -> None:
    _sign_in(client, world.user(Role.ENTERPRISE, synced.plant.enterprise_id))
    response = client.get("/production/stops", params={**SHIFT_A, "node_id": synced.plant.line_id})
    assert response.status_code == 200, response.text
    html = response.text
    ids = _stop_ids(html)
    intervals = _intervals(synced)
    # The 30-minute breakdown first, then the one-minute stop; the idle time after the shift lost nothing.
    assert [(intervals[i].end_us - intervals[i].start_us) // S for i in ids] == [1_800, 60]
    assert all(is_stop(intervals[i]) for i in ids)
    assert html.count('class="unclassified"') == 2
    assert 'data-stat="unclassified-lost" data-us="1860000000"' in html
    assert "0:30:00" in html and "0:01:00" in html
    assert "01-01 18:00:00" in html  # 10:00 UTC shown in Asia/Shanghai
    # The classify form: the current tree grouped by parent, the ranked suggestions first.
    first_row = html[html.index(f'id="stop-{ids[0]}"') : html.index(f'id="stop-{ids[1]}"')]
    suggested = first_row[first_row.index('data-group="suggested"') :]
    assert suggested.index("机械故障") < suggested.index('label="设备故障"')
    assert re.search(r'<option value="\d+" selected>[^<]*故障', suggested), "the top suggestion is preselected"
    assert 'label="待料"' in first_row and 'hx-post="/production/stops/' in first_row
    # The report downloads from the same page.
    assert 'action="/production/shift-report.pdf"' in html and 'formaction="/production/shift-report.xlsx"' in html


def test_htmx_classification_swaps_the_row_and_the_unclassified_total(
    synced: Rig, world: World, client: TestClient
) -> None:
    _sign_in(client, world.user(Role.ENTERPRISE, synced.plant.enterprise_id))
    page = client.get("/production/stops", params={**SHIFT_A, "equipment_id": synced.plant.equipment_id})
    breakdown = _stop_ids(page.text)[0]
    reason = _reason_id(synced, "BD-HYD")
    response = client.post(
        f"/production/stops/{breakdown}/reason",
        data={"reason_id": str(reason), "equipment_id": str(synced.plant.equipment_id), **SHIFT_A},
        headers={"HX-Request": "true", "X-CSRF-Token": _csrf(page.text)},
    )
    assert response.status_code == 200, response.text
    assert response.text.lstrip().startswith(f'<tr id="stop-{breakdown}" class="classified"')
    assert "液压气动故障" in response.text
    assert 'id="stops-summary" class="toolbar" hx-swap-oob="true"' in response.text
    assert 'data-us="60000000"' in response.text  # only the one-minute stop is left unclassified
    assert _intervals(synced)[breakdown].reason_id == reason
    with synced.database.session() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "stop.classify"))
    assert entry is not None and entry.entity_id == str(breakdown)


def test_plain_form_post_redirects_and_bad_reasons_are_shown(synced: Rig, world: World, client: TestClient) -> None:
    _sign_in(client, world.user(Role.ENTERPRISE, synced.plant.enterprise_id))
    page = client.get("/production/stops", params={**SHIFT_A, "node_id": synced.plant.line_id})
    token, (breakdown, micro) = _csrf(page.text), _stop_ids(page.text)
    form = {"node_id": str(synced.plant.line_id), **SHIFT_A, "csrf_token": token}
    done = client.post(
        f"/production/stops/{micro}/reason",
        data={**form, "reason_id": str(_reason_id(synced, "MS-JAM"))},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/production/stops?node_id={synced.plant.line_id}&date=2026-01-01&shift=A"
    other_enterprise = world.organisation()
    foreign = _reason_id(synced, "BD-MECH", enterprise_id=other_enterprise)
    refused = client.post(f"/production/stops/{breakdown}/reason", data={**form, "reason_id": str(foreign)})
    assert refused.status_code == 422
    assert "body.reason_id" in refused.text and "not a downtime reason of this enterprise" in refused.text
    with_htmx = client.post(
        f"/production/stops/{breakdown}/reason",
        data={**form, "reason_id": str(foreign)},
        headers={"HX-Request": "true"},
    )
    assert with_htmx.status_code == 200 and 'role="alert"' in with_htmx.text  # htmx swaps 2xx only
    intervals = _intervals(synced)
    assert intervals[breakdown].reason_id is None and intervals[micro].reason_id is not None


def test_classifying_needs_the_csrf_token(synced: Rig, world: World, client: TestClient) -> None:
    _sign_in(client, world.user(Role.ENTERPRISE, synced.plant.enterprise_id))
    page = client.get("/production/stops", params={**SHIFT_A, "node_id": synced.plant.line_id})
    breakdown = _stop_ids(page.text)[0]
    forged = client.post(
        f"/production/stops/{breakdown}/reason",
        data={"reason_id": str(_reason_id(synced, "BD-MECH")), "node_id": str(synced.plant.line_id), **SHIFT_A},
        headers={"HX-Request": "true"},
    )
    assert forged.status_code == 403
    assert _intervals(synced)[breakdown].reason_id is None


def test_officers_read_without_forms_and_cannot_classify(synced: Rig, world: World, client: TestClient) -> None:
    _sign_in(client, world.user(Role.OFFICER))
    page = client.get("/production/stops", params={**SHIFT_A, "node_id": synced.plant.line_id})
    assert page.status_code == 200
    ids = _stop_ids(page.text)
    assert len(ids) == 2 and "hx-post" not in page.text
    refused = client.post(
        f"/production/stops/{ids[0]}/reason",
        data={"reason_id": "", "node_id": str(synced.plant.line_id), **SHIFT_A, "csrf_token": _csrf(page.text)},
    )
    assert refused.status_code == 403


def test_another_enterprises_line_and_stops_are_not_found(synced: Rig, world: World, client: TestClient) -> None:
    own_stop = min(i for i, row in _intervals(synced).items() if is_stop(row))
    stranger = build_plant(world)
    _sign_in(client, world.user(Role.ENTERPRISE, stranger.enterprise_id))
    for params in ({"node_id": synced.plant.line_id}, {"equipment_id": synced.plant.equipment_id}):
        assert client.get("/production/stops", params={**SHIFT_A, **params}).status_code == 404
    page = client.get("/production/stops", params={"date": "2026-01-01", "node_id": stranger.line_id})
    assert page.status_code == 200 and _stop_ids(page.text) == []
    assert "L1-CNC-01" in page.text  # listed as having no work calendar
    response = client.post(
        f"/production/stops/{own_stop}/reason",
        data={"reason_id": "", "node_id": str(stranger.line_id), **SHIFT_A, "csrf_token": _csrf(page.text)},
    )
    assert response.status_code == 404


def test_chooser_navigation_and_unknown_shift(synced: Rig, world: World, client: TestClient) -> None:
    consumer = world.user(Role.CONSUMER)
    _sign_in(client, consumer)
    assert client.get("/production/stops").status_code == 403
    client.cookies.clear()
    _sign_in(client, world.user(Role.ENTERPRISE, synced.plant.enterprise_id))
    chooser = client.get("/production/stops")
    assert chooser.status_code == 200
    assert f'href="/production/stops?node_id={synced.plant.line_id}&' in chooser.text
    assert 'data-nav="/production/stops"' in chooser.text
    unknown = client.get(
        "/production/stops", params={"date": "2026-01-01", "shift": "Z", "node_id": synced.plant.line_id}
    )
    assert unknown.status_code == 422 and "query.shift" in unknown.text
