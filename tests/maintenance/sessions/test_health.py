"""The session's health section reads the health service: "not assessed" without a baseline, the stored
assessment with one; a platform operator reads it under its remote_maintenance consent only."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from tests.conftest import World
from tests.maintenance.sessions.support import consent, rig
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.maintenance.health.kinds import HealthStatus, ModelKind, ModelStatus
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceModel, ModelDeployment
from zhizao.maintenance.sessions.health_view import health_of
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.timeutil import now_us


def test_health_is_shown_when_assessed(app: FastAPI, client: TestClient, world: World, database: Database) -> None:
    r = rig(world)
    store = app.state.telemetry_store
    operator = Principal(r.operator.user_id, r.operator.username, "", Role.PLATFORM, r.operator.organisation_id)
    owner = Principal(r.owner.user_id, r.owner.username, "", Role.ENTERPRISE, r.owner.organisation_id)
    with database.session() as session:
        equipment = session.get(Equipment, r.equipment_id)
        assert equipment is not None
        assert health_of(session, store, owner, equipment) is None  # no baseline: not assessed
        model = MaintenanceModel(
            enterprise_id=equipment.enterprise_id, equipment_id=equipment.id, name="baseline", version=1,
            kind=ModelKind.HEALTH_BASELINE, status=ModelStatus.DEPLOYED, artefact_format="test", artefact=b"",
            artefact_sha256="0" * 64, created_by_name="test",
        )  # fmt: skip
        session.add(model)
        session.flush()
        deployment = ModelDeployment(
            enterprise_id=equipment.enterprise_id, equipment_id=equipment.id, model_id=model.id,
            kind=ModelKind.HEALTH_BASELINE, signal_map={}, deployed_by_name="test",
        )  # fmt: skip
        session.add(deployment)
        session.flush()
        end = now_us()
        session.add(
            HealthAssessment(
                enterprise_id=equipment.enterprise_id,
                equipment_id=equipment.id,
                deployment_id=deployment.id,
                window_start_us=end - 600_000_000,
                window_end_us=end,
                status=HealthStatus.MAINTENANCE_REQUIRED,
                score=62.0,
                d2=9.5,
                drivers=[],
                missing=[],
                out_of_spec=[],
            )
        )
        session.commit()
        shown = health_of(session, store, owner, equipment)
        assert shown is not None and (shown.status, shown.score) == ("maintenance_required", 62.0)
        session.rollback()
        assert health_of(session, store, operator, equipment) is None  # no consent: not the operator's to read
    consent(client, r.owner, r.operator, equipment_id=r.equipment_id)
    with database.session() as session:
        equipment = session.get(Equipment, r.equipment_id)
        assert equipment is not None
        shown = health_of(session, store, operator, equipment)
        assert shown is not None and shown.label == "Maintenance required"
