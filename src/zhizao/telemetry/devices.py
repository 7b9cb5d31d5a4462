"""Devices (data sources) with their credentials, and the signals (数据点位) they publish."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.credentials import hash_api_token, new_api_token
from zhizao.accounts.principal import Principal
from zhizao.errors import InputError
from zhizao.telemetry.assets import flush_unique
from zhizao.telemetry.commands.values import limits_problems
from zhizao.telemetry.models import Device, Equipment, Signal
from zhizao.telemetry.schemas import DeviceCreate, DeviceCredential, DeviceUpdate, SignalCreate, SignalUpdate
from zhizao.telemetry.scope import enterprise_for_write, get_scoped, same_enterprise, tenant_clauses

DEVICE_FIELDS = ("enterprise_id", "equipment_id", "code", "name", "protocol", "is_active")
SIGNAL_FIELDS = (
    "device_id", "equipment_id", "name", "unit", "kind", "data_type", "expected_rate_hz", "range_min", "range_max",
    "writable",
)  # fmt: skip
DEVICE_TOKEN_MARK = "zzd_"  # noqa: S105 - a public prefix that tells device tokens from user tokens


def mqtt_topic(enterprise_id: int, device_code: str) -> str:
    return f"zhizao/v1/{enterprise_id}/{device_code}/data"


def command_topic(enterprise_id: int, device_code: str) -> str:
    """Where remote commands to an MQTT JSON device are published (it subscribes to its own)."""
    return f"zhizao/v1/{enterprise_id}/{device_code}/cmd"


def mqtt_username(enterprise_id: int, device_code: str) -> str:
    return f"{enterprise_id}/{device_code}"


def list_devices(
    session: Session, actor: Principal, *, enterprise_id: int | None = None, equipment_id: int | None = None
) -> Sequence[Device]:
    clauses = tenant_clauses(actor, Device.enterprise_id, enterprise_id)
    if equipment_id is not None:
        clauses.append(Device.equipment_id == equipment_id)
    return session.scalars(select(Device).where(*clauses).order_by(Device.enterprise_id, Device.code)).all()


def create_device(session: Session, actor: Principal, data: DeviceCreate) -> Device:
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        same_enterprise(session, Equipment, data.equipment_id, enterprise_id, "body.equipment_id")
        device = Device(**data.model_dump(exclude={"enterprise_id"}), enterprise_id=enterprise_id)
        session.add(device)
        flush_unique(session, "body.code", f"device code {data.code!r} is already used in this enterprise")
        audit.record(
            session, actor, action="device.create", entity_type="device", entity_id=device.id,
            organisation_id=enterprise_id, after=audit.snapshot(device, DEVICE_FIELDS),
        )  # fmt: skip
    return device


def update_device(session: Session, actor: Principal, device_id: int, data: DeviceUpdate) -> Device:
    with session.begin():
        device = get_scoped(session, actor, Device, device_id, "device")
        before = audit.snapshot(device, DEVICE_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        for required in ("name", "is_active"):
            if required in changes and changes[required] is None:
                raise InputError.for_field(f"body.{required}", "must not be null")
        same_enterprise(session, Equipment, changes.get("equipment_id"), device.enterprise_id, "body.equipment_id")
        for name, value in changes.items():
            setattr(device, name, value)
        audit.record(
            session, actor, action="device.update", entity_type="device", entity_id=device.id,
            organisation_id=device.enterprise_id, before=before, after=audit.snapshot(device, DEVICE_FIELDS),
        )  # fmt: skip
    return device


def issue_credential(session: Session, actor: Principal, device_id: int, base_url: str) -> DeviceCredential:
    """A new token for the device (MQTT password and HTTP bearer token); the previous one stops working."""
    minted = new_api_token()
    token = DEVICE_TOKEN_MARK + minted.token.removeprefix("zz_")
    with session.begin():
        device = get_scoped(session, actor, Device, device_id, "device")
        device.secret_hash = hash_api_token(token)
        audit.record(
            session, actor, action="device.issue_credential", entity_type="device", entity_id=device.id,
            organisation_id=device.enterprise_id,
        )  # fmt: skip
        return DeviceCredential(
            device_id=device.id,
            mqtt_username=mqtt_username(device.enterprise_id, device.code),
            token=token,
            mqtt_topic=mqtt_topic(device.enterprise_id, device.code),
            http_url=f"{base_url.rstrip('/')}/api/ingest/{device.enterprise_id}/{device.code}",
        )


def list_signals(
    session: Session,
    actor: Principal,
    *,
    enterprise_id: int | None = None,
    device_id: int | None = None,
    equipment_id: int | None = None,
) -> Sequence[Signal]:
    clauses = tenant_clauses(actor, Signal.enterprise_id, enterprise_id)
    if device_id is not None:
        clauses.append(Signal.device_id == device_id)
    if equipment_id is not None:
        clauses.append(Signal.equipment_id == equipment_id)
    return session.scalars(select(Signal).where(*clauses).order_by(Signal.device_id, Signal.name)).all()


def _check_limits(signal: Signal) -> None:
    """Range and writability rules (``commands.values.limits_problems``), on the signal as it would be saved."""
    problems = limits_problems(
        kind=signal.kind, data_type=signal.data_type, range_min=signal.range_min, range_max=signal.range_max,
        writable=bool(signal.writable),
    )  # fmt: skip
    if problems:
        raise InputError("; ".join(f"{p.field}: {p.message}" for p in problems), fields=problems)


def create_signal(session: Session, actor: Principal, data: SignalCreate) -> Signal:
    with session.begin():
        device = get_scoped(session, actor, Device, data.device_id, "device")
        equipment_id = data.equipment_id if data.equipment_id is not None else device.equipment_id
        same_enterprise(session, Equipment, equipment_id, device.enterprise_id, "body.equipment_id")
        signal = Signal(
            **data.model_dump(exclude={"equipment_id"}), equipment_id=equipment_id, enterprise_id=device.enterprise_id
        )
        _check_limits(signal)
        session.add(signal)
        flush_unique(session, "body.name", f"device {device.code} already has a signal {data.name!r}")
        audit.record(
            session, actor, action="signal.create", entity_type="signal", entity_id=signal.id,
            organisation_id=device.enterprise_id, after=audit.snapshot(signal, SIGNAL_FIELDS),
        )  # fmt: skip
    return signal


def update_signal(session: Session, actor: Principal, signal_id: int, data: SignalUpdate) -> Signal:
    with session.begin():
        signal = get_scoped(session, actor, Signal, signal_id, "signal")
        before = audit.snapshot(signal, SIGNAL_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        for required in ("kind", "data_type", "writable"):
            if required in changes and changes[required] is None:
                raise InputError.for_field(f"body.{required}", "must not be null")
        same_enterprise(session, Equipment, changes.get("equipment_id"), signal.enterprise_id, "body.equipment_id")
        for name, value in changes.items():
            setattr(signal, name, value)
        _check_limits(signal)
        audit.record(
            session, actor, action="signal.update", entity_type="signal", entity_id=signal.id,
            organisation_id=signal.enterprise_id, before=before, after=audit.snapshot(signal, SIGNAL_FIELDS),
        )  # fmt: skip
    return signal
