"""Acceptance and benchmark selection through the pages: the officer opens an acceptance and decides it, the
assigned expert reviews it, what a service refuses is shown on the page, and scope is a 404."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.assessment.test_pages import _csrf, _sign_in
from tests.conftest import World
from tests.programme.tenant_cases_acceptance import open_acceptance, project, registered_enterprise, verified_enterprise
from zhizao.accounts.roles import Role
from zhizao.programme.acceptance import AcceptanceStatus, Decision
from zhizao.programme.kinds import Industry, ProjectStage
from zhizao.programme.models import FactoryProject
from zhizao.programme.models_acceptance import Acceptance

HOME = "/programme/acceptances"


def _acceptance(world: World, acceptance_id: int) -> Acceptance:
    with world.database.session() as session:
        found = session.get(Acceptance, acceptance_id)
        assert found is not None
        return found


def test_officer_opens_and_decides_and_expert_reviews_on_the_pages(client: TestClient, world: World) -> None:
    verified = verified_enterprise(world)
    project_id = project(world, verified.enterprise_id)
    officer, reviewer = world.user(Role.OFFICER), world.user(Role.EXPERT)

    _sign_in(client, officer)
    listing = client.get(HOME)
    assert listing.status_code == 200 and 'id="open-acceptance"' in listing.text
    assert f'<option value="{project_id}">' in listing.text
    opened = client.post(
        HOME,
        data={
            "csrf_token": _csrf(listing.text),
            "project_id": str(project_id),
            "expert_user_ids": [str(reviewer.user_id)],
        },
        follow_redirects=False,
    )
    assert opened.status_code == 303
    url = opened.headers["location"]
    acceptance_id = int(url.rsplit("/", 1)[1])

    page = client.get(url)
    assert page.status_code == 200 and 'id="checklist-form"' in page.text and 'id="decision-form"' in page.text
    assert f'<option value="{verified.verification_id}"' in page.text  # the enterprise's verification to attach
    refused = client.post(
        f"{url}/decision", data={"csrf_token": _csrf(page.text), "decision": "passed", "rationale": "通过"}
    )
    assert refused.status_code == 422 and 'role="alert"' in refused.text and "maturity_level" not in refused.text
    assert "checklist.kpis_verified" in refused.text and f"reviews.{reviewer.user_id}" in refused.text
    assert _acceptance(world, acceptance_id).status == AcceptanceStatus.OPEN

    token = _csrf(page.text)
    keys = re.findall(r'name="key" value="([^"]+)"', page.text)
    checked = client.post(
        f"{url}/checklist",
        data={"csrf_token": token, "key": keys, "note": ["核查"] * len(keys), "passed": keys},
        follow_redirects=False,
    )
    assert checked.status_code == 303
    attached = client.post(
        f"{url}/verification",
        data={"csrf_token": token, "verification_id": str(verified.verification_id)},
        follow_redirects=False,
    )
    assert attached.status_code == 303
    shown = client.get(url)
    assert (
        'data-kpi="productivity" data-verdict="meets"' in shown.text
        and 'data-kpi="operating_cost" data-verdict="meets"' in shown.text
    )
    assert 'id="maturity-level">3<' in shown.text and 'data-passed="true"' in shown.text

    # The assigned expert reviews; the officer sees no review form, the expert no decision form.
    assert 'id="review-form"' not in shown.text
    _sign_in(client, reviewer)
    mine = client.get(url)
    assert 'id="review-form"' in mine.text and 'id="decision-form"' not in mine.text
    blank = client.post(f"{url}/review", data={"csrf_token": _csrf(mine.text), "comment": "缺少意见"})
    assert blank.status_code == 422 and "opinion" in blank.text
    reviewed = client.post(
        f"{url}/review",
        data={"csrf_token": _csrf(mine.text), "opinion": "pass", "comment": "同意通过"},
        follow_redirects=False,
    )
    assert reviewed.status_code == 303

    _sign_in(client, officer)
    ready = client.get(url)
    assert 'id="ready"' in ready.text
    decided = client.post(
        f"{url}/decision",
        data={"csrf_token": _csrf(ready.text), "decision": "passed", "rationale": "各项达标"},
        follow_redirects=False,
    )
    assert decided.status_code == 303
    assert _acceptance(world, acceptance_id).decision == Decision.PASSED
    with world.database.session() as session:
        assert session.get(FactoryProject, project_id).stage == ProjectStage.ACCEPTED  # type: ignore[union-attr]
    final = client.get(url)
    assert 'id="decision"' in final.text and "各项达标" in final.text and 'id="decision-form"' not in final.text


def test_scope_on_the_pages(client: TestClient, world: World) -> None:
    officer = world.user(Role.OFFICER)
    acceptance_id = open_acceptance(
        world, officer, project(world, registered_enterprise(world)), [world.user(Role.EXPERT)]
    )
    _sign_in(client, world.user(Role.EXPERT))
    assert client.get(f"{HOME}/{acceptance_id}").status_code == 404
    assert f'data-acceptance="{acceptance_id}"' not in client.get(HOME).text
    assert client.get("/programme/benchmarks").status_code == 403
    _sign_in(client, world.user(Role.ENTERPRISE))
    assert client.get(HOME).status_code == 403


def test_benchmark_page_shows_quota_and_records_decisions(client: TestClient, world: World) -> None:
    ranked = [verified_enterprise(world, Industry.AEROSPACE) for _ in range(2)]
    first, second = (
        project(world, each.enterprise_id, ProjectStage.RECOGNISED, verification_id=each.verification_id)
        for each in ranked
    )
    _sign_in(client, world.user(Role.OFFICER))
    page = client.get("/programme/benchmarks")
    assert page.status_code == 200
    assert 'data-industry="aerospace" data-left="1"' in page.text
    assert f'data-project="{first}" data-rank="1"' in page.text
    chosen = client.post(
        "/programme/benchmarks/decisions",
        data={"csrf_token": _csrf(page.text), "project_id": str(first), "selected": "true", "rationale": "排名第一"},
        follow_redirects=False,
    )
    assert chosen.status_code == 303
    after = client.get("/programme/benchmarks")
    assert 'data-industry="aerospace" data-left="0"' in after.text and "排名第一" in after.text
    beyond = client.post(
        "/programme/benchmarks/decisions",
        data={"csrf_token": _csrf(after.text), "project_id": str(second), "selected": "true", "rationale": "补充"},
    )
    assert beyond.status_code == 422 and 'role="alert"' in beyond.text and "aerospace" in beyond.text
    no_reason = client.post(
        "/programme/benchmarks/decisions",
        data={"csrf_token": _csrf(after.text), "project_id": str(second), "selected": "false", "rationale": " "},
    )
    assert no_reason.status_code == 422 and "rationale" in no_reason.text
