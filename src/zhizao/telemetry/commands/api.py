"""JSON API of remote commands (prepare → confirm | cancel; history), owners' consents and Sparkplug routes.

What the app provides on ``app.state`` (see docs/commands.md): ``telemetry_store`` (always), ``command_publisher``
(an ``mqtt.CommandPublisher``; without it MQTT commands answer 502), optionally ``connector_drivers`` (a
``DriverRegistry``; default: the real drivers), ``connector_bindings`` (a ``BindingResolver``; default: the
connector configuration service) and ``command_policy`` (a ``CommandPolicy``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status

from zhizao.accounts.deps import SessionDep, require_role
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.connectors.drivers import DriverRegistry, default_drivers
from zhizao.fields import IdPath, IdQuery, Limit, Offset
from zhizao.telemetry.commands import consent, edges, service
from zhizao.telemetry.commands.models import CommandStatus, ConsentScope, EquipmentConsent
from zhizao.telemetry.commands.ratelimit import CommandPolicy
from zhizao.telemetry.commands.schemas import (
    CommandCreate,
    CommandPage,
    CommandRead,
    ConsentCreate,
    ConsentRead,
    SparkplugEdgeRead,
    SparkplugEdgeUpdate,
)
from zhizao.telemetry.commands.transports import CommandEnvironment, default_binding_resolver
from zhizao.telemetry.scope import ASSET_READERS, ASSET_WRITERS

router = APIRouter(prefix="/api", tags=["commands"])

# Who sends commands (the service checks ownership and consent); who reads the history and the consents.
Commander = Annotated[Principal, Depends(require_role(Role.ENTERPRISE, Role.PLATFORM))]
HistoryReader = Annotated[Principal, Depends(require_role(Role.ADMIN, Role.OFFICER, Role.ENTERPRISE, Role.PLATFORM))]
Owner = Annotated[Principal, Depends(require_role(Role.ENTERPRISE))]
AssetReader = Annotated[Principal, Depends(require_role(*ASSET_READERS))]
AssetWriter = Annotated[Principal, Depends(require_role(*ASSET_WRITERS))]


def environment(request: Request) -> CommandEnvironment:
    state = request.app.state
    drivers = getattr(state, "connector_drivers", None)
    if not isinstance(drivers, DriverRegistry):
        drivers = default_drivers()
        state.connector_drivers = drivers
    policy = getattr(state, "command_policy", None)
    return CommandEnvironment(
        store=state.telemetry_store,
        policy=policy if isinstance(policy, CommandPolicy) else CommandPolicy(),
        publisher=getattr(state, "command_publisher", None),
        drivers=drivers,
        resolver=getattr(state, "connector_bindings", None) or default_binding_resolver,
    )


EnvironmentDep = Annotated[CommandEnvironment, Depends(environment)]


@router.post("/commands", status_code=status.HTTP_201_CREATED)
def prepare_command(data: CommandCreate, principal: Commander, session: SessionDep, env: EnvironmentDep) -> CommandRead:
    """Step 1: validate and return a pending command with the current and the new value. Nothing is sent."""
    return service.read(service.prepare(session, principal, data, env))


@router.post("/commands/{command_id}/confirm")
def confirm_command(command_id: IdPath, principal: Commander, session: SessionDep, env: EnvironmentDep) -> CommandRead:
    """Step 2: by the same user within the confirmation window; sends it and returns the result."""
    return service.read(service.confirm(session, principal, command_id, env))


@router.post("/commands/{command_id}/cancel")
def cancel_command(command_id: IdPath, principal: Commander, session: SessionDep) -> CommandRead:
    return service.read(service.cancel(session, principal, command_id))


@router.get("/commands")
def list_commands(
    principal: HistoryReader,
    session: SessionDep,
    equipment_id: IdQuery = None,
    status: CommandStatus | None = None,
    offset: Offset = 0,
    limit: Limit = 50,
) -> CommandPage:
    rows, total = service.list_commands(
        session, principal, equipment_id=equipment_id, status=status, offset=offset, limit=limit
    )
    return CommandPage(items=[service.read(row) for row in rows], total=total, offset=offset, limit=limit)


@router.get("/commands/{command_id}")
def read_command(command_id: IdPath, principal: HistoryReader, session: SessionDep) -> CommandRead:
    return service.read(service.get_command(session, principal, command_id))


def _consent_read(row: EquipmentConsent) -> ConsentRead:
    return ConsentRead.model_validate(row).model_copy(update={"active": consent.is_active(row, datetime.now(UTC))})


@router.get("/consents")
def list_consents(
    principal: HistoryReader, session: SessionDep, scope: ConsentScope | None = None
) -> list[ConsentRead]:
    """Owners: the consents they gave; platform operators: those given to them."""
    return [_consent_read(row) for row in consent.list_consents(session, principal, scope=scope)]


@router.post("/consents", status_code=status.HTTP_201_CREATED)
def grant_consent(data: ConsentCreate, principal: Owner, session: SessionDep) -> ConsentRead:
    return _consent_read(consent.grant(session, principal, data))


@router.post("/consents/{consent_id}/revoke")
def revoke_consent(consent_id: IdPath, principal: Owner, session: SessionDep) -> ConsentRead:
    return _consent_read(consent.revoke(session, principal, consent_id))


@router.get("/devices/{device_id}/sparkplug-edge")
def read_sparkplug_edge(device_id: IdPath, principal: AssetReader, session: SessionDep) -> SparkplugEdgeRead:
    return edges.read_edge(session, principal, device_id)


@router.put("/devices/{device_id}/sparkplug-edge")
def set_sparkplug_edge(
    device_id: IdPath, data: SparkplugEdgeUpdate, principal: AssetWriter, session: SessionDep
) -> SparkplugEdgeRead:
    """The Sparkplug edge node the device's metrics come through (its commands go out as DCMD there)."""
    return edges.set_edge(session, principal, device_id, data.edge_node_id)
