"""Integrators matched to a factory's gaps: listed integrators ranked by the gap sub-domains of the enterprise's latest
closed diagnosis they cover, then by serving its industry, then by verified projects."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.programme.builders import programme_enterprise
from tests.programme.project_builders import closed_diagnosis
from tests.programme.tenant_cases_directory import application, applied_integrator, delivered_project, listed_integrator
from zhizao.accounts.roles import Role
from zhizao.programme.kinds import Industry

URL = "/api/programme/enterprises/{}/integrator-matches"
OTHER = (Industry.BIOMEDICINE,)


def test_listed_integrators_are_ranked_against_the_gaps(client: TestClient, world: World) -> None:
    enterprise_id, enterprise = programme_enterprise(world, Industry.AUTOMOTIVE)
    # Level 2 reached: the roadmap to level 3 includes information security, logistics and process design, but not
    # energy or warehousing (see the model's level-3 requirements).
    diagnosis_id = closed_diagnosis(world, enterprise_id, maturity_level=2)
    two_gaps = listed_integrator(world, application(capabilities=("cybersecurity", "tms"), industries=OTHER), "甲")
    serves_industry = listed_integrator(world, application(capabilities=("cybersecurity",)), "乙")
    more_verified = listed_integrator(world, application(capabilities=("capp",), industries=OTHER), "丙")
    assert more_verified.organisation_id is not None
    delivered_project(world, more_verified.organisation_id)
    plain = listed_integrator(world, application(capabilities=("cybersecurity",), industries=OTHER), "丁")
    listed_integrator(world, application(capabilities=("ems", "wms")), "戊")  # covers no gap
    applied_integrator(world, application(capabilities=("cybersecurity", "tms", "capp")), "己")  # not listed

    response = client.get(URL.format(enterprise_id), headers=bearer(client, enterprise))
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["diagnosis_id"] == diagnosis_id and found["industry"] == "automotive"
    assert {"information_security", "logistics", "design.process"} <= set(found["gap_subdomains"])
    assert not {"production.energy", "production.warehousing"} & set(found["gap_subdomains"])
    ranked = [
        (m["integrator_id"], m["covered_subdomains"], m["serves_industry"], m["verified_projects"])
        for m in found["matches"]
    ]
    assert ranked == [
        (two_gaps.organisation_id, ["information_security", "logistics"], False, 1),
        (serves_industry.organisation_id, ["information_security"], True, 1),
        (more_verified.organisation_id, ["design.process"], False, 2),
        (plain.organisation_id, ["information_security"], False, 1),
    ]
    officer = client.get(URL.format(enterprise_id), headers=bearer(client, world.user(Role.OFFICER)))
    assert officer.json() == found


def test_matching_is_the_enterprises_own_and_needs_a_closed_diagnosis(client: TestClient, world: World) -> None:
    enterprise_id, enterprise = programme_enterprise(world)
    _, stranger = programme_enterprise(world)
    assert client.get(URL.format(enterprise_id), headers=bearer(client, stranger)).status_code == 404
    undiagnosed = client.get(URL.format(enterprise_id), headers=bearer(client, enterprise))
    assert undiagnosed.status_code == 409 and "no closed diagnosis" in undiagnosed.json()["error"]["message"]
    integrator = world.user(Role.INTEGRATOR)
    assert client.get(URL.format(enterprise_id), headers=bearer(client, integrator)).status_code == 403
    officer = bearer(client, world.user(Role.OFFICER))
    assert client.get(URL.format(integrator.organisation_id), headers=officer).status_code == 404  # not an enterprise
