"""The «KPI 核验» pages in zh-CN: an enterprise's verifications and the form to run one, a verification with every
input, formula and verdict, the entered-data import; and who may see them."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from tests.conftest import Account, World
from tests.production.programme_builders import (
    BASELINE,
    EVALUATION,
    WINDOWS,
    Factory,
    build_factory,
    entered_records,
    filled,
    workbook,
)
from zhizao.accounts.roles import Role
from zhizao.production import programme_service as service
from zhizao.ui.i18n import translations

HOME = "/production/programme"
zh = translations("zh_CN").gettext  # what a zh-CN reader sees for an English message id


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF field"
    return match.group(1)


def _sign_in(client: TestClient, account: Account) -> None:
    token = _csrf(client.get("/login").text)
    form = {"username": account.username, "password": account.password, "next": "/", "csrf_token": token}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 303


def _verified(world: World) -> tuple[Factory, int]:
    factory = build_factory(world)
    with world.database.session() as session:
        service.replace_entered_records(session, factory.admin, factory.enterprise_id, entered_records())
    with world.database.session() as session:
        row = service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
        return factory, row.id


def _section(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return html[start : html.index("</section>", start)]


def test_the_verification_page_shows_every_input_formula_and_verdict(client: TestClient, world: World) -> None:
    factory, verification_id = _verified(world)
    _sign_in(client, world.user(Role.ENTERPRISE, factory.enterprise_id))
    page = client.get(f"{HOME}/verifications/{verification_id}")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="zh-CN">' in html
    productivity = _section(html, "kpi-productivity")
    assert 'data-verdict="meets"' in productivity and zh("Meets target") in productivity
    assert "+20.00 %" in productivity and "≥ +20.00 %" in productivity
    assert (
        '<span class="baseline">0.8</span>' in productivity and '<span class="evaluation">0.96</span>' in productivity
    )
    assert "EU / H" in productivity  # the formula
    assert re.search(r"<td>[^<]*</td><td class=\"num\">800</td><td class=\"num\">960</td>", productivity)
    assert re.search(r"<td class=\"num\">1,000</td><td class=\"num\">1,000</td>", productivity)  # labour hours
    cost = _section(html, "kpi-operating_cost")
    assert 'data-verdict="does_not_meet"' in cost and zh("Does not meet target") in cost
    assert "−16.67 %" in cost and "≤ −20.00 %" in cost
    assert "100,000.00" in cost  # both windows at baseline prices; nominal 109,000.00 in the evaluation
    assert "109,000.00" in cost
    assert 'data-verdict="no_target"' in _section(html, "kpi-defect_rate")
    assert 'id="coverage-baseline">100.00 %' in html and 'id="eu-evaluation">960' in html
    assert 'data-product="B"' in html and "1.6" in html  # B's weight
    assert "29,000.00" in html and ">110<" in html  # evaluation costs month by month with their index
    assert "SO-3" in html
    assert "programme-kpi/1" in html


def test_insufficient_data_shows_its_reasons(client: TestClient, world: World) -> None:
    factory = build_factory(world)  # nothing entered: labour hours and costs are missing
    with world.database.session() as session:
        row = service.run_verification(session, factory.admin, factory.enterprise_id, BASELINE, EVALUATION)
    _sign_in(client, world.user(Role.OFFICER))
    html = client.get(f"{HOME}/verifications/{row.id}").text
    productivity = _section(html, "kpi-productivity")
    assert 'data-verdict="insufficient_data"' in productivity and zh("Insufficient data") in productivity
    assert zh("Input not entered") in productivity and "labour hours" in productivity


def test_an_enterprise_runs_a_verification_from_its_page(client: TestClient, world: World) -> None:
    factory = build_factory(world)
    with world.database.session() as session:
        service.replace_entered_records(session, factory.admin, factory.enterprise_id, entered_records())
    _sign_in(client, world.user(Role.ENTERPRISE, factory.enterprise_id))
    home = client.get(HOME, follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == f"{HOME}/enterprises/{factory.enterprise_id}"
    page = client.get(home.headers["location"])
    assert page.status_code == 200 and f'data-nav="{HOME}"' in page.text
    baseline, evaluation = service.default_windows(datetime.now(ZoneInfo("Asia/Shanghai")).date())
    assert f'name="baseline_start" value="{baseline.start}"' in page.text
    assert f'name="evaluation_end" value="{evaluation.end}"' in page.text
    given = client.get(home.headers["location"], params=WINDOWS)
    assert 'name="baseline_start" value="2025-01-01"' in given.text  # a demo links its own windows

    token = _csrf(page.text)
    refused = client.post(
        f"{HOME}/enterprises/{factory.enterprise_id}/verifications",
        data={**WINDOWS, "baseline_end": "2024-12-31", "csrf_token": token},
    )
    assert refused.status_code == 422 and "body.baseline_end" in refused.text
    assert 'name="baseline_end" value="2024-12-31"' in refused.text  # what was typed stays in the form
    run = client.post(
        f"{HOME}/enterprises/{factory.enterprise_id}/verifications",
        data={**WINDOWS, "csrf_token": token},
        follow_redirects=False,
    )
    assert run.status_code == 303, run.text
    detail = client.get(run.headers["location"])
    assert 'data-verdict="meets"' in detail.text
    listed = client.get(f"{HOME}/enterprises/{factory.enterprise_id}").text
    rows = _section(listed, "verifications")
    assert "2025-01-01 – 2025-03-31" in rows and 'data-verdict="does_not_meet"' in rows


def test_the_inputs_page_downloads_and_imports_the_template(client: TestClient, world: World) -> None:
    factory = build_factory(world, output=False)
    _sign_in(client, world.user(Role.ENTERPRISE, factory.enterprise_id))
    url = f"{HOME}/enterprises/{factory.enterprise_id}/inputs"
    page = client.get(url)
    assert page.status_code == 200 and 'href="/api/production/programme/template"' in page.text
    token = _csrf(page.text)
    content = filled(client, {})
    imported = client.post(url, data={"csrf_token": token}, files={"file": ("inputs.xlsx", content)})
    assert imported.status_code == 200, imported.text
    assert 'id="import-result"' in imported.text
    assert "<td>2025-06</td>" in _section(imported.text, "labour")
    assert "SO-4" in imported.text and "29,000.00" in imported.text
    bad = workbook(client.get("/api/production/programme/template").content, {"工时": [("2025-13", 1)]})
    refused = client.post(url, data={"csrf_token": token}, files={"file": ("bad.xlsx", bad)})
    assert refused.status_code == 422 and "labour.rows[2].month" in refused.text
    assert "SO-4" in refused.text  # nothing was replaced


def test_officers_choose_an_enterprise_and_do_not_import(client: TestClient, world: World) -> None:
    factory, _verification_id = _verified(world)
    _sign_in(client, world.user(Role.OFFICER))
    home = client.get(HOME)
    assert home.status_code == 200 and f'href="{HOME}/enterprises/{factory.enterprise_id}"' in home.text
    assert 'data-verdict="meets"' in home.text
    inputs = client.get(f"{HOME}/enterprises/{factory.enterprise_id}/inputs")
    assert inputs.status_code == 200 and 'id="import-form"' not in inputs.text and "SO-1" in inputs.text


def test_other_tenants_get_404_and_other_roles_403(client: TestClient, world: World) -> None:
    factory, verification_id = _verified(world)
    _sign_in(client, world.user(Role.ENTERPRISE))
    for path in (
        f"{HOME}/verifications/{verification_id}",
        f"{HOME}/enterprises/{factory.enterprise_id}",
        f"{HOME}/enterprises/{factory.enterprise_id}/inputs",
    ):
        assert client.get(path).status_code == 404, path
    token = _csrf(client.get(HOME, follow_redirects=True).text)
    run = client.post(
        f"{HOME}/enterprises/{factory.enterprise_id}/verifications", data={**WINDOWS, "csrf_token": token}
    )
    assert run.status_code == 404
    client.cookies.clear()
    _sign_in(client, world.user(Role.EXPERT))
    assert client.get(HOME).status_code == 403
    assert f'data-nav="{HOME}"' not in client.get("/").text
