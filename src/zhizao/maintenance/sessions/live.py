"""What an open session shows and does on its equipment: live values with their data quality, a short trend, the
current alarms and recent alarm history, diagnostics (data sources, connectors, "test connection") and remote
commands through the audited two-step command flow.

Each function takes a session row its caller has just checked (``service.open_for``): the session is open and
the caller works in it, so the equipment is within the owner's consent. Telemetry is read through the store and
the telemetry models; the alarms are read, never acted on (see docs/maintenance-remote.md: acknowledging is the
on-site operator's duty).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.connectors import service as connectors
from zhizao.connectors.drivers import DriverRegistry
from zhizao.connectors.models import ConnectorRecord, ConnectorStatusRecord
from zhizao.errors import InputError, NotFound, PermissionDenied, ZhizaoError
from zhizao.maintenance.models_sessions import MaintenanceSession
from zhizao.maintenance.sessions import access
from zhizao.maintenance.sessions.quality import Freshness, assess
from zhizao.maintenance.sessions.schemas import (
    ConnectionTest,
    ConnectorDiagnosis,
    DeviceDiagnosis,
    DiagnosticsRead,
    LiveRead,
    LiveSignal,
    SessionAlarms,
    SessionCommandCreate,
    TrendPoint,
    TrendRead,
)
from zhizao.maintenance.sessions.service import begin
from zhizao.telemetry.alarms.api import alarm_read
from zhizao.telemetry.alarms.lifecycle import ANNUNCIATED, SUPPRESSED, UNACKNOWLEDGED
from zhizao.telemetry.alarms.models import AlarmEvent, AlarmRuleRow, AlarmStatus
from zhizao.telemetry.alarms.rules import Severity
from zhizao.telemetry.alarms.schemas import AlarmEventRead
from zhizao.telemetry.commands import service as commands
from zhizao.telemetry.commands.models import Command
from zhizao.telemetry.commands.schemas import CommandCreate
from zhizao.telemetry.commands.transports import CommandEnvironment
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.models import Device, Equipment, Signal
from zhizao.telemetry.store.base import Aggregate, TelemetryStore
from zhizao.telemetry.timeutil import from_us, to_us

US = 1_000_000
TEXT_LOOKBACK_S = 3600  # text points: the newest sample of the last hour (the store keeps no "latest" for text)
TREND_MINUTES = (15, 60, 240, 1440)
RECENT_ALARM_EVENTS = 20


def signals_of(session: Session, equipment_id: int) -> list[Signal]:
    return list(session.scalars(select(Signal).where(Signal.equipment_id == equipment_id).order_by(Signal.name)))


# --- live values -----------------------------------------------------------------------------------------------


def live(session: Session, store: TelemetryStore, row: MaintenanceSession, now: datetime) -> LiveRead:
    signals = signals_of(session, row.equipment_id)
    now_us = to_us(now)
    latest = store.latest([s.id for s in signals if s.kind is not SignalKind.TEXT])
    items = []
    for signal in signals:
        value: float | str | None = None
        ts_us: int | None = None
        if signal.kind is SignalKind.TEXT:
            texts = store.raw_text(signal.id, now_us - TEXT_LOOKBACK_S * US, now_us + 1)
            if texts:
                value, ts_us = texts[-1].value, texts[-1].ts_us
        elif signal.id in latest:
            value, ts_us = latest[signal.id].value, latest[signal.id].ts_us
        quality = assess(ts_us, now_us, signal.kind, signal.expected_rate_hz)
        items.append(
            LiveSignal(
                signal_id=signal.id,
                name=signal.name,
                unit=signal.unit,
                kind=signal.kind,
                data_type=signal.data_type,
                writable=signal.writable,
                value=value,
                ts=from_us(ts_us) if ts_us is not None else None,
                freshness=quality.freshness,
                age_s=quality.age_s,
                stale_after_s=quality.stale_after_s,
                stale_limit_assumed=quality.assumed,
            )
        )
    return LiveRead(session_id=row.id, at=now, signals=items)


def trend_bucket_s(minutes: int) -> int:
    """Up to an hour: 10-second averages of the raw samples; longer: whole minutes (served from the roll-ups),
    about 240 points whatever the span."""
    if minutes <= 60:
        return 10
    return max(1, round(minutes / 240)) * 60


def trend(
    session: Session, store: TelemetryStore, row: MaintenanceSession, signal_id: int, minutes: int, now: datetime
) -> TrendRead:
    if minutes not in TREND_MINUTES:
        raise InputError.for_field("query.minutes", f"one of {', '.join(map(str, TREND_MINUTES))}")
    signal = session.get(Signal, signal_id)
    if signal is None or signal.equipment_id != row.equipment_id:
        raise NotFound(f"data point {signal_id} not found")
    if signal.kind is SignalKind.TEXT:
        raise InputError.for_field("query.signal_id", f"{signal.name} is a text data point: it has no trend")
    bucket_us = trend_bucket_s(minutes) * US
    end_us = -(-to_us(now) // bucket_us) * bucket_us  # aligned, so that roll-ups can serve it
    start_us = end_us - minutes * 60 * US
    series = store.downsample([signal.id], start_us, end_us, bucket_us, Aggregate.AVG).get(signal.id, [])
    return TrendRead(
        signal_id=signal.id,
        name=signal.name,
        unit=signal.unit,
        start=from_us(start_us),
        end=from_us(end_us),
        bucket_seconds=bucket_us // US,
        points=[TrendPoint(ts=from_us(b.bucket_us), value=b.value) for b in series],
    )


# --- alarms ----------------------------------------------------------------------------------------------------


def _urgency(pair: tuple[AlarmRuleRow, AlarmStatus]) -> tuple[int, int, int]:
    rule, status = pair
    state = status.alarm_state
    group = 0 if state in UNACKNOWLEDGED else 1 if state in ANNUNCIATED else 2 if state in SUPPRESSED else 3
    return group, int(Severity(rule.definition["severity"]).priority), -(status.changed_us or 0)


def alarms(session: Session, row: MaintenanceSession) -> SessionAlarms:
    """The equipment's alarms that are not normal (most urgent first) and its newest alarm events."""
    pairs = [
        (rule, status)
        for rule, status in session.execute(
            select(AlarmRuleRow, AlarmStatus)
            .join(AlarmStatus, AlarmStatus.rule_pk == AlarmRuleRow.id)
            .where(
                AlarmRuleRow.enterprise_id == row.enterprise_id,
                AlarmRuleRow.equipment_id == row.equipment_id,
                AlarmStatus.alarm_state != "normal",
            )
        )
    ]
    pairs.sort(key=_urgency)
    events = session.scalars(
        select(AlarmEvent)
        .where(AlarmEvent.enterprise_id == row.enterprise_id, AlarmEvent.equipment_id == row.equipment_id)
        .order_by(AlarmEvent.ts_us.desc(), AlarmEvent.id.desc())
        .limit(RECENT_ALARM_EVENTS)
    ).all()
    return SessionAlarms(
        current=[alarm_read(rule, status) for rule, status in pairs],
        history=[AlarmEventRead.model_validate(event) for event in events],
    )


def alarm_events_during(session: Session, row: MaintenanceSession, now: datetime) -> list[AlarmEventRead]:
    """Every alarm event of the equipment while the session was open, oldest first (for the report)."""
    end = row.ended_at or now
    events = session.scalars(
        select(AlarmEvent)
        .where(
            AlarmEvent.enterprise_id == row.enterprise_id,
            AlarmEvent.equipment_id == row.equipment_id,
            AlarmEvent.ts_us >= to_us(row.opened_at),
            AlarmEvent.ts_us <= to_us(end),
        )
        .order_by(AlarmEvent.ts_us, AlarmEvent.id)
        .limit(1000)
    ).all()
    return [AlarmEventRead.model_validate(event) for event in events]


# --- diagnostics -----------------------------------------------------------------------------------------------


def _devices(session: Session, equipment_id: int, signals: list[Signal]) -> list[Device]:
    """The data sources bound to the equipment, and those its data points come through."""
    ids = {s.device_id for s in signals}
    ids |= set(session.scalars(select(Device.id).where(Device.equipment_id == equipment_id)))
    return list(session.scalars(select(Device).where(Device.id.in_(ids)).order_by(Device.code))) if ids else []


def _serving(
    session: Session, drivers: DriverRegistry, enterprise_id: int, codes: set[str]
) -> list[tuple[ConnectorRecord, dict[str, int]]]:
    """The owner's connectors that map points of these data sources, with the number of points per source."""
    found = []
    for record in session.scalars(
        select(ConnectorRecord).where(ConnectorRecord.enterprise_id == enterprise_id).order_by(ConnectorRecord.name)
    ):
        try:
            bindings = connectors.load_settings(drivers, record).bindings()
        except (ZhizaoError, NotImplementedError):  # its driver is missing here, or its settings no longer parse
            continue
        per_device: dict[str, int] = {}
        for binding in bindings:
            if binding.device_code in codes:
                per_device[binding.device_code] = per_device.get(binding.device_code, 0) + 1
        if per_device:
            found.append((record, per_device))
    return found


def diagnostics(
    session: Session, store: TelemetryStore, drivers: DriverRegistry, row: MaintenanceSession, now: datetime
) -> DiagnosticsRead:
    signals = signals_of(session, row.equipment_id)
    devices = _devices(session, row.equipment_id, signals)
    serving = _serving(session, drivers, row.enterprise_id, {d.code for d in devices})
    result: list[DeviceDiagnosis] = []
    for device in devices:
        diagnosed = []
        for record, per_device in serving:
            if device.code in per_device:
                status = connectors.to_read(record, session.get(ConnectorStatusRecord, record.id), drivers, now).status
                diagnosed.append(
                    ConnectorDiagnosis(
                        id=record.id,
                        name=record.name,
                        protocol=record.protocol,
                        enabled=record.enabled,
                        points=per_device[device.code],
                        status=status,
                    )
                )
        result.append(
            DeviceDiagnosis(
                device_id=device.id,
                code=device.code,
                name=device.name,
                protocol=device.protocol,
                is_active=device.is_active,
                last_seen_at=device.last_seen_at,
                connectors=diagnosed,
            )
        )
    counts = dict.fromkeys(Freshness, 0)
    for item in live(session, store, row, now).signals:
        counts[item.freshness] += 1
    return DiagnosticsRead(
        devices=result,
        signals=len(signals),
        fresh=counts[Freshness.FRESH],
        stale=counts[Freshness.STALE],
        never=counts[Freshness.NEVER],
        ahead=counts[Freshness.AHEAD],
        not_judged=counts[Freshness.NOT_JUDGED],
    )


def test_connection(
    session: Session, actor: Principal, drivers: DriverRegistry, row: MaintenanceSession, connector_id: int
) -> ConnectionTest:
    """ "Test connection" of a connector that serves the session's equipment (the connector service's probe, with
    this session's consent as the authority, not the owner's tenancy); audited with its result."""
    with begin(session):
        codes = {d.code for d in _devices(session, row.equipment_id, signals_of(session, row.equipment_id))}
        match = [r for r, _ in _serving(session, drivers, row.enterprise_id, codes) if r.id == connector_id]
        if not match:
            raise NotFound(f"connector {connector_id} not found")
        protocol, settings, name = match[0].protocol, connectors.load_settings(drivers, match[0]), match[0].name
    result = connectors.probe(drivers, protocol, settings)
    with begin(session):
        audit.record(
            session,
            actor,
            action="maintenance_session.test_connection",
            entity_type="maintenance_session",
            entity_id=row.id,
            organisation_id=row.enterprise_id,
            after={"connector": connector_id, "name": name, "ok": result.ok, "message": result.message},
        )
    return ConnectionTest(connector_id=connector_id, result=result)


# --- commands --------------------------------------------------------------------------------------------------


def prepare_command(
    session: Session,
    actor: Principal,
    env: CommandEnvironment,
    row: MaintenanceSession,
    data: SessionCommandCreate,
    now: datetime,
) -> Command:
    """Step 1 of a remote command in the session (pending; the operator confirms it on the command's page or
    ``POST /api/commands/{id}/confirm``). The command service checks the point, range, rate and consent again."""
    with begin(session):
        equipment = session.get(Equipment, row.equipment_id)
        if equipment is None or not access.may_command(session, actor, equipment, now):
            raise PermissionDenied(
                "the owner has not consented to remote commands (scope remote_command) on this equipment"
            )
    session.rollback()
    create = CommandCreate(signal_id=data.signal_id, equipment_id=row.equipment_id, value=data.value)
    return commands.prepare(session, actor, create, env, now, maintenance_session_id=row.id)


def session_commands(session: Session, row: MaintenanceSession) -> list[Command]:
    return list(
        session.scalars(
            select(Command).where(Command.maintenance_session_id == row.id).order_by(Command.created_at, Command.id)
        )
    )


def writable(signals: list[Signal]) -> list[Signal]:
    return [s for s in signals if s.writable]
