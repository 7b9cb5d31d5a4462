"""Resources of one tenant and a caller who must not reach them, for the route-walking tests.

For an expert the "tenant" is the set of diagnoses they are on: an expert in the pool who is not on a diagnosis gets
404 on every one of its routes, like an enterprise user on another enterprise's assessment.
"""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.assessment.builders import enterprise, principal_of, running_diagnosis
from tests.conftest import Account, World
from zhizao.accounts.roles import Role
from zhizao.assessment import service, service_evidence, service_pool
from zhizao.assessment.schemas import IntegratorUpdate, SelfAssessmentCreate

PDF = b"%PDF-1.7\n%%EOF\n"


def diagnosis_of_another_team(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    """A running diagnosis with an evidence file, and an expert of the pool who is not on its team."""
    diagnosis_id, (lead, _) = running_diagnosis(world, enterprise(world))
    data_dir = client.app.state.settings.data_dir  # type: ignore[attr-defined]
    with world.database.session() as session:
        evidence = service_evidence.upload(
            session, principal_of(lead.user), data_dir, diagnosis_id, content=PDF, filename="a.pdf", item_id=None
        )
    return world.user(Role.EXPERT), {"assessment_id": diagnosis_id, "evidence_id": evidence.id}


def self_assessment_of_another_enterprise(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    owner = enterprise(world)
    with world.database.session() as session:
        draft = service.create_self_assessment(session, principal_of(owner.user), SelfAssessmentCreate())
    return world.user(Role.ENTERPRISE), {"assessment_id": draft.id}


def another_integrators_entry(world: World, client: TestClient) -> tuple[Account, dict[str, object]]:
    owner = world.user(Role.INTEGRATOR)
    assert owner.organisation_id is not None
    with world.database.session() as session:
        service_pool.put_integrator(
            session, principal_of(owner), owner.organisation_id, IntegratorUpdate(capabilities=["mes"])
        )
    return world.user(Role.INTEGRATOR), {"integrator_id": owner.organisation_id}


DIAGNOSIS_ROUTES = [
    ("GET", "/api/assessment/assessments/{assessment_id}"),
    ("POST", "/api/assessment/diagnoses/{assessment_id}/response"),
    ("POST", "/api/assessment/diagnoses/{assessment_id}/consensus"),
    ("GET", "/api/assessment/diagnoses/{assessment_id}/agreement"),
    ("GET", "/api/assessment/assessments/{assessment_id}/ratings"),
    ("PUT", "/api/assessment/assessments/{assessment_id}/ratings"),
    ("GET", "/api/assessment/assessments/{assessment_id}/progress"),
    ("GET", "/api/assessment/assessments/{assessment_id}/result"),
    ("GET", "/api/assessment/assessments/{assessment_id}/telemetry-checks"),
    ("POST", "/api/assessment/assessments/{assessment_id}/telemetry-checks"),
    ("GET", "/api/assessment/assessments/{assessment_id}/evidence"),
    ("POST", "/api/assessment/assessments/{assessment_id}/evidence"),
    ("GET", "/api/assessment/assessments/{assessment_id}/evidence/{evidence_id}"),
    ("GET", "/api/assessment/assessments/{assessment_id}/report.pdf"),
    ("GET", "/api/assessment/assessments/{assessment_id}/ratings.xlsx"),
]
SELF_ASSESSMENT_ROUTES = [("POST", "/api/assessment/self-assessments/{assessment_id}/submit")]
INTEGRATOR_ROUTES = [
    ("PUT", "/api/assessment/integrators/{integrator_id}"),
    ("DELETE", "/api/assessment/integrators/{integrator_id}"),
]

TENANT_CASES = {
    **dict.fromkeys(DIAGNOSIS_ROUTES, diagnosis_of_another_team),
    **dict.fromkeys(SELF_ASSESSMENT_ROUTES, self_assessment_of_another_enterprise),
    **dict.fromkeys(INTEGRATOR_ROUTES, another_integrators_entry),
}
TENANT_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("PUT", "/api/assessment/assessments/{assessment_id}/ratings"): {"ratings": [{"item": "data.L1.1", "rating": 1}]},
    ("POST", "/api/assessment/diagnoses/{assessment_id}/response"): {"accept": True},
    ("PUT", "/api/assessment/integrators/{integrator_id}"): {"capabilities": ["mes"]},
}
