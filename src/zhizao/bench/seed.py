"""The benchmark's tenant: one enterprise, ``devices`` devices of ``signals`` float signals each, as plain rows.

Devices are ``bench-d000``, ``bench-d001``, …; signals ``s00``, ``s01``, … on every device. Auto-registration is
off, so a message naming anything else would be a dead letter (and the benchmark would notice the shortfall).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import insert, select

from zhizao.accounts import service as accounts
from zhizao.accounts.roles import OrganisationKind, Role
from zhizao.accounts.schemas import OrganisationCreate, UserCreate
from zhizao.db.engine import Database
from zhizao.telemetry.kinds import DataType, Protocol, SignalKind
from zhizao.telemetry.models import Device, IngestPolicy, Signal


def device_code(index: int) -> str:
    return f"bench-d{index:03d}"


def signal_name(index: int) -> str:
    return f"s{index:02d}"


@dataclass(frozen=True, slots=True)
class Tenant:
    enterprise_id: int
    device_codes: list[str]
    signal_names: list[str]
    # signal_ids[device][signal]: the ids, by device index then signal index
    signal_ids: list[list[int]]

    @property
    def all_signal_ids(self) -> list[int]:
        return [signal_id for per_device in self.signal_ids for signal_id in per_device]


def seed_tenant(database: Database, devices: int, signals: int) -> Tenant:
    if devices < 1 or signals < 1:
        raise ValueError("at least one device and one signal")
    with database.session() as session:
        organisation = accounts.create_organisation(
            session, None, OrganisationCreate(name=f"bench-{uuid.uuid4().hex[:8]}", kind=OrganisationKind.ENTERPRISE)
        )
        enterprise_id = organisation.id
    codes = [device_code(index) for index in range(devices)]
    names = [signal_name(index) for index in range(signals)]
    with database.session() as session, session.begin():
        session.add(IngestPolicy(enterprise_id=enterprise_id, auto_register=False))
        session.execute(
            insert(Device),
            [
                {"enterprise_id": enterprise_id, "code": code, "name": code, "protocol": Protocol.MQTT_JSON}
                for code in codes
            ],
        )
        found = session.execute(select(Device.code, Device.id).where(Device.enterprise_id == enterprise_id))
        device_ids: dict[str, int] = {row.code: row.id for row in found}
        session.execute(
            insert(Signal),
            [
                {
                    "enterprise_id": enterprise_id,
                    "device_id": device_ids[code],
                    "name": name,
                    "kind": SignalKind.MEASUREMENT,
                    "data_type": DataType.FLOAT,
                }
                for code in codes
                for name in names
            ],
        )
        rows = session.execute(
            select(Signal.device_id, Signal.name, Signal.id).where(Signal.enterprise_id == enterprise_id)
        ).all()
    ids = {(device_id, name): signal_id for device_id, name, signal_id in rows}
    signal_ids = [[ids[(device_ids[code], name)] for name in names] for code in codes]
    return Tenant(enterprise_id, codes, names, signal_ids)


def seed_admin(database: Database) -> tuple[str, str]:
    """A platform administrator for the HTTP part of a benchmark; returns (username, password)."""
    username = f"bench{uuid.uuid4().hex[:8]}"
    password = f"pw-{uuid.uuid4().hex}"
    with database.session() as session:
        accounts.create_user(
            session, None, UserCreate(username=username, display_name=username, password=password, role=Role.ADMIN)
        )
    return username, password
