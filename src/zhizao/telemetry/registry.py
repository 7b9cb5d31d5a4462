"""Devices and signals as ingest sees them: (enterprise, device code) → device, (device, signal name) → signal.

Lookups are cached in process (positive answers for ``ttl_s``, negative ones briefly, so that a device switched
off or registered by an operator is noticed soon). When the enterprise's ``IngestPolicy.auto_register`` is on,
unknown devices and signals are registered on first sight; two workers racing to register the same one both end
up with the row that won (unique constraint, then read back). ``Device.last_seen_at`` is written at most once a
minute per device.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Generic, NamedTuple, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from zhizao.accounts.models import Organisation
from zhizao.accounts.roles import OrganisationKind
from zhizao.db.engine import Database
from zhizao.telemetry.ingest.decoding import DeviceRef, Value
from zhizao.telemetry.kinds import DataType, Protocol, RejectReason, SignalKind
from zhizao.telemetry.models import Device, IngestPolicy, Signal

logger = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


class Refused(NamedTuple):
    reason: RejectReason
    detail: str


@dataclass(frozen=True, slots=True)
class Tenant:
    id: int
    auto_register: bool


@dataclass(frozen=True, slots=True)
class KnownDevice:
    id: int
    enterprise_id: int
    code: str
    equipment_id: int | None
    is_active: bool


@dataclass(frozen=True, slots=True)
class KnownSignal:
    id: int
    device_id: int
    name: str
    kind: SignalKind
    data_type: DataType

    @property
    def is_text(self) -> bool:
        return self.data_type == DataType.STRING


def infer_type(value: Value) -> tuple[SignalKind, DataType]:
    """The kind and data type an auto-registered signal gets from its first value."""
    if isinstance(value, bool):
        return SignalKind.MEASUREMENT, DataType.BOOL
    if isinstance(value, int):
        return SignalKind.MEASUREMENT, DataType.INT
    if isinstance(value, float):
        return SignalKind.MEASUREMENT, DataType.FLOAT
    return SignalKind.TEXT, DataType.STRING


class _Absent:
    """A remembered miss: the row was looked for and not found."""


ABSENT = _Absent()


class _TtlCache(Generic[K, V]):
    def __init__(self, clock: Callable[[], float], max_entries: int) -> None:
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[K, tuple[float, V | _Absent]] = {}

    def get(self, key: K) -> V | _Absent | None:
        """The cached value, ABSENT for a remembered miss, None when nothing (fresh) is cached."""
        entry = self._entries.get(key)
        if entry is None or entry[0] < self._clock():
            return None
        return entry[1]

    def put(self, key: K, value: V | _Absent, ttl_s: float) -> None:
        if len(self._entries) >= self._max_entries:
            self._entries.clear()  # crude, but bounded; the next lookups refill it
        self._entries[key] = (self._clock() + ttl_s, value)

    def clear(self) -> None:
        self._entries.clear()


class Registry:
    """Safe to share between threads: the caches hold immutable values; the database arbitrates races."""

    def __init__(
        self,
        database: Database,
        *,
        ttl_s: float = 60.0,
        negative_ttl_s: float = 5.0,
        touch_interval_s: float = 60.0,
        max_entries: int = 500_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._ttl_s = ttl_s
        self._negative_ttl_s = negative_ttl_s
        self._touch_interval_s = touch_interval_s
        self._clock = clock
        self._tenants: _TtlCache[int, Tenant] = _TtlCache(clock, max_entries)
        self._devices: _TtlCache[DeviceRef, KnownDevice] = _TtlCache(clock, max_entries)
        self._signals: _TtlCache[tuple[int, str], KnownSignal] = _TtlCache(clock, max_entries)
        self._touched: dict[int, float] = {}
        self._touch_lock = threading.Lock()

    def clear(self) -> None:
        """Forget every cached answer (tests; an operator's change that must apply at once)."""
        self._tenants.clear()
        self._devices.clear()
        self._signals.clear()

    # -- tenants -------------------------------------------------------------------------------------------------

    def tenant(self, enterprise_id: int) -> Tenant | None:
        """The enterprise with its ingest policy, or None when there is no active enterprise of that id."""
        cached = self._tenants.get(enterprise_id)
        if cached is None:
            with self._database.session() as session:
                row = session.execute(
                    select(Organisation.kind, Organisation.is_active, IngestPolicy.auto_register)
                    .outerjoin(IngestPolicy, IngestPolicy.enterprise_id == Organisation.id)
                    .where(Organisation.id == enterprise_id)
                ).first()
            if row is None or row.kind != OrganisationKind.ENTERPRISE or not row.is_active:
                cached = ABSENT
                self._tenants.put(enterprise_id, cached, self._negative_ttl_s)
            else:
                cached = Tenant(enterprise_id, bool(row.auto_register))
                self._tenants.put(enterprise_id, cached, self._ttl_s)
        return None if isinstance(cached, _Absent) else cached

    # -- devices -------------------------------------------------------------------------------------------------

    def device(self, ref: DeviceRef, protocol: Protocol) -> KnownDevice | Refused:
        """The active device ``ref`` names, registered now if unknown and the tenant's policy says so."""
        tenant = self.tenant(ref.enterprise_id)
        if tenant is None:
            return Refused(RejectReason.UNKNOWN_TENANT, f"no active enterprise {ref.enterprise_id}")
        cached = self._devices.get(ref)
        if cached is None:
            with self._database.session() as session:
                cached = _find_device(session, ref)
            if cached is None and tenant.auto_register:
                cached = self._register(partial(_find_device, ref=ref), partial(_new_device, ref, protocol))
            if cached is None:
                cached = ABSENT
                self._devices.put(ref, cached, self._negative_ttl_s)
            else:
                self._devices.put(ref, cached, self._ttl_s)
        if isinstance(cached, _Absent):
            return Refused(
                RejectReason.UNKNOWN_DEVICE, f"no device {ref.device_code!r} in enterprise {ref.enterprise_id}"
            )
        if not cached.is_active:
            return Refused(RejectReason.DEVICE_DISABLED, f"device {ref.device_code!r} is disabled")
        return cached

    # -- signals -------------------------------------------------------------------------------------------------

    def signals(self, device: KnownDevice, first_values: Mapping[str, Value]) -> dict[str, KnownSignal | Refused]:
        """Resolve the signals a message names, each given with its first value (a new signal's type is inferred
        from it). A cache miss loads all of the device's signals in one query."""
        found: dict[str, KnownSignal | Refused] = {}
        missing: list[str] = []
        for name in first_values:
            cached = self._signals.get((device.id, name))
            if cached is None:
                missing.append(name)
            else:
                found[name] = _unknown_signal(name) if isinstance(cached, _Absent) else cached
        if not missing:
            return found
        with self._database.session() as session:
            rows = session.scalars(select(Signal).where(Signal.device_id == device.id)).all()
            loaded = {row.name: _known_signal(row) for row in rows}
        for name, known in loaded.items():
            self._signals.put((device.id, name), known, self._ttl_s)
        tenant = self.tenant(device.enterprise_id)
        auto_register = tenant is not None and tenant.auto_register
        for name in missing:
            signal = loaded.get(name)
            if signal is None and auto_register:
                signal = self._register(
                    partial(_find_signal, device_id=device.id, name=name),
                    partial(_new_signal, device, name, first_values[name]),
                )
                if signal is not None:
                    self._signals.put((device.id, name), signal, self._ttl_s)
            if signal is None:
                self._signals.put((device.id, name), ABSENT, self._negative_ttl_s)
                found[name] = _unknown_signal(name)
            else:
                found[name] = signal
        return found

    # -- registration and last-seen ------------------------------------------------------------------------------

    def _register(self, find: Callable[[Session], R | None], make: Callable[[], Device | Signal]) -> R | None:
        """Insert the row ``make`` builds, or read back the one a concurrent worker inserted first."""
        for _attempt in range(3):
            with self._database.session() as session:
                existing = find(session)
            if existing is not None:
                return existing
            try:
                with self._database.session() as session, session.begin():
                    session.add(make())
            except IntegrityError:
                logger.info("another worker registered it first; reading back its row")
        return None

    def touch(self, device_ids: Collection[int], at: datetime) -> None:
        """Set ``last_seen_at`` of the devices not touched in the last ``touch_interval_s``."""
        now = self._clock()
        with self._touch_lock:
            due = [d for d in device_ids if now - self._touched.get(d, -1e18) >= self._touch_interval_s]
            for device_id in due:
                self._touched[device_id] = now
        if not due:
            return
        try:
            with self._database.session() as session, session.begin():
                session.execute(update(Device).where(Device.id.in_(due)).values(last_seen_at=at))
        except BaseException:
            with self._touch_lock:  # let the next call try again
                for device_id in due:
                    self._touched.pop(device_id, None)
            raise


def _unknown_signal(name: str) -> Refused:
    return Refused(RejectReason.UNKNOWN_SIGNAL, f"no signal {name!r} on this device")


def _find_device(session: Session, ref: DeviceRef) -> KnownDevice | None:
    row = session.scalars(
        select(Device).where(Device.enterprise_id == ref.enterprise_id, Device.code == ref.device_code)
    ).first()
    return None if row is None else KnownDevice(row.id, row.enterprise_id, row.code, row.equipment_id, row.is_active)


def _find_signal(session: Session, device_id: int, name: str) -> KnownSignal | None:
    row = session.scalars(select(Signal).where(Signal.device_id == device_id, Signal.name == name)).first()
    return None if row is None else _known_signal(row)


def _known_signal(row: Signal) -> KnownSignal:
    return KnownSignal(row.id, row.device_id, row.name, row.kind, row.data_type)


def _new_device(ref: DeviceRef, protocol: Protocol) -> Device:
    return Device(enterprise_id=ref.enterprise_id, code=ref.device_code, name=ref.device_code, protocol=protocol)


def _new_signal(device: KnownDevice, name: str, value: Value) -> Signal:
    kind, data_type = infer_type(value)
    return Signal(
        enterprise_id=device.enterprise_id,
        device_id=device.id,
        equipment_id=device.equipment_id,
        name=name,
        kind=kind,
        data_type=data_type,
        auto_registered=True,
    )
