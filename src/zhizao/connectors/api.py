"""JSON API of connector configurations: ``/api/connectors``. Enterprise users (their own) and administrators
change them; programme officers read them; everyone else is refused."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from zhizao.accounts.deps import SessionDep
from zhizao.connectors import service
from zhizao.connectors.drivers import DriverRegistry, default_drivers
from zhizao.connectors.schemas import (
    BrowseNodeRead,
    ConnectorCreate,
    ConnectorRead,
    ConnectorTest,
    ConnectorUpdate,
    ProbeRead,
)
from zhizao.fields import IdPath, IdQuery, NoNul
from zhizao.telemetry.api import Reader, Writer

router = APIRouter(prefix="/api/connectors", tags=["connectors"])


def get_drivers(request: Request) -> DriverRegistry:
    """The app's drivers: ``app.state.connector_drivers`` when set (tests, embedding), else the real ones."""
    drivers = getattr(request.app.state, "connector_drivers", None)
    if drivers is None:
        drivers = request.app.state.connector_drivers = default_drivers()
    assert isinstance(drivers, DriverRegistry)
    return drivers


Drivers = Annotated[DriverRegistry, Depends(get_drivers)]
NodeIdQuery = Annotated[str | None, Query(max_length=1000), NoNul]


@router.get("")
def list_connectors(
    principal: Reader, session: SessionDep, drivers: Drivers, enterprise_id: IdQuery = None
) -> list[ConnectorRead]:
    return service.list_connectors(session, principal, drivers, enterprise_id)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_connector(data: ConnectorCreate, principal: Writer, session: SessionDep, drivers: Drivers) -> ConnectorRead:
    record = service.create_connector(session, principal, drivers, data)
    return service.read_connector(session, principal, drivers, record.id)


@router.post("/test")
def test_settings(data: ConnectorTest, principal: Writer, session: SessionDep, drivers: Drivers) -> ProbeRead:
    """ "Test connection" with unsaved settings: connect once, read the mapped points, say what was found."""
    return service.test_settings(session, principal, drivers, data)


@router.get("/{connector_id}")
def read_connector(connector_id: IdPath, principal: Reader, session: SessionDep, drivers: Drivers) -> ConnectorRead:
    return service.read_connector(session, principal, drivers, connector_id)


@router.patch("/{connector_id}")
def update_connector(
    connector_id: IdPath, data: ConnectorUpdate, principal: Writer, session: SessionDep, drivers: Drivers
) -> ConnectorRead:
    service.update_connector(session, principal, drivers, connector_id, data)
    return service.read_connector(session, principal, drivers, connector_id)


@router.delete("/{connector_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_connector(connector_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    service.delete_connector(session, principal, connector_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{connector_id}/enable")
def enable_connector(connector_id: IdPath, principal: Writer, session: SessionDep, drivers: Drivers) -> ConnectorRead:
    service.set_enabled(session, principal, connector_id, True)
    return service.read_connector(session, principal, drivers, connector_id)


@router.post("/{connector_id}/disable")
def disable_connector(connector_id: IdPath, principal: Writer, session: SessionDep, drivers: Drivers) -> ConnectorRead:
    service.set_enabled(session, principal, connector_id, False)
    return service.read_connector(session, principal, drivers, connector_id)


@router.post("/{connector_id}/test")
def test_connector(connector_id: IdPath, principal: Writer, session: SessionDep, drivers: Drivers) -> ProbeRead:
    return service.test_connector(session, principal, drivers, connector_id)


@router.get("/{connector_id}/browse")
def browse(
    connector_id: IdPath, principal: Writer, session: SessionDep, drivers: Drivers, node_id: NodeIdQuery = None
) -> list[BrowseNodeRead]:
    """The children of ``node_id`` (of the root without it) in the server's address space (OPC UA)."""
    nodes = service.browse(session, principal, drivers, connector_id, node_id)
    return [BrowseNodeRead.model_validate(node) for node in nodes]


@router.get("/{connector_id}/certificate")
def client_certificate(connector_id: IdPath, principal: Reader, session: SessionDep, drivers: Drivers) -> Response:
    """The connector's OPC UA client certificate (PEM), to add to the server's trusted certificates."""
    pem = service.client_certificate_pem(session, principal, drivers, connector_id)
    return Response(
        pem,
        media_type="application/x-pem-file",
        headers={"Content-Disposition": f'attachment; filename="zhizao-connector-{connector_id}.pem"'},
    )
