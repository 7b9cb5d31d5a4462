"""Forms that change the asset model from the browser: equipment, its devices, their credentials and signals."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.responses import RedirectResponse, Response

from zhizao.accounts.deps import SessionDep
from zhizao.accounts.principal import Principal
from zhizao.fields import IdPath, NoNul
from zhizao.telemetry import devices
from zhizao.telemetry.api import Reader, Writer
from zhizao.telemetry.assets import create_equipment
from zhizao.telemetry.kinds import EQUIPMENT_TYPE_LABELS, DataType, Protocol, SignalKind
from zhizao.telemetry.models import Device, Equipment, Signal
from zhizao.telemetry.pages import assets_view
from zhizao.telemetry.schemas import DeviceCreate, EquipmentCreate, SignalCreate, SignalUpdate
from zhizao.telemetry.scope import get_scoped
from zhizao.ui.forms import attempt, optional_int
from zhizao.ui.i18n import N_
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)

Text = Annotated[str, Form(max_length=300), NoNul]
OptionalText = Annotated[str | None, Form(max_length=300), NoNul]


def equipment_view(
    request: Request, principal: Principal, session: Session, equipment_id: int, **extra: Any
) -> Response:
    equipment = get_scoped(session, principal, Equipment, equipment_id, "equipment")
    context = {
        "equipment": equipment,
        "signals": devices.list_signals(session, principal, equipment_id=equipment.id),
        "devices": session.scalars(select(Device).where(Device.equipment_id == equipment.id).order_by(Device.code)),
        "type_labels": EQUIPMENT_TYPE_LABELS,
        "protocols": list(Protocol),
        "kinds": list(SignalKind),
        "data_types": list(DataType),
        "can_write": principal.role.value in ("admin", "enterprise"),
        "problems": [],
        "notice": None,
        "credential": None,
        **extra,
    }
    status = 422 if context["problems"] else 200
    return render(request, "telemetry/equipment.html", context, status_code=status)


@router.get("/equipment/{equipment_id}/view")
def equipment_page(request: Request, equipment_id: IdPath, principal: Reader, session: SessionDep) -> Response:
    return equipment_view(request, principal, session, equipment_id)


@router.post("/assets/equipment")
def create_equipment_page(
    request: Request,
    principal: Writer,
    session: SessionDep,
    code: Text,
    name: Text,
    equipment_type: Text,
    node_id: OptionalText = None,
    manufacturer: OptionalText = None,
    model: OptionalText = None,
    year: OptionalText = None,
    enterprise_id: OptionalText = None,
) -> Response:
    data = {
        "code": code, "name": name, "equipment_type": equipment_type, "node_id": optional_int(node_id),
        "manufacturer": manufacturer or None, "model": model or None, "year": optional_int(year),
        "enterprise_id": optional_int(enterprise_id),
    }  # fmt: skip
    created, problems = attempt(lambda: create_equipment(session, principal, EquipmentCreate.model_validate(data)))
    if created is None:
        session.rollback()
        return assets_view(request, principal, session, optional_int(enterprise_id), problems=problems)
    return RedirectResponse(f"/equipment/{created.id}/view", status_code=303)


@router.post("/equipment/{equipment_id}/devices")
def create_device_page(
    request: Request,
    equipment_id: IdPath,
    principal: Writer,
    session: SessionDep,
    code: Text,
    name: Text,
    protocol: Text,
) -> Response:
    enterprise_id = get_scoped(session, principal, Equipment, equipment_id, "equipment").enterprise_id
    session.rollback()  # the service opens its own transaction
    data = {
        "enterprise_id": enterprise_id, "equipment_id": equipment_id, "code": code, "name": name, "protocol": protocol,
    }  # fmt: skip
    created, problems = attempt(lambda: devices.create_device(session, principal, DeviceCreate.model_validate(data)))
    session.rollback()
    notice = N_("Data source registered. Issue its credential next.") if created else None
    return equipment_view(request, principal, session, equipment_id, problems=problems, notice=notice)


@router.post("/devices/{device_id}/credential")
def issue_credential_page(request: Request, device_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    device = get_scoped(session, principal, Device, device_id, "device")
    equipment_id = device.equipment_id
    session.rollback()
    credential = devices.issue_credential(session, principal, device_id, str(request.base_url))
    if equipment_id is None:
        return RedirectResponse("/assets", status_code=303)
    return equipment_view(request, principal, session, equipment_id, credential=credential)


@router.post("/devices/{device_id}/signals")
def create_signal_page(
    request: Request,
    device_id: IdPath,
    principal: Writer,
    session: SessionDep,
    name: Text,
    kind: Text,
    data_type: Text,
    unit: OptionalText = None,
    range_min: OptionalText = None,
    range_max: OptionalText = None,
    writable: OptionalText = None,
) -> Response:
    device = get_scoped(session, principal, Device, device_id, "device")
    equipment_id = device.equipment_id
    session.rollback()
    data = {
        "device_id": device_id, "name": name, "kind": kind, "data_type": data_type, "unit": unit or None,
        "range_min": range_min or None, "range_max": range_max or None, "writable": bool(writable),
    }  # fmt: skip
    created, problems = attempt(lambda: devices.create_signal(session, principal, SignalCreate.model_validate(data)))
    session.rollback()
    if equipment_id is None:
        return RedirectResponse("/assets", status_code=303)
    notice = N_("Data point created.") if created else None
    return equipment_view(request, principal, session, equipment_id, problems=problems, notice=notice)


@router.post("/signals/{signal_id}/limits")
def signal_limits_page(
    request: Request,
    signal_id: IdPath,
    principal: Writer,
    session: SessionDep,
    range_min: OptionalText = None,
    range_max: OptionalText = None,
    writable: OptionalText = None,
) -> Response:
    """A data point's engineering range and whether remote commands may set it."""
    signal = get_scoped(session, principal, Signal, signal_id, "signal")
    equipment_id = signal.equipment_id
    session.rollback()
    data = {"range_min": range_min or None, "range_max": range_max or None, "writable": bool(writable)}
    updated, problems = attempt(
        lambda: devices.update_signal(session, principal, signal_id, SignalUpdate.model_validate(data))
    )
    session.rollback()
    if equipment_id is None:
        return RedirectResponse("/assets", status_code=303)
    notice = N_("Range and write permission saved.") if updated else None
    return equipment_view(request, principal, session, equipment_id, problems=problems, notice=notice)
