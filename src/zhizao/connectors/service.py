"""Connector configurations per enterprise: create, change, enable, remove, "test connection", browse.

Every change bumps ``revision``, which the runtime (``zhizao.connectors.runtime``) compares to restart just that
connector. Each mapped point must name a device of the connector's enterprise (and a data point of it, unless the
enterprise's ingest policy registers new ones). Secrets in the settings are stored, never returned nor audited.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.connectors import config
from zhizao.connectors.base import BrowseNode, ConnectorSettings, NotSupported, PointBinding, ProbeResult
from zhizao.connectors.drivers import DriverRegistry, default_drivers
from zhizao.connectors.models import ConnectorRecord, ConnectorStatusRecord
from zhizao.connectors.schemas import (
    BadPointRead,
    ConnectorCreate,
    ConnectorRead,
    ConnectorStatusRead,
    ConnectorTest,
    ConnectorUpdate,
    ProbeRead,
)
from zhizao.errors import Conflict, FieldProblem, InputError, NotFound, Unavailable, ZhizaoError
from zhizao.telemetry.assets import flush_unique
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.models import Device, IngestPolicy, Signal
from zhizao.telemetry.scope import enterprise_for_write, get_scoped, tenant_clauses

PROBE_TIMEOUT_S = 10.0  # "test connection" and browse give up after this
STALE_AFTER = timedelta(seconds=30)  # a status not reported for this long: no runtime runs the connector
AUDIT_FIELDS = ("enterprise_id", "name", "protocol", "enabled", "revision")
T = TypeVar("T")


# --- reading ------------------------------------------------------------------------------------------------


def load_settings(drivers: DriverRegistry, record: ConnectorRecord) -> ConnectorSettings:
    """The stored settings of a connector, as its driver's model."""
    driver = drivers.get(record.protocol, "protocol")
    return config.parse_settings(driver.settings_model, record.settings, "settings")


def to_read(
    record: ConnectorRecord, status: ConnectorStatusRecord | None, drivers: DriverRegistry, now: datetime | None = None
) -> ConnectorRead:
    try:
        settings: ConnectorSettings | None = load_settings(drivers, record)
    except ZhizaoError:  # its driver is missing here, or its model changed: show what can be shown
        settings = None
    status_read = None
    if status is not None:
        status_read = ConnectorStatusRead.model_validate(status)
        reported = status.reported_at if status.reported_at.tzinfo else status.reported_at.replace(tzinfo=UTC)
        status_read.stale = (now or datetime.now(UTC)) - reported > STALE_AFTER
    return ConnectorRead(
        id=record.id,
        enterprise_id=record.enterprise_id,
        name=record.name,
        protocol=record.protocol,
        enabled=record.enabled,
        revision=record.revision,
        endpoint=settings.endpoint_label() if settings is not None else "?",
        settings=config.masked_form(settings) if settings is not None else {},
        has_client_certificate=settings is not None and config.client_certificate(settings) is not None,
        created_at=record.created_at,
        updated_at=record.updated_at,
        status=status_read,
    )


def list_connectors(
    session: Session, actor: Principal, drivers: DriverRegistry, enterprise_id: int | None = None
) -> list[ConnectorRead]:
    """The caller's connectors (every enterprise's for administrators and officers), with their last status."""
    rows = session.execute(
        select(ConnectorRecord, ConnectorStatusRecord)
        .outerjoin(ConnectorStatusRecord, ConnectorStatusRecord.connector_id == ConnectorRecord.id)
        .where(*tenant_clauses(actor, ConnectorRecord.enterprise_id, enterprise_id))
        .order_by(ConnectorRecord.enterprise_id, ConnectorRecord.name)
    ).all()
    return [to_read(record, status, drivers) for record, status in rows]


def read_connector(session: Session, actor: Principal, drivers: DriverRegistry, connector_id: int) -> ConnectorRead:
    record = get_scoped(session, actor, ConnectorRecord, connector_id, "connector")
    return to_read(record, session.get(ConnectorStatusRecord, connector_id), drivers)


# --- changing -----------------------------------------------------------------------------------------------


def create_connector(
    session: Session, actor: Principal, drivers: DriverRegistry, data: ConnectorCreate
) -> ConnectorRecord:
    driver = drivers.get(data.protocol)
    raw = data.settings
    if config.needs_client_certificate(data.protocol, raw):
        raw = config.with_new_client_certificate(raw, data.name)
    settings = _checked_settings(driver.settings_model, raw)
    with session.begin():
        enterprise_id = enterprise_for_write(session, actor, data.enterprise_id)
        check_bindings(session, enterprise_id, settings)
        record = ConnectorRecord(
            enterprise_id=enterprise_id,
            name=data.name,
            protocol=data.protocol,
            enabled=data.enabled,
            settings=config.stored_form(settings),
            revision=1,
        )
        session.add(record)
        flush_unique(session, "body.name", f"a connector named {data.name!r} already exists in this enterprise")
        audit.record(
            session, actor, action="connector.create", entity_type="connector", entity_id=record.id,
            organisation_id=enterprise_id, after=_snapshot(record, settings),
        )  # fmt: skip
    return record


def update_connector(
    session: Session, actor: Principal, drivers: DriverRegistry, connector_id: int, data: ConnectorUpdate
) -> ConnectorRecord:
    changes = data.model_dump(exclude_unset=True)
    for required in ("name", "enabled", "settings"):
        if required in changes and changes[required] is None:
            raise InputError.for_field(f"body.{required}", "must not be null")
    with session.begin():
        record = get_scoped(session, actor, ConnectorRecord, connector_id, "connector")
        stored = load_settings(drivers, record)
        before = _snapshot(record, stored)
        settings = stored
        if data.settings is not None:
            raw = config.keep_secrets(data.settings, stored)
            if config.needs_client_certificate(record.protocol, raw):
                raw = config.with_new_client_certificate(raw, data.name or record.name)
            settings = _checked_settings(drivers.get(record.protocol).settings_model, raw)
            check_bindings(session, record.enterprise_id, settings)
            record.settings = config.stored_form(settings)
        if data.name is not None:
            record.name = data.name
        if data.enabled is not None:
            record.enabled = data.enabled
        record.revision += 1
        flush_unique(session, "body.name", f"a connector named {record.name!r} already exists in this enterprise")
        audit.record(
            session, actor, action="connector.update", entity_type="connector", entity_id=record.id,
            organisation_id=record.enterprise_id, before=before, after=_snapshot(record, settings),
        )  # fmt: skip
    return record


def set_enabled(session: Session, actor: Principal, connector_id: int, enabled: bool) -> ConnectorRecord:
    with session.begin():
        record = get_scoped(session, actor, ConnectorRecord, connector_id, "connector")
        if record.enabled != enabled:
            record.enabled = enabled
            record.revision += 1
            audit.record(
                session, actor, action="connector.enable" if enabled else "connector.disable",
                entity_type="connector", entity_id=record.id, organisation_id=record.enterprise_id,
                after={"enabled": enabled, "revision": record.revision},
            )  # fmt: skip
    return record


def delete_connector(session: Session, actor: Principal, connector_id: int) -> None:
    with session.begin():
        record = get_scoped(session, actor, ConnectorRecord, connector_id, "connector")
        before = audit.snapshot(record, AUDIT_FIELDS)
        session.execute(delete(ConnectorStatusRecord).where(ConnectorStatusRecord.connector_id == connector_id))
        session.delete(record)
        audit.record(
            session, actor, action="connector.delete", entity_type="connector", entity_id=connector_id,
            organisation_id=record.enterprise_id, before=before,
        )  # fmt: skip


def _snapshot(record: ConnectorRecord, settings: ConnectorSettings) -> dict[str, Any]:
    return {**audit.snapshot(record, AUDIT_FIELDS), "settings": config.masked_form(settings)}


def _checked_settings(model: type[ConnectorSettings], raw: dict[str, Any]) -> ConnectorSettings:
    if config.contains_mask(raw):
        raise InputError.for_field(config.SETTINGS_FIELD, "a secret is masked: type it again")
    return config.parse_settings(model, raw)


def check_bindings(session: Session, enterprise_id: int, settings: ConnectorSettings) -> None:
    """Each mapped point names a device of the enterprise, and a data point of it unless the enterprise's ingest
    policy registers new data points on first sight; ``InputError`` naming each point's field otherwise."""
    bindings = settings.bindings()
    codes = {binding.device_code for binding in bindings}
    rows = session.execute(
        select(Device.code, Device.id).where(Device.enterprise_id == enterprise_id, Device.code.in_(codes))
    )
    devices: dict[str, int] = {row.code: row.id for row in rows}
    auto_register = bool(
        session.scalar(select(IngestPolicy.auto_register).where(IngestPolicy.enterprise_id == enterprise_id))
    )
    known: set[tuple[int, str]] = set()
    if devices and not auto_register:
        known = {
            (device_id, name)
            for device_id, name in session.execute(
                select(Signal.device_id, Signal.name).where(Signal.device_id.in_(devices.values()))
            )
        }
    problems: list[FieldProblem] = []
    for binding in bindings:
        device_id = devices.get(binding.device_code)
        if device_id is None:
            field = config.binding_field(settings, binding, "device_code")
            problems.append(FieldProblem(field, f"no device {binding.device_code!r} in this enterprise"))
        elif not auto_register and (device_id, binding.signal) not in known:
            field = config.binding_field(settings, binding, "signal")
            message = (
                f"device {binding.device_code!r} has no data point {binding.signal!r} "
                "(create it, or let the ingest policy register new data points)"
            )
            problems.append(FieldProblem(field, message))
    if problems:
        raise InputError("a mapped point does not match the asset model", fields=problems[:50])


# --- talking to the equipment -------------------------------------------------------------------------------


def _run(coroutine: Coroutine[Any, Any, T], timeout_s: float) -> T:
    """Run a driver call from a synchronous service (a worker thread of the web server), bounded in time."""

    async def bounded() -> T:
        return await asyncio.wait_for(coroutine, timeout_s)

    return asyncio.run(bounded())


def probe(drivers: DriverRegistry, protocol: Protocol, settings: ConnectorSettings) -> ProbeRead:
    driver = drivers.get(protocol)
    try:
        result: ProbeResult = _run(driver.probe(settings, PROBE_TIMEOUT_S), PROBE_TIMEOUT_S + 2)
    except TimeoutError:
        result = ProbeResult(False, f"no answer within {PROBE_TIMEOUT_S:.0f} s")
    except (OSError, ConnectionError) as exc:
        result = ProbeResult(False, f"could not connect: {type(exc).__name__}: {exc}")
    return ProbeRead(
        ok=result.ok,
        message=result.message,
        details=list(result.details),
        bad_points=[BadPointRead(key=point.key, reason=point.reason) for point in result.bad_points],
    )


def test_settings(session: Session, actor: Principal, drivers: DriverRegistry, data: ConnectorTest) -> ProbeRead:
    """Try unsaved settings. With ``connector_id``, masked secrets are taken from that (stored) connector."""
    raw = dict(data.settings)
    if data.connector_id is not None:
        with session.begin():
            record = get_scoped(session, actor, ConnectorRecord, data.connector_id, "connector")
            raw = config.keep_secrets(raw, load_settings(drivers, record))
    settings = _checked_settings(drivers.get(data.protocol).settings_model, raw)
    return probe(drivers, data.protocol, settings)


def test_connector(session: Session, actor: Principal, drivers: DriverRegistry, connector_id: int) -> ProbeRead:
    with session.begin():
        record = get_scoped(session, actor, ConnectorRecord, connector_id, "connector")
        protocol, settings = record.protocol, load_settings(drivers, record)
    return probe(drivers, protocol, settings)


def browse(
    session: Session, actor: Principal, drivers: DriverRegistry, connector_id: int, node_id: str | None
) -> list[BrowseNode]:
    """The children of ``node_id`` (the root's when None) in the device's address space."""
    with session.begin():
        record = get_scoped(session, actor, ConnectorRecord, connector_id, "connector")
        protocol, settings = record.protocol, load_settings(drivers, record)
    try:
        return _run(drivers.get(protocol).browse(settings, node_id, PROBE_TIMEOUT_S), PROBE_TIMEOUT_S + 2)
    except NotSupported as exc:
        raise Conflict(f"{protocol.value} connectors cannot be browsed: {exc.message}") from exc
    except TimeoutError as exc:
        raise Unavailable(f"the server did not answer within {PROBE_TIMEOUT_S:.0f} s") from exc


def client_certificate_pem(session: Session, actor: Principal, drivers: DriverRegistry, connector_id: int) -> str:
    record = get_scoped(session, actor, ConnectorRecord, connector_id, "connector")
    pem = config.client_certificate(load_settings(drivers, record))
    if pem is None:
        raise NotFound(f"connector {connector_id} has no client certificate")
    return pem


# --- for other services -------------------------------------------------------------------------------------


def binding_for_signal(
    session: Session, enterprise_id: int, device_code: str, signal: str, drivers: DriverRegistry | None = None
) -> tuple[ConnectorRecord, ConnectorSettings, PointBinding] | None:
    """The enabled connector of the enterprise that maps (device, signal), with its settings and that point (a
    writable binding preferred): for remote commands. None when no connector serves it."""
    registry = drivers or default_drivers()
    found: tuple[ConnectorRecord, ConnectorSettings, PointBinding] | None = None
    records: Sequence[ConnectorRecord] = session.scalars(
        select(ConnectorRecord)
        .where(ConnectorRecord.enterprise_id == enterprise_id, ConnectorRecord.enabled)
        .order_by(ConnectorRecord.id)
    ).all()
    for record in records:
        try:
            settings = load_settings(registry, record)
        except ZhizaoError:
            continue
        for binding in settings.bindings():
            if binding.device_code == device_code and binding.signal == signal:
                if binding.writable:
                    return record, settings, binding
                found = found or (record, settings, binding)
    return found
