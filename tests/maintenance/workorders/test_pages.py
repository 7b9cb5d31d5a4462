"""The pages: list, the create form (pre-filled from a link), detail with transitions and parts, reliability, plans;
a form error is shown on the form, never a 500."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.maintenance.workorders.support import build_shop, open_case
from tests.pages import csrf_field, sign_in_page

BASE = "/maintenance/workorders"


def _login(client: TestClient, account: Account) -> str:
    sign_in_page(client, account)
    return csrf_field(client.get(BASE + "/new").text)


def test_pages_walk_an_order_through(client: TestClient, world: World) -> None:
    shop = build_shop(world)
    csrf = _login(client, shop.owner)
    case_id = open_case(world, shop.plant.enterprise_id, shop.plant.equipment_id)
    form = client.get(f"{BASE}/new", params={"equipment_id": shop.plant.equipment_id, "case_id": case_id})
    assert form.status_code == 200
    assert (
        f'value="{shop.plant.equipment_id}" selected' in form.text and f'name="case_id" value="{case_id}"' in form.text
    )
    bad = client.post(
        f"{BASE}/new", data={"equipment_id": str(shop.plant.equipment_id), "title": "", "csrf_token": csrf}
    )
    assert bad.status_code == 422 and "title" in bad.text
    created = client.post(
        f"{BASE}/new",
        data={"equipment_id": str(shop.plant.equipment_id), "title": "冷却液泄漏", "priority": "1",
              "case_id": str(case_id), "planned_start": "2026-12-01 08:00", "planned_end": "2026-12-01 07:00",
              "csrf_token": csrf},
    )  # fmt: skip
    assert created.status_code == 422 and "planned_end" in created.text
    created = client.post(
        f"{BASE}/new",
        data={"equipment_id": str(shop.plant.equipment_id), "title": "冷却液泄漏", "priority": "1",
              "case_id": str(case_id), "planned_start": "2026-12-01 08:00", "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert created.status_code == 303
    detail_url = created.headers["location"]
    listing = client.get(BASE)
    assert listing.status_code == 200 and "冷却液泄漏" in listing.text and "wo-open" in listing.text
    data = {"action": "assign", "assignee_name": "张工", "csrf_token": csrf}
    assign = client.post(f"{detail_url}/transition", data=data, follow_redirects=False)
    assert assign.status_code == 303
    wrong = client.post(f"{detail_url}/transition", data={"action": "verify", "csrf_token": csrf})
    assert wrong.status_code == 422 and "cannot verify" in wrong.text
    data = {"part_number": "OR-30", "name": "O 型圈", "quantity": "4", "unit_cost": "0.50", "csrf_token": csrf}
    part = client.post(f"{detail_url}/parts", data=data, follow_redirects=False)
    assert part.status_code == 303
    codes = client.post(f"{detail_url}/edit", data={"failure_mode": "ELU", "csrf_token": csrf}, follow_redirects=False)
    assert codes.status_code == 303
    page = client.get(detail_url)
    assert page.status_code == 200 and "OR-30" in page.text and "2.00" in page.text and "wo-assigned" in page.text
    assert 'value="ELU" selected' in page.text and 'value="start"' in page.text
    assert client.get(f"{BASE}/reliability").status_code == 200
    plan = client.post(
        f"{BASE}/plans",
        data={"equipment_id": str(shop.plant.equipment_id), "title": "月度润滑", "trigger": "calendar", "interval": "1",
              "calendar_unit": "month", "start_date": "2026-12-01", "csrf_token": csrf},
        follow_redirects=False,
    )  # fmt: skip
    assert plan.status_code == 303
    plans = client.get(f"{BASE}/plans")
    assert plans.status_code == 200 and "月度润滑" in plans.text and "2026-12-01" in plans.text
