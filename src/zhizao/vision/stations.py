"""Inspection stations: create and change them, deploy a model, issue the camera gateway's token.

Who: enterprise users of the station's own enterprise and administrators manage stations; officers read them; any
other role is refused, and another tenant's station is 404. A station's equipment must be its own enterprise's.

Counting: each station gets a telemetry device of its own (code ``vision-station-<id>``, bound to the equipment)
with the counter signals production reads (``GOOD_COUNTER``, ``SCRAP_COUNTER``). Production reads one counter of
each name per equipment (the lowest signal id), so a station is refused on equipment that already has such
counters from another device: the machine's own counters and the station's would never both be read, and which
one counted would depend on ids. Attach the station to the inspection equipment of the line instead.

Folders: a folder or MQTT station's images are files in ``<data dir>/vision/inbox/<enterprise id>/<folder>``; the
folder is named relative to that, never absolute and never with ``..``, so no station can read or move files
elsewhere on the server (mount or link the camera's share there).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.credentials import hash_api_token
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, InputError, NotFound, PermissionDenied
from zhizao.fields import MAX_ID
from zhizao.telemetry.broker_auth import filter_within, is_valid_topic_name, vision_topics
from zhizao.telemetry.kinds import DataType, Protocol, SignalKind
from zhizao.telemetry.machinery import GOOD_COUNTER, SCRAP_COUNTER
from zhizao.telemetry.models import Device, Equipment, Signal
from zhizao.telemetry.scope import enterprise_for_write, same_enterprise
from zhizao.vision.decision import check_threshold
from zhizao.vision.models import TrainingStatus, VisionModel
from zhizao.vision.station_models import SourceKind, VisionStation
from zhizao.vision.station_schemas import GatewayToken, StationCreate, StationUpdate

STATION_FIELDS = (
    "organisation_id", "equipment_id", "name", "product_code", "source_kind", "folder", "mqtt_topic", "model_id",
    "threshold", "active",
)  # fmt: skip
READERS = frozenset({Role.ADMIN, Role.OFFICER, Role.ENTERPRISE})
MANAGERS = frozenset({Role.ADMIN, Role.ENTERPRISE})
INBOX_DIR = "vision/inbox"
TOKEN_MARK = "zzv_"  # noqa: S105 — a public prefix that tells station tokens from user and device tokens
GATEWAY_PATH = "/api/vision/gateway/stations/{station_id}/inspections"
COUNTER_SIGNALS = (GOOD_COUNTER, SCRAP_COUNTER)
_SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,63}$")


def device_code(station_id: int) -> str:
    return f"vision-station-{station_id}"


def default_topic(organisation_id: int, station_id: int) -> str:
    return f"zhizao/v1/{organisation_id}/vision/{station_id}/images"


def inbox_root(data_dir: Path, organisation_id: int) -> Path:
    return data_dir / INBOX_DIR / str(organisation_id)


def station_folder(data_dir: Path, station: VisionStation) -> Path | None:
    """The folder a folder or MQTT station reads its images from (None for upload stations)."""
    if station.folder is None:
        return None
    return inbox_root(data_dir, station.organisation_id) / station.folder


def check_folder(name: str, field: str = "body.folder") -> str:
    """A folder name relative to the enterprise's inbox: segments of letters, digits, ``_ . -``; no ``..``."""
    segments = name.strip().rstrip("/").split("/")
    if not name.strip() or any(not _SEGMENT.match(segment) or set(segment) == {"."} for segment in segments):
        raise InputError.for_field(field, "a folder name under the inbox: letters, digits, '_', '.', '-' and '/' "
                                   "between folders; not absolute, no '..'")  # fmt: skip
    return "/".join(segments)


def list_stations(session: Session, actor: Principal, organisation_id: int | None = None) -> Sequence[VisionStation]:
    require_roles(actor, READERS)
    query = select(VisionStation)
    if actor.role == Role.ENTERPRISE:
        query = query.where(VisionStation.organisation_id == actor.organisation_id)
    if organisation_id is not None:
        query = query.where(VisionStation.organisation_id == organisation_id)
    return session.scalars(query.order_by(VisionStation.organisation_id, VisionStation.name)).all()


def get_station(session: Session, actor: Principal, station_id: int, *, manage: bool = False) -> VisionStation:
    """The station if the caller may read it (``manage``: change it); another tenant's: 404."""
    require_roles(actor, MANAGERS if manage else READERS)
    station = session.get(VisionStation, station_id) if 0 < station_id <= MAX_ID else None
    if station is None or not actor.may_access_tenant(station.organisation_id):
        raise NotFound(f"inspection station {station_id} not found")
    return station


def create_station(session: Session, actor: Principal, data: StationCreate) -> VisionStation:
    require_roles(actor, MANAGERS)
    with session.begin():
        organisation_id = enterprise_for_write(session, actor, data.organisation_id, "body.organisation_id")
        same_enterprise(session, Equipment, data.equipment_id, organisation_id, "body.equipment_id")
        _refuse_counted_equipment(session, data.equipment_id)
        station = VisionStation(
            organisation_id=organisation_id, equipment_id=data.equipment_id, name=data.name.strip(),
            product_code=data.product_code.strip(), source_kind=data.source_kind, active=True,
        )  # fmt: skip
        _unique_name(session, station)
        session.add(station)
        session.flush()
        _apply_source(session, station, data.source_kind, data.folder, data.mqtt_topic)
        if data.model_id is not None:
            station.model_id = _deployable(session, station, data.model_id).id
        station.device_id = _counter_device(session, station).id
        audit.record(
            session, actor, action="vision_station.create", entity_type="vision_station", entity_id=station.id,
            organisation_id=organisation_id, after=audit.snapshot(station, STATION_FIELDS),
        )  # fmt: skip
    return station


def update_station(session: Session, actor: Principal, station_id: int, data: StationUpdate) -> VisionStation:
    with session.begin():
        station = get_station(session, actor, station_id, manage=True)
        session.refresh(station, with_for_update=True)
        before = audit.snapshot(station, STATION_FIELDS)
        changes = data.model_dump(exclude_unset=True)
        for required in ("name", "product_code", "source_kind", "active"):
            if required in changes and changes[required] is None:
                raise InputError.for_field(f"body.{required}", "must not be null")
        if "name" in changes:
            station.name = changes["name"].strip()
            _unique_name(session, station)
        if "product_code" in changes:
            station.product_code = changes["product_code"].strip()
            model = session.get(VisionModel, station.model_id) if station.model_id else None
            if model is not None and model.product_code != station.product_code:
                raise InputError.for_field("body.product_code", f"the deployed model {model.id} is for product "
                                           f"{model.product_code}; deploy a model for {station.product_code} or take "
                                           "it off first")  # fmt: skip
        if {"source_kind", "folder", "mqtt_topic"} & changes.keys():
            _apply_source(
                session, station, changes.get("source_kind") or station.source_kind,
                changes.get("folder", station.folder), changes.get("mqtt_topic", station.mqtt_topic),
            )  # fmt: skip
        if "active" in changes:
            station.active = bool(changes["active"])
        audit.record(
            session, actor, action="vision_station.update", entity_type="vision_station", entity_id=station.id,
            organisation_id=station.organisation_id, before=before, after=audit.snapshot(station, STATION_FIELDS),
        )  # fmt: skip
    return station


def deploy_model(
    session: Session, actor: Principal, station_id: int, model_id: int | None, threshold: float | None = None
) -> VisionStation:
    """Put a trained model of the station's enterprise and product on the station (None: take it off), deciding
    at ``threshold`` (None: the model's own; see ``decision``)."""
    with session.begin():
        station = get_station(session, actor, station_id, manage=True)
        session.refresh(station, with_for_update=True)
        before = {"model_id": station.model_id, "threshold": station.threshold}
        if model_id is None:
            if threshold is not None:
                raise InputError.for_field("body.threshold", "a threshold needs a model to decide with")
            station.model_id, station.threshold = None, None
        else:
            model = _deployable(session, station, model_id)
            station.model_id, station.threshold = model.id, check_threshold(model.task, threshold)
        audit.record(
            session, actor, action="vision_station.deploy", entity_type="vision_station", entity_id=station.id,
            organisation_id=station.organisation_id, before=before,
            after={"model_id": station.model_id, "threshold": station.threshold},
        )  # fmt: skip
    return station


def issue_token(session: Session, actor: Principal, station_id: int, base_url: str) -> GatewayToken:
    """A new token for the station's camera gateway, shown once; the previous one stops working."""
    token = TOKEN_MARK + secrets.token_urlsafe(32)
    with session.begin():
        station = get_station(session, actor, station_id, manage=True)
        station.token_hash = hash_api_token(token)
        station.token_issued_at = utcnow()
        audit.record(
            session, actor, action="vision_station.issue_token", entity_type="vision_station", entity_id=station.id,
            organisation_id=station.organisation_id,
        )  # fmt: skip
        url = base_url.rstrip("/") + GATEWAY_PATH.format(station_id=station.id)
        return GatewayToken(station_id=station.id, token=token, upload_url=url)


def station_for_token(session: Session, token: str) -> VisionStation | None:
    """The station whose gateway token this is, or None."""
    if not token.startswith(TOKEN_MARK):
        return None
    return session.scalars(select(VisionStation).where(VisionStation.token_hash == hash_api_token(token))).first()


def counter_signals(session: Session, station: VisionStation) -> dict[str, int]:
    """The station's counter signal ids by name (made if they went missing, e.g. deleted by hand)."""
    device = _counter_device(session, station)
    station.device_id = device.id
    rows = session.execute(select(Signal.name, Signal.id).where(Signal.device_id == device.id))
    return {name: signal_id for name, signal_id in rows if name in COUNTER_SIGNALS}


def require_roles(actor: Principal, roles: frozenset[Role]) -> None:
    if actor.role not in roles:
        raise PermissionDenied(f"role {actor.role.value} may not do this with inspection stations")


def _unique_name(session: Session, station: VisionStation) -> None:
    clash = session.scalars(
        select(VisionStation.id).where(
            VisionStation.organisation_id == station.organisation_id,
            VisionStation.name == station.name,
            VisionStation.id != (station.id or 0),
        )
    ).first()
    if clash is not None:
        raise Conflict(f"station name {station.name!r} is already used in this enterprise")


def _apply_source(
    session: Session, station: VisionStation, kind: SourceKind, folder: str | None, topic: str | None
) -> None:
    station.source_kind = kind
    if kind is SourceKind.UPLOAD:
        station.folder = check_folder(folder) if folder else None
        station.mqtt_topic = None
        return
    if not folder:
        raise InputError.for_field("body.folder", "a folder or MQTT station needs its folder")
    station.folder = check_folder(folder)
    if kind is SourceKind.FOLDER:
        station.mqtt_topic = None
        return
    chosen = (topic or "").strip() or default_topic(station.organisation_id, station.id)
    if not is_valid_topic_name(chosen) or chosen.startswith("$"):
        raise InputError.for_field("body.mqtt_topic", "a topic name: no '+', '#' or NUL, not starting with '$'")
    # Within the enterprise's own inspection topics: the broker lets its devices publish there and the listener
    # subscribe, and no station can listen on another enterprise's (or a device's data) topic.
    allowed = vision_topics(station.organisation_id)
    if not filter_within(chosen, allowed):
        raise InputError.for_field("body.mqtt_topic", f"must have the form {allowed.replace('+', '<name>')}")
    clash = session.scalars(
        select(VisionStation.id).where(VisionStation.mqtt_topic == chosen, VisionStation.id != station.id)
    ).first()
    if clash is not None:
        raise Conflict(f"topic {chosen!r} is already used by another station")
    station.mqtt_topic = chosen


def _deployable(session: Session, station: VisionStation, model_id: int) -> VisionModel:
    model = session.get(VisionModel, model_id) if 0 < model_id <= MAX_ID else None
    if model is None or model.organisation_id != station.organisation_id:
        raise InputError.for_field("body.model_id", f"model {model_id} is not a model of this enterprise")
    if model.product_code != station.product_code:
        raise InputError.for_field("body.model_id", f"model for another product: model {model.id} inspects "
                                   f"{model.product_code}, the station {station.product_code}")  # fmt: skip
    if model.status is not TrainingStatus.DONE or not model.path:
        raise InputError.for_field("body.model_id", f"model {model.id} is not trained (status {model.status.value})")
    return model


def _refuse_counted_equipment(session: Session, equipment_id: int) -> None:
    counted = session.execute(
        select(Signal.name, Device.code)
        .join(Device, Device.id == Signal.device_id)
        .where(Signal.equipment_id == equipment_id, Signal.name.in_(COUNTER_SIGNALS))
        .limit(1)
    ).first()
    if counted is not None:
        message = (
            f"the equipment already counts parts ({counted[0]} of device {counted[1]}); production reads one counter "
            "per equipment, so attach the station to equipment of its own (e.g. the line's inspection station)"
        )
        raise InputError.for_field("body.equipment_id", message)


def _counter_device(session: Session, station: VisionStation) -> Device:
    device = session.get(Device, station.device_id) if station.device_id else None
    if device is None:
        code = device_code(station.id)
        device = session.scalars(
            select(Device).where(Device.enterprise_id == station.organisation_id, Device.code == code)
        ).first()
    if device is None:
        device = Device(
            enterprise_id=station.organisation_id, equipment_id=station.equipment_id, code=device_code(station.id),
            name=f"{station.name} (vision)"[:200], protocol=Protocol.HTTP, is_active=True,
        )  # fmt: skip
        session.add(device)
        session.flush()
    present = set(session.scalars(select(Signal.name).where(Signal.device_id == device.id)))
    for name in COUNTER_SIGNALS:
        if name not in present:
            session.add(Signal(
                enterprise_id=station.organisation_id, device_id=device.id, equipment_id=station.equipment_id,
                name=name, unit="pcs", kind=SignalKind.COUNTER, data_type=DataType.INT,
            ))  # fmt: skip
    session.flush()
    return device
