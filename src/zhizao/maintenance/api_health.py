"""JSON API of equipment health, the model registry, predictions and maintenance cases (``/api/maintenance/...``).

Enterprise users (their own equipment) and administrators write; officers read; platform operators read the
equipment whose owner consented to remote maintenance. Another tenant's ids are 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.fields import IdPath, IdQuery
from zhizao.maintenance import cases, registry
from zhizao.maintenance.health import access, learn, service
from zhizao.maintenance.health.kinds import CaseState, ModelKind
from zhizao.maintenance.health.schemas import (
    AssessmentRead,
    BaselineLearn,
    CaseAcknowledge,
    CaseClose,
    CaseRead,
    DeploymentCreate,
    DeploymentRead,
    EquipmentHealthRead,
    ModelCreate,
    ModelRead,
    PredictionRead,
)
from zhizao.maintenance.models_health import MaintenanceCase
from zhizao.telemetry.api_data import StoreDep

router = APIRouter(prefix="/api/maintenance", tags=["maintenance: health"])

Reader = Annotated[Principal, Depends(require_role(*access.READERS))]
Writer = Annotated[Principal, Depends(require_role(*access.WRITERS))]
Limit = Annotated[int, Query(ge=1, le=5_000)]


def case_read(case: MaintenanceCase) -> CaseRead:
    return CaseRead.model_validate(case, from_attributes=True).model_copy(
        update={"evidence_chart": cases.evidence_chart(case)}
    )


# -- health --------------------------------------------------------------------------------------------------


@router.get("/health")
def health_overview(
    principal: Reader, session: SessionDep, store: StoreDep, enterprise_id: IdQuery = None
) -> list[EquipmentHealthRead]:
    """Every piece of equipment in scope with its current NE107 status, health score and drivers."""
    return service.overview(session, store, principal, enterprise_id)


@router.get("/health/{equipment_id}")
def equipment_health(
    equipment_id: IdPath, principal: Reader, session: SessionDep, store: StoreDep
) -> EquipmentHealthRead:
    return service.equipment_health(session, store, principal, equipment_id)


@router.get("/health/{equipment_id}/history")
def health_history(
    equipment_id: IdPath,
    principal: Reader,
    session: SessionDep,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: Limit = 1_000,
) -> list[AssessmentRead]:
    """Stored assessments in [start, end) (default: the last 24 hours), oldest first."""
    rows = service.history(session, principal, equipment_id, start, end, limit)
    return [service.assessment_read(row) for row in rows]


@router.post("/health/{equipment_id}/baseline", status_code=status.HTTP_201_CREATED)
def learn_baseline(
    equipment_id: IdPath, data: BaselineLearn, principal: Writer, session: SessionDep, store: StoreDep
) -> ModelRead:
    """Learn a baseline from a normal period; registered as a ``health_baseline`` model and deployed."""
    return ModelRead.model_validate(learn.learn_baseline(session, store, principal, equipment_id, data))


# -- registry ------------------------------------------------------------------------------------------------


@router.get("/models")
def list_models(
    principal: Reader,
    session: SessionDep,
    kind: ModelKind | None = None,
    equipment_id: IdQuery = None,
    enterprise_id: IdQuery = None,
) -> list[ModelRead]:
    rows = registry.list_models(session, principal, kind=kind, equipment_id=equipment_id, enterprise_id=enterprise_id)
    return [ModelRead.model_validate(row) for row in rows]


@router.post("/models", status_code=status.HTTP_201_CREATED)
def register_model(data: ModelCreate, principal: Writer, session: SessionDep) -> ModelRead:
    return ModelRead.model_validate(registry.register_model(session, principal, data))


@router.get("/models/{model_id}")
def read_model(model_id: IdPath, principal: Reader, session: SessionDep) -> ModelRead:
    return ModelRead.model_validate(registry.model_for_read(session, principal, model_id))


@router.post("/models/{model_id}/deploy", status_code=status.HTTP_201_CREATED)
def deploy_model(model_id: IdPath, data: DeploymentCreate, principal: Writer, session: SessionDep) -> DeploymentRead:
    """Apply the model to a piece of equipment; 422 naming the signals it was trained on that the equipment lacks."""
    return DeploymentRead.model_validate(registry.deploy_model(session, principal, model_id, data.equipment_id))


@router.post("/models/{model_id}/retire")
def retire_model(model_id: IdPath, principal: Writer, session: SessionDep) -> ModelRead:
    return ModelRead.model_validate(registry.retire_model(session, principal, model_id))


@router.get("/deployments")
def list_deployments(
    principal: Reader, session: SessionDep, equipment_id: IdQuery = None, active: bool = True
) -> list[DeploymentRead]:
    rows = registry.list_deployments(session, principal, equipment_id=equipment_id, active_only=active)
    return [DeploymentRead.model_validate(row) for row in rows]


@router.post("/deployments/{deployment_id}/predict", status_code=status.HTTP_201_CREATED)
def predict(deployment_id: IdPath, principal: Writer, session: SessionDep, store: StoreDep) -> PredictionRead:
    """Apply the deployment to the latest complete window now; the stored prediction."""
    return PredictionRead.model_validate(service.predict(session, store, principal, deployment_id))


@router.get("/predictions")
def list_predictions(
    principal: Reader,
    session: SessionDep,
    equipment_id: IdQuery = None,
    model_id: IdQuery = None,
    limit: Limit = 200,
) -> list[PredictionRead]:
    rows = service.predictions(session, principal, equipment_id=equipment_id, model_id=model_id, limit=limit)
    return [PredictionRead.model_validate(row) for row in rows]


# -- cases ---------------------------------------------------------------------------------------------------


@router.get("/cases")
def list_cases(
    principal: Reader,
    session: SessionDep,
    state: CaseState | None = None,
    equipment_id: IdQuery = None,
    enterprise_id: IdQuery = None,
) -> list[CaseRead]:
    rows = cases.list_cases(session, principal, state=state, equipment_id=equipment_id, enterprise_id=enterprise_id)
    return [case_read(row) for row in rows]


@router.get("/cases/{case_id}")
def read_case(case_id: IdPath, principal: Reader, session: SessionDep) -> CaseRead:
    return case_read(cases.case_for_read(session, principal, case_id))


@router.post("/cases/{case_id}/acknowledge")
def acknowledge_case(case_id: IdPath, data: CaseAcknowledge, principal: Writer, session: SessionDep) -> CaseRead:
    return case_read(cases.acknowledge_case(session, principal, case_id, data.comment))


@router.post("/cases/{case_id}/close")
def close_case(case_id: IdPath, data: CaseClose, principal: Writer, session: SessionDep) -> CaseRead:
    return case_read(cases.close_case(session, principal, case_id, data.resolution))
