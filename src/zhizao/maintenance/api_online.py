"""JSON API of model files and recordings (``/api/maintenance/...``): upload a RUL or bearing model file as saved
by ``zhizao maintenance … train``, deploy a model to equipment with a signal mapping, and diagnose an uploaded vibration
recording. Writers as in the registry: administrators, and an enterprise's own users for that enterprise."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, UploadFile, status
from pydantic import BaseModel, ConfigDict, Field

from zhizao.accounts.deps import SessionDep
from zhizao.errors import InputError
from zhizao.fields import IdField, IdPath
from zhizao.maintenance import registry
from zhizao.maintenance.api_health import Writer
from zhizao.maintenance.health import access
from zhizao.maintenance.health.schemas import DeploymentRead, ModelRead, PredictionRead, SignalName
from zhizao.maintenance.models_health import MAX_ARTEFACT
from zhizao.maintenance.vibration import online as bearing_online

router = APIRouter(prefix="/api/maintenance", tags=["maintenance: health"])

MAX_RECORDING = 64 * 1024 * 1024


class MappedDeploymentCreate(BaseModel):
    """Deploy a model to equipment whose signals are named differently: model signal → equipment signal name."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    model_id: IdField
    signal_map: dict[SignalName, SignalName] = Field(default_factory=dict, max_length=200)


class RecordingDiagnosisRead(BaseModel):
    prediction: PredictionRead
    case_id: int | None


def writable_equipment(equipment_id: IdPath, principal: Writer, session: SessionDep) -> int:
    """The equipment the caller may change, checked before the body is read (another tenant's id: 404 at once)."""
    with session.begin():
        return access.equipment_for_write(session, principal, equipment_id).id


EquipmentId = Annotated[int, Depends(writable_equipment)]


def _read(upload: UploadFile, limit: int) -> bytes:
    content = upload.file.read(limit + 1)
    if len(content) > limit:
        raise InputError.for_field("body.file", f"larger than {limit // 1024 // 1024} MiB")
    return content


@router.post("/models/upload", status_code=status.HTTP_201_CREATED)
def upload_model(
    principal: Writer,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    name: Annotated[str, Form(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:/ -]+$")],
    enterprise_id: Annotated[int | None, Form(ge=1)] = None,
    note: Annotated[str | None, Form(max_length=500)] = None,
) -> ModelRead:
    """Register a model file; its format, kind, signals and metrics come from its header (checked, not unpickled)."""
    content = _read(file, MAX_ARTEFACT)
    model = registry.register_file(
        session, principal, name=name, artefact=content, enterprise_id=enterprise_id, note=note
    )
    return ModelRead.model_validate(model)


@router.post("/equipment/{equipment_id}/deployments", status_code=status.HTTP_201_CREATED)
def deploy_mapped(
    equipment_id: EquipmentId, data: MappedDeploymentCreate, principal: Writer, session: SessionDep
) -> DeploymentRead:
    """Apply a model to the equipment with a signal mapping; 422 naming the model signals the equipment lacks."""
    row = registry.deploy_model(session, principal, data.model_id, equipment_id, data.signal_map)
    return DeploymentRead.model_validate(row)


@router.post("/equipment/{equipment_id}/recordings", status_code=status.HTTP_201_CREATED)
def diagnose_recording(
    equipment_id: EquipmentId,
    principal: Writer,
    session: SessionDep,
    file: Annotated[UploadFile, File()],
    fs: Annotated[float, Form(gt=0, le=1_000_000)],
    rpm: Annotated[float, Form(gt=0, le=100_000)],
    model_id: Annotated[int | None, Form(ge=1)] = None,
) -> RecordingDiagnosisRead:
    """Diagnose a vibration recording (.npz or CSV of samples, at ``fs`` Hz, shaft at ``rpm``) with a bearing
    model (the enterprise's newest when none is named); stored as a prediction, a case opened for a fault."""
    content = _read(file, MAX_RECORDING)
    prediction, case = bearing_online.diagnose_recording(
        session, principal, equipment_id, content=content, filename=file.filename or "", fs=fs, rpm=rpm,
        model_id=model_id,
    )  # fmt: skip
    return RecordingDiagnosisRead(
        prediction=PredictionRead.model_validate(prediction), case_id=case.id if case is not None else None
    )
