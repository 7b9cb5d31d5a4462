"""Remote commands: prepare (validate, show old → new), confirm (same user, within the window) and dispatch, cancel;
the history. Every step is in the audit log, whatever the caller's role.

Who may command a piece of equipment: enterprise users of its owner, and platform operators' users while their
organisation holds an active ``remote_command`` consent of the owner covering it. Nobody else — administrators and
officers neither: a command moves a real machine, and only the owner decides who may do that.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied, Unavailable
from zhizao.telemetry.commands import consent, ratelimit
from zhizao.telemetry.commands.models import Command, CommandStatus, ConsentScope, EquipmentConsent, SparkplugEdge
from zhizao.telemetry.commands.schemas import CommandCreate, CommandRead
from zhizao.telemetry.commands.transports import (
    CommandEnvironment,
    CommandTarget,
    ConnectorWrite,
    Dispatch,
)
from zhizao.telemetry.commands.values import check_value, stored_as
from zhizao.telemetry.models import Device, Equipment, Signal
from zhizao.telemetry.timeutil import from_us

COMMANDERS = frozenset({Role.ENTERPRISE, Role.PLATFORM})


def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def authority(session: Session, actor: Principal, equipment: Equipment, now: datetime) -> EquipmentConsent | None:
    """Whether the caller may command this equipment: None for the owner's own users, the consent for a platform
    operator's; otherwise 404 (not theirs to see) or 403 (a role that never commands)."""
    if actor.role not in COMMANDERS:
        raise PermissionDenied(f"role {actor.role.value} may not send commands to equipment; the owner decides")
    if actor.role == Role.ENTERPRISE:
        if equipment.enterprise_id != actor.organisation_id:
            raise NotFound(f"equipment {equipment.id} not found")
        return None
    assert actor.organisation_id is not None
    granted = consent.active_consent(session, actor.organisation_id, equipment, ConsentScope.REMOTE_COMMAND, now)
    if granted is None:
        raise NotFound(f"equipment {equipment.id} not found")
    return granted


def commandable_equipment(
    session: Session, actor: Principal, equipment_id: int, now: datetime | None = None
) -> Equipment:
    equipment = session.get(Equipment, equipment_id)
    if equipment is None:
        raise NotFound(f"equipment {equipment_id} not found")
    authority(session, actor, equipment, _now(now))
    return equipment


def writable_signals(session: Session, equipment_id: int) -> Sequence[Signal]:
    return session.scalars(
        select(Signal).where(Signal.equipment_id == equipment_id, Signal.writable.is_(True)).order_by(Signal.name)
    ).all()


def _target_of(session: Session, actor: Principal, data: CommandCreate, now: datetime) -> tuple[Signal, Equipment]:
    signal = session.get(Signal, data.signal_id)
    equipment = session.get(Equipment, signal.equipment_id) if signal and signal.equipment_id else None
    if signal is None or equipment is None:
        if actor.role not in COMMANDERS:
            raise PermissionDenied(f"role {actor.role.value} may not send commands to equipment; the owner decides")
        if signal is not None and actor.may_access_tenant(signal.enterprise_id):
            raise InputError.for_field("body.signal_id", "the data point is not bound to equipment")
        raise NotFound(f"data point {data.signal_id} not found")
    authority(session, actor, equipment, now)
    if data.equipment_id is not None and data.equipment_id != equipment.id:
        raise InputError.for_field(
            "body.equipment_id", f"data point {signal.name} is not of equipment {data.equipment_id}"
        )
    return signal, equipment


def _check_signal(session: Session, env: CommandEnvironment, signal: Signal, device: Device) -> None:
    if not signal.writable:
        raise InputError.for_field("body.signal_id", f"data point {signal.name} is not writable")
    if not device.is_active:
        raise InputError.for_field("body.signal_id", f"data source {device.code} is disabled")
    transport = env.transport_for(device.protocol)
    if transport is None:
        raise InputError.for_field("body.signal_id", f"a {device.protocol.value} data source cannot receive commands")
    if isinstance(transport, ConnectorWrite):
        transport.binding(session, _target(0, signal, device, signal.writable, None))


def _target(command_id: int, signal: Signal, device: Device, value: Any, edge: str | None) -> CommandTarget:
    return CommandTarget(
        command_id=command_id, enterprise_id=signal.enterprise_id, device_code=device.code, protocol=device.protocol,
        signal_id=signal.id, signal_name=signal.name, data_type=signal.data_type, value=value, sparkplug_edge=edge,
    )  # fmt: skip


def _snapshot(command: Command, equipment_code: str) -> dict[str, Any]:
    return {
        "equipment": equipment_code, "signal": command.signal_name, "value": command.value,
        "status": command.status.value, "read_back": command.read_back, "via_consent": command.consent_id,
        **({"maintenance_session": command.maintenance_session_id} if command.maintenance_session_id else {}),
    }  # fmt: skip


def _record(session: Session, actor: Principal, command: Command, action: str, detail: str | None = None) -> None:
    equipment = session.get(Equipment, command.equipment_id)
    audit.record(
        session, actor, action=action, entity_type="equipment_command", entity_id=command.id,
        organisation_id=command.enterprise_id, before={"value": command.old_value},
        after=_snapshot(command, equipment.code if equipment else "?"), detail=detail,
    )  # fmt: skip


def prepare(
    session: Session,
    actor: Principal,
    data: CommandCreate,
    env: CommandEnvironment,
    now: datetime | None = None,
    *,
    maintenance_session_id: int | None = None,
) -> Command:
    """A pending command with the current value (the latest stored sample) and the new one; nothing is sent.
    ``maintenance_session_id``: the remote maintenance session it is sent in, already checked by its caller
    (``zhizao.maintenance.sessions``); the public API never sets it."""
    now = _now(now)
    with session.begin():
        signal, equipment = _target_of(session, actor, data, now)
        device = session.get(Device, signal.device_id)
        assert device is not None
        _check_signal(session, env, signal, device)
        value = check_value(
            data.value, data_type=signal.data_type, range_min=signal.range_min, range_max=signal.range_max,
            unit=signal.unit,
        )  # fmt: skip
        # Serialise the rate check per equipment across replicas (PostgreSQL; SQLite writers are serial anyway).
        session.execute(select(Equipment.id).where(Equipment.id == equipment.id).with_for_update())
        ratelimit.check(session, env.policy, equipment_id=equipment.id, user_id=actor.user_id, now=now)
        latest = env.store.latest([signal.id]).get(signal.id)
        granted = authority(session, actor, equipment, now)
        command = Command(
            enterprise_id=equipment.enterprise_id, equipment_id=equipment.id, device_id=device.id,
            signal_id=signal.id, signal_name=signal.name, requested_by=actor.user_id,
            requester_name=actor.display_name or actor.username, requester_organisation_id=actor.organisation_id,
            consent_id=granted.id if granted else None, maintenance_session_id=maintenance_session_id,
            channel=device.protocol.value, value=value,
            old_value=stored_as(latest.value, signal.data_type) if latest else None,
            old_value_at=from_us(latest.ts_us) if latest else None, status=CommandStatus.PENDING, created_at=now,
            confirm_by=now + timedelta(seconds=env.policy.confirm_window_s),
        )  # fmt: skip
        session.add(command)
        session.flush()
        _record(session, actor, command, "command.request")
    return command


def _visible_clauses(actor: Principal) -> list[ColumnElement[bool]]:
    """Owners see every command to their equipment; platform operators those their organisation sent."""
    if actor.sees_all_tenants:
        return []
    if actor.role == Role.ENTERPRISE:
        return [Command.enterprise_id == actor.organisation_id]
    if actor.role == Role.PLATFORM:
        return [Command.requester_organisation_id == actor.organisation_id]
    return [Command.id.is_(None)]


def get_command(session: Session, actor: Principal, command_id: int) -> Command:
    command = session.scalar(select(Command).where(Command.id == command_id, *_visible_clauses(actor)))
    if command is None:
        raise NotFound(f"command {command_id} not found")
    return command


def _own_pending(session: Session, actor: Principal, command_id: int, verb: str) -> Command:
    command = get_command(session, actor, command_id)
    if command.requested_by != actor.user_id:
        raise PermissionDenied(f"only the user who prepared command {command_id} may {verb} it")
    if command.status is not CommandStatus.PENDING or command.confirmed_at is not None:
        state = command.status.value if command.confirmed_at is None or command.finished_at else "being sent"
        raise Conflict(f"command {command_id} is {state}, not awaiting confirmation")
    return command


def _expire_if_due(session: Session, actor: Principal, command_id: int, verb: str, now: datetime) -> Command:
    """The caller's pending command; when its window has passed it is marked expired (committed) and 409."""
    with session.begin():
        command = _own_pending(session, actor, command_id, verb)
        if now <= command.confirm_by:
            return command
        command.status = CommandStatus.EXPIRED
        command.finished_at = now
        _record(session, actor, command, "command.expire")
    raise Conflict(f"command {command_id} expired: it was not confirmed by {command.confirm_by:%H:%M:%S} UTC")


def cancel(session: Session, actor: Principal, command_id: int, now: datetime | None = None) -> Command:
    now = _now(now)
    _expire_if_due(session, actor, command_id, "cancel", now)
    session.rollback()
    with session.begin():
        command = _own_pending(session, actor, command_id, "cancel")
        command.status = CommandStatus.CANCELLED
        command.finished_at = now
        _record(session, actor, command, "command.cancel")
    return command


def _recheck(session: Session, actor: Principal, command: Command, now: datetime) -> tuple[Signal, Device]:
    """Between prepare and confirm the consent may have gone and the point's limits changed: check again."""
    equipment = session.get(Equipment, command.equipment_id)
    signal = session.get(Signal, command.signal_id)
    device = session.get(Device, command.device_id)
    if equipment is None or signal is None or device is None:
        raise Conflict(f"the target of command {command.id} no longer exists")
    if actor.role == Role.PLATFORM:
        assert actor.organisation_id is not None
        if consent.active_consent(session, actor.organisation_id, equipment, ConsentScope.REMOTE_COMMAND, now) is None:
            raise PermissionDenied("the owner's consent for remote commands has been revoked or has expired")
    try:
        if not signal.writable or not device.is_active:
            raise InputError("not writable")
        check_value(command.value, data_type=signal.data_type, range_min=signal.range_min, range_max=signal.range_max)
    except InputError:
        raise Conflict(
            f"data point {signal.name} changed since the command was prepared ({signal.range_min} … "
            f"{signal.range_max}, writable: {signal.writable}); prepare it again"
        ) from None
    return signal, device


def confirm(
    session: Session, actor: Principal, command_id: int, env: CommandEnvironment, now: datetime | None = None
) -> Command:
    """Send a pending command prepared by the same user within its window; returns it with its result. Raises
    ``Unavailable`` (after recording the failure) when the broker or server could not be reached."""
    now = _now(now)
    _expire_if_due(session, actor, command_id, "confirm", now)
    session.rollback()
    with session.begin():
        command = _own_pending(session, actor, command_id, "confirm")
        signal, device = _recheck(session, actor, command, now)
        claimed = session.execute(
            update(Command)
            .where(Command.id == command_id, Command.status == CommandStatus.PENDING, Command.confirmed_at.is_(None))
            .values(confirmed_at=now)
            .execution_options(synchronize_session="fetch")
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"command {command_id} was confirmed already")
        _record(session, actor, command, "command.confirm")
        edge = session.get(SparkplugEdge, device.id)
        target = _target(command.id, signal, device, command.value, edge.edge_node_id if edge else None)
    transport = env.transport_for(device.protocol)
    unavailable: Unavailable | None = None
    try:
        if transport is None:
            raise InputError(f"a {device.protocol.value} data source cannot receive commands")
        outcome = transport.send(session, target)
    except Unavailable as exc:
        unavailable = exc
        outcome = Dispatch(CommandStatus.FAILED, detail=exc.message)
    except InputError as exc:
        outcome = Dispatch(CommandStatus.FAILED, detail=exc.message)
    except Exception as exc:
        _finish(session, actor, command_id, Dispatch(CommandStatus.FAILED, detail=type(exc).__name__), now)
        raise
    command = _finish(session, actor, command_id, outcome, None)
    if unavailable is not None:
        raise unavailable
    return command


def _finish(session: Session, actor: Principal, command_id: int, outcome: Dispatch, now: datetime | None) -> Command:
    session.rollback()  # whatever the transport read
    with session.begin():
        command = session.get(Command, command_id)
        assert command is not None
        command.status = outcome.status
        if outcome.old_value is not None:  # the device's own value beats the last stored sample
            command.old_value = outcome.old_value
        command.read_back = outcome.read_back
        command.detail = outcome.detail
        command.finished_at = now or datetime.now(UTC)
        _record(session, actor, command, "command.result", detail=outcome.detail)
    return command


def status_of(command: Command, now: datetime | None = None) -> CommandStatus:
    """The status to show: a pending command past its window reads as expired before anyone touches it."""
    if command.status is CommandStatus.PENDING and command.confirmed_at is None and _now(now) > command.confirm_by:
        return CommandStatus.EXPIRED
    return command.status


def read(command: Command, now: datetime | None = None) -> CommandRead:
    return CommandRead.model_validate(command).model_copy(update={"status": status_of(command, now)})


def list_commands(
    session: Session,
    actor: Principal,
    *,
    equipment_id: int | None = None,
    status: CommandStatus | None = None,
    offset: int = 0,
    limit: int = 50,
) -> tuple[Sequence[Command], int]:
    clauses = _visible_clauses(actor)
    if equipment_id is not None:
        clauses.append(Command.equipment_id == equipment_id)
    if status is not None:
        clauses.append(Command.status == status)
    total = session.scalar(select(func.count()).select_from(Command).where(*clauses)) or 0
    rows = session.scalars(
        select(Command)
        .where(*clauses)
        .order_by(Command.created_at.desc(), Command.id.desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return rows, total
