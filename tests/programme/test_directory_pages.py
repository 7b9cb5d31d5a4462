"""The directory's pages: the public directory without signing in, an integrator's own application form, the
officers' review queue and decisions with the criteria shown, and the matches page of an enterprise."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.assessment.test_pages import _csrf, _sign_in
from tests.conftest import World
from tests.programme.builders import programme_enterprise
from tests.programme.project_builders import closed_diagnosis
from tests.programme.tenant_cases_directory import application, applied_integrator, listed_integrator
from zhizao.accounts.roles import Role
from zhizao.programme.directory import IntegratorStatus
from zhizao.programme.models_directory import IntegratorEntry


def _status(world: World, integrator_id: int | None) -> IntegratorStatus | None:
    with world.database.session() as session:
        entry = session.get(IntegratorEntry, integrator_id)
        return entry.status if entry else None


def test_the_public_directory_needs_no_login_and_shows_listed_integrators_only(
    client: TestClient, world: World
) -> None:
    listed = listed_integrator(world, application(description="汽车总装线集成"), name="上海甲集成")
    applied = applied_integrator(world, name="上海乙集成")
    page = client.get("/directory")
    assert page.status_code == 200, page.text
    assert f'data-integrator="{listed.organisation_id}"' in page.text and "汽车总装线集成" in page.text
    assert f'data-integrator="{applied.organisation_id}"' not in page.text
    assert "contact@integrator.example.cn" not in page.text and "021-12345678" not in page.text
    assert 'class="mainnav"' not in page.text  # an anonymous visitor has no navigation
    filtered = client.get("/directory", params={"min_band": "over_10bn", "industry": "nonsense"})
    assert filtered.status_code == 200 and f'data-integrator="{listed.organisation_id}"' not in filtered.text
    assert client.get("/directory", params={"q": "总装"}).text.count("data-integrator=") == 1


def test_an_integrator_applies_on_its_own_page(client: TestClient, world: World) -> None:
    account = world.user(Role.INTEGRATOR)
    _sign_in(client, account)
    assert 'data-nav="/programme/integrators"' in client.get("/").text
    queue = client.get("/programme/integrators", follow_redirects=False)
    own = f"/programme/integrators/{account.organisation_id}"
    assert queue.status_code == 303 and queue.headers["location"] == own
    page = client.get(own)
    assert page.status_code == 200 and 'id="not-applied"' in page.text and 'id="application"' in page.text
    form = {
        "csrf_token": _csrf(page.text),
        "description": "焊装与总装产线集成",
        "contact_email": "sales@example.cn",
        "capabilities": ["mes", "automation"],
        "revenue_year": ["2023", "", "2024"],
        "revenue_cny": ["1500000000", "", "1800000000.50"],
    }
    missing = client.post(own, data=form)  # no industry ticked
    assert missing.status_code == 422 and 'role="alert"' in missing.text and "<code>industries</code>" in missing.text
    assert "焊装与总装产线集成" in missing.text  # what was typed is kept
    assert _status(world, account.organisation_id) is None
    done = client.post(own, data={**form, "industries": ["automotive", "electronics"]}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == own
    assert _status(world, account.organisation_id) is IntegratorStatus.APPLIED
    after = client.get(own)
    assert 'data-status="applied"' in after.text and 'value="1800000000.50"' in after.text
    assert 'id="review"' not in after.text  # the integrator decides nothing
    stranger = applied_integrator(world)
    assert client.get(f"/programme/integrators/{stranger.organisation_id}").status_code == 404


def test_officers_review_with_the_criteria_shown(client: TestClient, world: World) -> None:
    account = applied_integrator(world)
    integrator_id = account.organisation_id
    _sign_in(client, world.user(Role.OFFICER))
    queue = client.get("/programme/integrators")
    assert re.search(rf'data-integrator="{integrator_id}" data-status="applied" data-criteria-met="false"', queue.text)
    assert 'data-criterion="delivered_projects" data-met="false"' in queue.text
    page = client.get(f"/programme/integrators/{integrator_id}")
    assert 'id="review"' in page.text and 'id="application"' not in page.text
    assert 'data-criterion="annual_revenue" data-met="true"' in page.text
    refused = client.post(
        f"/programme/integrators/{integrator_id}/review", data={"csrf_token": _csrf(page.text), "decision": "list"}
    )
    assert refused.status_code == 422 and "does not meet" in refused.text
    assert _status(world, integrator_id) is IntegratorStatus.APPLIED
    rejected = client.post(
        f"/programme/integrators/{integrator_id}/review",
        data={"csrf_token": _csrf(page.text), "decision": "reject", "note": "缺少交付项目"},
        follow_redirects=False,
    )
    assert rejected.status_code == 303
    assert _status(world, integrator_id) is IntegratorStatus.REJECTED
    assert "缺少交付项目" in client.get(f"/programme/integrators/{integrator_id}").text


def test_the_matches_page(client: TestClient, world: World) -> None:
    enterprise_id, enterprise = programme_enterprise(world)
    _sign_in(client, enterprise)
    waiting = client.get(f"/programme/directory/matches/{enterprise_id}")
    assert waiting.status_code == 200 and 'id="no-diagnosis"' in waiting.text
    closed_diagnosis(world, enterprise_id, maturity_level=2)
    match = listed_integrator(world, application(capabilities=("cybersecurity",)))
    page = client.get(f"/programme/directory/matches/{enterprise_id}")
    assert page.status_code == 200 and f'data-integrator="{match.organisation_id}"' in page.text
    assert 'data-subdomain="information_security"' in page.text
    _, stranger = programme_enterprise(world)
    _sign_in(client, stranger)
    assert client.get(f"/programme/directory/matches/{enterprise_id}").status_code == 404
