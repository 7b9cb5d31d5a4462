"""The model registry: model versions with their training range, metrics, signals and artefact; deployments of a
model to equipment (who deployed it, when); retirement. Predictors are applied through ``health.predictor``.

A model applied to equipment must find each signal it was trained on among that equipment's signals (by name);
otherwise the deployment is refused with a 422 that names the missing signals. Deploying a model of a kind retires
the equipment's previous deployment of that kind. Every change bumps the deployment revision, which the stream
observers watch to reload their caches.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.errors import Conflict, InputError, NotFound
from zhizao.fields import MAX_ID
from zhizao.maintenance.health import access
from zhizao.maintenance.health.kinds import ModelKind, ModelStatus
from zhizao.maintenance.health.predictor import (
    ArtefactInfo,
    Predictor,
    detect_format,
    inspector_for,
    known_formats,
    loader_for,
)
from zhizao.maintenance.health.reading import moment_us
from zhizao.maintenance.health.schemas import ModelCreate
from zhizao.maintenance.models_health import MAX_ARTEFACT, DeploymentRevision, MaintenanceModel, ModelDeployment
from zhizao.telemetry.kinds import DataType, SignalKind
from zhizao.telemetry.models import Equipment, Signal

MODEL_FIELDS = ("name", "kind", "version", "status", "equipment_id", "training_start", "training_end", "signals")
DEPLOYMENT_FIELDS = ("model_id", "equipment_id", "kind", "active", "signal_map")
NUMERIC = (DataType.FLOAT, DataType.INT, DataType.BOOL)


def bump_revision(session: Session) -> None:
    row = session.get(DeploymentRevision, 1)
    if row is None:
        session.add(DeploymentRevision(id=1, revision=1))
    else:
        session.execute(update(DeploymentRevision).where(DeploymentRevision.id == 1).values(revision=row.revision + 1))


def current_revision(session: Session) -> int:
    return session.scalar(select(DeploymentRevision.revision).where(DeploymentRevision.id == 1)) or 0


def equipment_signals(session: Session, equipment_id: int) -> dict[str, Signal]:
    """The equipment's numeric signals by name (where two devices name one alike, the older signal)."""
    rows = session.scalars(
        select(Signal)
        .where(Signal.equipment_id == equipment_id, Signal.data_type.in_(NUMERIC))
        .order_by(Signal.id.desc())
    )
    return {row.name: row for row in rows}


def bind_signals(
    session: Session,
    equipment: Equipment,
    names: Sequence[str],
    field: str,
    mapping: Mapping[str, str] | None = None,
) -> dict[str, int]:
    """Each name the model needs → the equipment's signal id (``mapping``: model signal → equipment signal name,
    where they are named differently); a 422 naming every one it lacks."""
    mapping = mapping or {}
    unknown = [name for name in mapping if name not in names]
    if unknown:
        raise InputError.for_field("body.signal_map", f"the model has no signals named {', '.join(unknown)}")
    available = equipment_signals(session, equipment.id)
    missing = [name for name in names if mapping.get(name, name) not in available]
    if missing:
        shown = [name if mapping.get(name, name) == name else f"{name} (as {mapping[name]})" for name in missing]
        raise InputError.for_field(
            field,
            f"equipment {equipment.code} lacks signals the model was trained on: {', '.join(shown)}",
        )
    return {name: available[mapping.get(name, name)].id for name in names}


def _model_clauses(session: Session, actor: Principal) -> list[ColumnElement[bool]]:
    if actor.sees_all_tenants:
        return []
    if actor.role == Role.PLATFORM:
        on_consented = select(ModelDeployment.model_id).where(
            access.equipment_clause(session, actor, ModelDeployment.equipment_id, ModelDeployment.enterprise_id)
        )
        return [or_(MaintenanceModel.enterprise_id.is_(None), MaintenanceModel.id.in_(on_consented))]
    return [or_(MaintenanceModel.enterprise_id.is_(None), MaintenanceModel.enterprise_id == actor.organisation_id)]


def model_for_read(session: Session, actor: Principal, model_id: int) -> MaintenanceModel:
    model = session.scalar(
        select(MaintenanceModel).where(MaintenanceModel.id == model_id, *_model_clauses(session, actor))
    )
    if model is None:
        raise NotFound(f"model {model_id} not found")
    return model


def _model_for_write(session: Session, actor: Principal, model_id: int) -> MaintenanceModel:
    model = model_for_read(session, actor, model_id)
    if actor.role not in access.WRITERS or (model.enterprise_id is None and actor.role != Role.ADMIN):
        if model.enterprise_id is not None:
            raise NotFound(f"model {model_id} not found")
        raise InputError.for_field("path.model_id", "only administrators change platform-wide models")
    return model


def list_models(
    session: Session,
    actor: Principal,
    *,
    kind: ModelKind | None = None,
    equipment_id: int | None = None,
    enterprise_id: int | None = None,
    limit: int = 200,
) -> Sequence[MaintenanceModel]:
    clauses = _model_clauses(session, actor)
    if kind is not None:
        clauses.append(MaintenanceModel.kind == kind)
    if equipment_id is not None:
        clauses.append(MaintenanceModel.equipment_id == equipment_id)
    if enterprise_id is not None:
        clauses.append(MaintenanceModel.enterprise_id == enterprise_id)
    query = select(MaintenanceModel).where(*clauses).order_by(MaintenanceModel.id.desc()).limit(limit)
    return session.scalars(query).all()


def create_model(
    session: Session,
    actor: Principal | None,
    *,
    enterprise_id: int | None,
    name: str,
    kind: ModelKind,
    artefact_format: str,
    artefact: bytes,
    signals: Sequence[str],
    metrics: dict[str, Any],
    training_start: datetime | None = None,
    training_end: datetime | None = None,
    equipment_id: int | None = None,
    note: str | None = None,
) -> MaintenanceModel:
    """Add a model version (the next of its name) to the caller's open transaction."""
    latest = session.scalar(
        select(func.max(MaintenanceModel.version)).where(
            MaintenanceModel.name == name,
            MaintenanceModel.enterprise_id.is_(None)
            if enterprise_id is None
            else MaintenanceModel.enterprise_id == enterprise_id,
        )
    )
    model = MaintenanceModel(
        enterprise_id=enterprise_id, equipment_id=equipment_id, name=name, kind=kind, version=(latest or 0) + 1,
        status=ModelStatus.REGISTERED, training_start=training_start, training_end=training_end, metrics=metrics,
        signals=list(signals), artefact_format=artefact_format, artefact=artefact,
        artefact_sha256=hashlib.sha256(artefact).hexdigest(), note=note,
        created_by_id=actor.user_id if actor else None, created_by_name=actor.username if actor else "system",
    )  # fmt: skip
    session.add(model)
    session.flush()
    audit.record(
        session, actor, action="maintenance_model.register", entity_type="maintenance_model", entity_id=model.id,
        organisation_id=enterprise_id, after=audit.snapshot(model, MODEL_FIELDS), detail=f"{name} v{model.version}",
    )  # fmt: skip
    return model


def _owner(session: Session, actor: Principal, requested: int | None) -> int | None:
    if actor.role == Role.ENTERPRISE:
        if requested is not None and requested != actor.organisation_id:
            raise NotFound(f"enterprise {requested} not found")
        return actor.organisation_id
    if requested is None:
        return None  # an administrator's platform-wide model
    organisation = session.get(Organisation, requested) if requested <= MAX_ID else None
    if organisation is None or organisation.kind != OrganisationKind.ENTERPRISE:
        raise InputError.for_field("body.enterprise_id", f"organisation {requested} is not an enterprise")
    return requested


def _times(start: datetime | None, end: datetime | None) -> None:
    start_us = moment_us(start, "body.training_start") if start is not None else None
    end_us = moment_us(end, "body.training_end") if end is not None else None
    if start_us is not None and end_us is not None and end_us <= start_us:
        raise InputError.for_field("body.training_end", "must be after the training start")


def register_model(session: Session, actor: Principal, data: ModelCreate) -> MaintenanceModel:
    """Register a model version: its artefact must load with the loader of its format, and name its signals."""
    _times(data.training_start, data.training_end)
    try:
        artefact = base64.b64decode(data.artefact_base64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InputError.for_field("body.artefact_base64", "not valid base64") from exc
    if len(artefact) > MAX_ARTEFACT:
        raise InputError.for_field("body.artefact_base64", f"larger than {MAX_ARTEFACT // 1024 // 1024} MiB")
    info = artefact_info(data.artefact_format, artefact, "body.artefact_format", "body.artefact_base64")
    if info.kind != data.kind:
        raise InputError.for_field("body.kind", f"the artefact is a {info.kind.value} model")
    if data.signals is not None and list(data.signals) != list(info.signals):
        raise InputError.for_field(
            "body.signals", f"the artefact was trained on {', '.join(info.signals)}, not on these"
        )
    with session.begin():
        return create_model(
            session, actor, enterprise_id=_owner(session, actor, data.enterprise_id), name=data.name,
            kind=data.kind, artefact_format=data.artefact_format, artefact=artefact,
            signals=info.signals, metrics={**info.metrics, **data.metrics}, training_start=data.training_start,
            training_end=data.training_end, note=data.note or info.note or None,
        )  # fmt: skip


def artefact_info(artefact_format: str, artefact: bytes, format_field: str, artefact_field: str) -> ArtefactInfo:
    """What the artefact holds: from its header where its format has one (checked, never unpickled), else by
    loading it with its format's loader. A 422 on ``artefact_field`` for anything wrong with the bytes."""
    inspector = inspector_for(artefact_format)
    if inspector is not None:
        return inspector(artefact)  # raises InputError on the artefact field itself
    loader = loader_for(artefact_format)
    if loader is None:
        raise InputError.for_field(format_field, f"no loader for this format; known: {', '.join(known_formats())}")
    try:
        predictor = loader(artefact)
    except Exception as exc:  # whatever the loader raises about bad bytes is the caller's artefact's fault
        raise InputError.for_field(artefact_field, f"the artefact does not load: {exc}") from exc
    return ArtefactInfo(predictor.kind, tuple(predictor.signals))


def register_file(
    session: Session,
    actor: Principal,
    *,
    name: str,
    artefact: bytes,
    enterprise_id: int | None = None,
    note: str | None = None,
) -> MaintenanceModel:
    """Register an uploaded model file (a RUL or bearing model as ``zhizao maintenance … train`` saves it): its
    format, kind, signals and metrics come from its header, checked before anything of it is unpickled."""
    if len(artefact) > MAX_ARTEFACT:
        raise InputError.for_field("body.file", f"larger than {MAX_ARTEFACT // 1024 // 1024} MiB")
    artefact_format = detect_format(artefact)
    if artefact_format is None:
        raise InputError.for_field("body.file", "not a zhizao RUL or bearing model file (unknown header)")
    info = artefact_info(artefact_format, artefact, "body.file", "body.file")
    with session.begin():
        return create_model(
            session, actor, enterprise_id=_owner(session, actor, enterprise_id), name=name, kind=info.kind,
            artefact_format=artefact_format, artefact=artefact, signals=info.signals, metrics=info.metrics,
            note=note or info.note or None,
        )  # fmt: skip


def deploy(
    session: Session,
    actor: Principal | None,
    model: MaintenanceModel,
    equipment: Equipment,
    mapping: Mapping[str, str] | None = None,
) -> ModelDeployment:
    """Apply ``model`` to ``equipment`` within the caller's open transaction (``mapping``: model signal →
    equipment signal name, for signals the equipment names differently)."""
    if model.status == ModelStatus.RETIRED:
        raise Conflict(f"model {model.id} is retired")
    if model.kind == ModelKind.BEARING:
        # It reads waveforms, which the telemetry stream does not carry; the stream observer would store an empty
        # prediction every window. Recordings are diagnosed on upload (``vibration.online.diagnose_recording``).
        raise InputError.for_field(
            "path.model_id", "a bearing model diagnoses uploaded recordings; it is not deployed to the stream"
        )
    if model.enterprise_id is not None and model.enterprise_id != equipment.enterprise_id:
        raise NotFound(f"equipment {equipment.id} not found")
    if model.equipment_id is not None and model.equipment_id != equipment.id:
        raise InputError.for_field(
            "body.equipment_id", "a health baseline describes only the equipment it was learnt on"
        )
    signal_map = bind_signals(session, equipment, model.signals, "body.equipment_id", mapping)
    now = datetime.now(UTC)
    previous = session.scalars(
        select(ModelDeployment).where(
            ModelDeployment.equipment_id == equipment.id, ModelDeployment.kind == model.kind, ModelDeployment.active
        )
    ).all()
    for row in previous:
        row.active, row.retired_at = False, now
    deployment = ModelDeployment(
        enterprise_id=equipment.enterprise_id, equipment_id=equipment.id, model_id=model.id, kind=model.kind,
        signal_map=signal_map, deployed_by_id=actor.user_id if actor else None,
        deployed_by_name=actor.username if actor else "system", deployed_at=now,
    )  # fmt: skip
    session.add(deployment)
    model.status = ModelStatus.DEPLOYED
    session.flush()
    _refresh_status(session, [row.model_id for row in previous if row.model_id != model.id])
    bump_revision(session)
    audit.record(
        session, actor, action="maintenance_model.deploy", entity_type="maintenance_deployment",
        entity_id=deployment.id, organisation_id=equipment.enterprise_id,
        after=audit.snapshot(deployment, DEPLOYMENT_FIELDS), detail=f"{model.name} v{model.version} → {equipment.code}",
    )  # fmt: skip
    return deployment


def _refresh_status(session: Session, model_ids: Sequence[int]) -> None:
    """A model no longer deployed anywhere goes back to registered."""
    for model_id in set(model_ids):
        model = session.get(MaintenanceModel, model_id)
        if model is None or model.status != ModelStatus.DEPLOYED:
            continue
        active = session.scalar(
            select(func.count()).where(ModelDeployment.model_id == model_id, ModelDeployment.active)
        )
        if not active:
            model.status = ModelStatus.REGISTERED


def deploy_model(
    session: Session, actor: Principal, model_id: int, equipment_id: int, mapping: Mapping[str, str] | None = None
) -> ModelDeployment:
    with session.begin():
        model = _model_for_write(session, actor, model_id)
        equipment = access.equipment_for_write(session, actor, equipment_id)
        return deploy(session, actor, model, equipment, mapping)


def retire_model(session: Session, actor: Principal, model_id: int) -> MaintenanceModel:
    with session.begin():
        model = _model_for_write(session, actor, model_id)
        if model.status == ModelStatus.RETIRED:
            raise Conflict(f"model {model_id} is already retired")
        before = audit.snapshot(model, MODEL_FIELDS)
        now = datetime.now(UTC)
        for row in session.scalars(
            select(ModelDeployment).where(ModelDeployment.model_id == model.id, ModelDeployment.active)
        ):
            row.active, row.retired_at = False, now
        model.status, model.retired_at, model.retired_by_name = ModelStatus.RETIRED, now, actor.username
        bump_revision(session)
        audit.record(
            session, actor, action="maintenance_model.retire", entity_type="maintenance_model", entity_id=model.id,
            organisation_id=model.enterprise_id, before=before, after=audit.snapshot(model, MODEL_FIELDS),
        )  # fmt: skip
    return model


def list_deployments(
    session: Session, actor: Principal, *, equipment_id: int | None = None, active_only: bool = True
) -> Sequence[ModelDeployment]:
    clauses: list[ColumnElement[bool]] = [
        access.equipment_clause(session, actor, ModelDeployment.equipment_id, ModelDeployment.enterprise_id)
    ]
    if equipment_id is not None:
        clauses.append(ModelDeployment.equipment_id == equipment_id)
    if active_only:
        clauses.append(ModelDeployment.active.is_(True))
    return session.scalars(select(ModelDeployment).where(*clauses).order_by(ModelDeployment.id.desc())).all()


def deployment_for(session: Session, actor: Principal, deployment_id: int, *, write: bool) -> ModelDeployment:
    row = session.get(ModelDeployment, deployment_id) if deployment_id <= MAX_ID else None
    if row is None:
        raise NotFound(f"deployment {deployment_id} not found")
    if write:
        access.equipment_for_write(session, actor, row.equipment_id)
    else:
        access.equipment_for_read(session, actor, row.equipment_id)
    return row


_PREDICTORS: dict[tuple[int, str], Predictor] = {}


def predictor_of(model: MaintenanceModel) -> Predictor:
    """The model's predictor, loaded once per artefact (by id and digest) in this process."""
    key = (model.id, model.artefact_sha256)
    predictor = _PREDICTORS.get(key)
    if predictor is None:
        loader = loader_for(model.artefact_format)
        if loader is None:
            raise InputError(f"no loader for artefact format {model.artefact_format} of model {model.id}")
        predictor = _PREDICTORS[key] = loader(model.artefact)
    return predictor


def signal_kinds_numeric(signal: Signal) -> bool:
    return signal.kind == SignalKind.MEASUREMENT and signal.data_type in (DataType.FLOAT, DataType.INT)
