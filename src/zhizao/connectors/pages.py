"""Connector pages (zh-CN first): the list with each connector's state, the create/edit form (common fields and
the protocol's settings as JSON), "test connection", the detail page with the bad points, and browsing an OPC UA
server's address space to add a node to the mapping."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.connectors import config, service
from zhizao.connectors.api import Drivers
from zhizao.connectors.base import ConnectionState
from zhizao.connectors.drivers import DriverRegistry
from zhizao.connectors.schemas import ConnectorCreate, ConnectorRead, ConnectorTest, ConnectorUpdate, ProbeRead
from zhizao.errors import FieldProblem, InputError, Unavailable, ZhizaoError
from zhizao.fields import IdPath, NoNul
from zhizao.telemetry.api import Reader, Writer
from zhizao.telemetry.kinds import Protocol
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

NAV = (NavItem(N_("Connectors"), "/connectors", roles=frozenset({Role.ADMIN, Role.ENTERPRISE}), order=215),)

STATE_LABELS: dict[str, str] = {
    ConnectionState.CONNECTED: N_("Connected"),
    ConnectionState.DEGRADED: N_("Degraded"),
    ConnectionState.DISCONNECTED: N_("Disconnected"),
    ConnectionState.STOPPED: N_("Stopped"),
    ConnectionState.CONNECTING: N_("Connecting"),
}
PROTOCOL_LABELS: dict[str, str] = {Protocol.OPCUA: "OPC UA", Protocol.MODBUS: "Modbus TCP"}

Text = Annotated[str, Form(max_length=200), NoNul]
OptionalText = Annotated[str | None, Form(max_length=200), NoNul]
SettingsText = Annotated[str, Form(max_length=500_000), NoNul]
NodeIdQuery = Annotated[str | None, Query(max_length=1000), NoNul]


def _can_write(principal: Principal) -> bool:
    return principal.role in (Role.ADMIN, Role.ENTERPRISE)


def _common(**extra: Any) -> dict[str, Any]:
    return {"state_labels": STATE_LABELS, "protocol_labels": PROTOCOL_LABELS, **extra}


@router.get("/connectors")
def list_page(request: Request, principal: Reader, session: SessionDep, drivers: Drivers) -> Response:
    connectors = service.list_connectors(session, principal, drivers)
    context = _common(connectors=connectors, can_write=_can_write(principal))
    return render(request, "connectors/list.html", context)


def _parse_json(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError as exc:
        raise InputError.for_field("body.settings", f"not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    if not isinstance(value, dict):
        raise InputError.for_field("body.settings", "the settings must be a JSON object")
    return value


def _form_view(
    request: Request,
    principal: Principal,
    drivers: DriverRegistry,
    *,
    connector: ConnectorRead | None,
    form: dict[str, Any],
    problems: list[FieldProblem] | None = None,
    probe: ProbeRead | None = None,
) -> Response:
    protocol = Protocol(form["protocol"]) if form["protocol"] in Protocol.__members__.values() else None
    schema: str | None = None
    if protocol is not None:
        try:
            schema = json.dumps(drivers.get(protocol).settings_model.model_json_schema(), ensure_ascii=False, indent=2)
        except ZhizaoError:
            schema = None
    context = _common(
        connector=connector,
        form=form,
        protocols=drivers.protocols,
        problems=problems or [],
        probe=probe,
        schema=schema,
        is_admin=principal.role == Role.ADMIN,
    )
    return render(request, "connectors/form.html", context, status_code=422 if problems else 200)


@router.get("/connectors/new")
def new_page(
    request: Request, principal: Writer, drivers: Drivers, protocol: Annotated[Protocol, Query()] = Protocol.OPCUA
) -> Response:
    form = {"name": "", "protocol": protocol.value, "enabled": True, "enterprise_id": "", "settings": "{\n}"}
    return _form_view(request, principal, drivers, connector=None, form=form)


@router.post("/connectors/new")
def create_page(
    request: Request,
    principal: Writer,
    session: SessionDep,
    drivers: Drivers,
    name: Text,
    protocol: Text,
    settings: SettingsText,
    action: Annotated[str, Form(max_length=10)] = "save",
    enabled: OptionalText = None,
    enterprise_id: OptionalText = None,
) -> Response:
    form = {"name": name, "protocol": protocol, "enabled": bool(enabled), "enterprise_id": enterprise_id or ""}
    form["settings"] = settings
    if action == "test":
        probe, problems = attempt(
            lambda: service.test_settings(
                session,
                principal,
                drivers,
                ConnectorTest.model_validate({"protocol": protocol, "settings": _parse_json(settings)}),
            )
        )
        return _form_view(request, principal, drivers, connector=None, form=form, problems=problems, probe=probe)
    data = {"name": name, "protocol": protocol, "enabled": bool(enabled), "enterprise_id": optional_int(enterprise_id)}
    created, problems = attempt(
        lambda: service.create_connector(
            session, principal, drivers, ConnectorCreate.model_validate({**data, "settings": _parse_json(settings)})
        )
    )
    if created is None:
        session.rollback()
        return _form_view(request, principal, drivers, connector=None, form=form, problems=problems)
    return RedirectResponse(f"/connectors/{created.id}", status_code=303)


def _detail_view(
    request: Request, principal: Principal, session: Session, drivers: DriverRegistry, connector_id: int, **extra: Any
) -> Response:
    connector = service.read_connector(session, principal, drivers, connector_id)
    session.rollback()
    context = _common(
        connector=connector,
        can_write=_can_write(principal),
        browsable=connector.protocol == Protocol.OPCUA,
        settings_json=json.dumps(connector.settings, ensure_ascii=False, indent=2),
        **{"probe": None, "problems": [], **extra},
    )
    return render(request, "connectors/detail.html", context)


@router.get("/connectors/{connector_id}")
def detail_page(
    request: Request, connector_id: IdPath, principal: Reader, session: SessionDep, drivers: Drivers
) -> Response:
    return _detail_view(request, principal, session, drivers, connector_id)


@router.get("/connectors/{connector_id}/edit")
def edit_page(
    request: Request, connector_id: IdPath, principal: Writer, session: SessionDep, drivers: Drivers
) -> Response:
    connector = service.read_connector(session, principal, drivers, connector_id)
    session.rollback()
    form = {
        "name": connector.name,
        "protocol": connector.protocol.value,
        "enabled": connector.enabled,
        "enterprise_id": str(connector.enterprise_id),
        "settings": json.dumps(connector.settings, ensure_ascii=False, indent=2),
    }
    return _form_view(request, principal, drivers, connector=connector, form=form)


@router.post("/connectors/{connector_id}/edit")
def update_page(
    request: Request,
    connector_id: IdPath,
    principal: Writer,
    session: SessionDep,
    drivers: Drivers,
    name: Text,
    settings: SettingsText,
    action: Annotated[str, Form(max_length=10)] = "save",
    enabled: OptionalText = None,
) -> Response:
    connector = service.read_connector(session, principal, drivers, connector_id)
    session.rollback()
    form = {
        "name": name, "protocol": connector.protocol.value, "enabled": bool(enabled),
        "enterprise_id": str(connector.enterprise_id), "settings": settings,
    }  # fmt: skip
    if action == "test":
        probe, problems = attempt(
            lambda: service.test_settings(
                session,
                principal,
                drivers,
                ConnectorTest(protocol=connector.protocol, settings=_parse_json(settings), connector_id=connector_id),
            )
        )
        return _form_view(request, principal, drivers, connector=connector, form=form, problems=problems, probe=probe)
    updated, problems = attempt(
        lambda: service.update_connector(
            session,
            principal,
            drivers,
            connector_id,
            ConnectorUpdate.model_validate({"name": name, "enabled": bool(enabled), "settings": _parse_json(settings)}),
        )
    )
    if updated is None:
        session.rollback()
        return _form_view(request, principal, drivers, connector=connector, form=form, problems=problems)
    return RedirectResponse(f"/connectors/{connector_id}", status_code=303)


@router.post("/connectors/{connector_id}/test")
def test_page(
    request: Request, connector_id: IdPath, principal: Writer, session: SessionDep, drivers: Drivers
) -> Response:
    probe = service.test_connector(session, principal, drivers, connector_id)
    return _detail_view(request, principal, session, drivers, connector_id, probe=probe)


@router.post("/connectors/{connector_id}/enable")
def enable_page(connector_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    service.set_enabled(session, principal, connector_id, True)
    return RedirectResponse(f"/connectors/{connector_id}", status_code=303)


@router.post("/connectors/{connector_id}/disable")
def disable_page(connector_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    service.set_enabled(session, principal, connector_id, False)
    return RedirectResponse(f"/connectors/{connector_id}", status_code=303)


@router.post("/connectors/{connector_id}/delete")
def delete_page(connector_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    service.delete_connector(session, principal, connector_id)
    return RedirectResponse("/connectors", status_code=303)


def _browse_view(
    request: Request,
    principal: Principal,
    session: Session,
    drivers: DriverRegistry,
    connector_id: int,
    node_id: str | None,
    **extra: Any,
) -> Response:
    connector = service.read_connector(session, principal, drivers, connector_id)
    session.rollback()
    error: str | None = None
    try:
        nodes, problems = attempt(lambda: service.browse(session, principal, drivers, connector_id, node_id))
    except Unavailable as exc:  # the server did not answer: said on the page, not as an error page
        nodes, problems, error = None, [], exc.message
    mapped = {str(node.get("node_id")) for node in connector.settings.get("nodes", []) if isinstance(node, dict)}
    context = _common(
        connector=connector,
        node_id=node_id,
        nodes=nodes or [],
        mapped=mapped,
        problems=problems,
        error=error,
        notice=None,
    )
    context.update(extra)
    status = 422 if context["problems"] else 200
    return render(request, "connectors/browse.html", context, status_code=status)


@router.get("/connectors/{connector_id}/browse")
def browse_page(
    request: Request,
    connector_id: IdPath,
    principal: Writer,
    session: SessionDep,
    drivers: Drivers,
    node_id: NodeIdQuery = None,
) -> Response:
    return _browse_view(request, principal, session, drivers, connector_id, node_id or None)


@router.post("/connectors/{connector_id}/browse")
def add_node_page(
    request: Request,
    connector_id: IdPath,
    principal: Writer,
    session: SessionDep,
    drivers: Drivers,
    node_id: Annotated[str, Form(max_length=1000), NoNul],
    device_code: Text,
    signal: Text,
    parent_id: Annotated[str | None, Form(max_length=1000), NoNul] = None,
    writable: OptionalText = None,
) -> Response:
    connector = service.read_connector(session, principal, drivers, connector_id)
    session.rollback()

    def add() -> object:
        model = drivers.get(connector.protocol).settings_model
        raw = config.with_node(model, connector.settings, node_id, device_code, signal, bool(writable))
        return service.update_connector(session, principal, drivers, connector_id, ConnectorUpdate(settings=raw))

    added, problems = attempt(add)
    session.rollback()
    notice = N_("Node added to the mapping.") if added is not None else None
    return _browse_view(
        request, principal, session, drivers, connector_id, parent_id or None, problems=problems, notice=notice
    )
