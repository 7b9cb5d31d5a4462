"""Images that arrive as files: a station's folder, watched, and MQTT messages naming files in that folder.

Folder stations: every new file directly in the station's folder (``stations.station_folder``) is inspected once it
has not changed for ``SETTLE_S`` (a camera may still be writing it). MQTT stations: a message on the station's
topic is ``{"image": "<file name in the station's folder>", "ts": <epoch ms or RFC 3339>}`` — a reference, never
the bytes; a name that is absolute, holds ``..`` or leads out of the folder (a link) is rejected.

Each file is first claimed by renaming it into ``processing/`` (a rename is atomic: of two processes watching the
same folder, or an MQTT message delivered twice, one wins and the other finds nothing), then inspected and moved to
``processed/``, or, when it cannot be inspected, to ``rejected/`` with ``<name>.reason.txt`` beside it and a
``vision_rejection`` row; a rejected image is never counted. A claim left in ``processing/`` by a crash is taken
back after ``STALE_CLAIM_S``: to ``processed/`` if the station has an inspection of the same image (it committed
before the crash), else into the folder to be inspected again.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import select

from zhizao.db.engine import Database
from zhizao.errors import InputError, NotFound
from zhizao.settings import Settings
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.vision import inspection, stations, storage
from zhizao.vision.station_models import (
    InspectionSource,
    SourceKind,
    VisionInspection,
    VisionRejection,
    VisionStation,
)

logger = logging.getLogger(__name__)

SETTLE_S = 1.0
STALE_CLAIM_S = 600.0
PROCESSING, PROCESSED, REJECTED = "processing", "processed", "rejected"
SUBFOLDERS = (PROCESSING, PROCESSED, REJECTED)
MAX_MESSAGE_BYTES = 64 * 1024
Result = Literal["inspected", "rejected", "duplicate"]


@dataclass
class ScanResult:
    inspected: int = 0
    rejected: int = 0
    duplicates: int = 0

    def add(self, result: Result) -> None:
        if result == "inspected":
            self.inspected += 1
        elif result == "rejected":
            self.rejected += 1
        else:
            self.duplicates += 1


def scan_folder(
    database: Database, settings: Settings, store: TelemetryStore, station_id: int, *, settle_s: float = SETTLE_S
) -> ScanResult:
    """Inspect the settled new files of one folder station."""
    with database.session() as session:
        station = session.get(VisionStation, station_id)
        folder = stations.station_folder(settings.data_dir, station) if station is not None else None
    result = ScanResult()
    if station is None or folder is None or not station.active:
        return result
    folder.mkdir(parents=True, exist_ok=True)
    _recover_stale_claims(database, station_id, folder)
    cutoff = time.time() - settle_s
    found = [path for path in folder.iterdir() if _is_candidate(path) and path.stat().st_mtime <= cutoff]
    for path in sorted(found, key=lambda item: (item.stat().st_mtime, item.name)):
        result.add(handle_file(database, settings, store, station, path, InspectionSource.FOLDER))
    return result


def handle_message(
    database: Database, settings: Settings, store: TelemetryStore, topic: str, payload: bytes
) -> list[Result]:
    """One MQTT message on a station's topic: inspect the file it names (each active MQTT station of the topic)."""
    with database.session() as session:
        listening = list(
            session.scalars(
                select(VisionStation).where(
                    VisionStation.mqtt_topic == topic,
                    VisionStation.source_kind == SourceKind.MQTT,
                    VisionStation.active.is_(True),
                )
            )
        )
    results: list[Result] = []
    for station in listening:
        try:
            name, received_at = parse_message(payload)
            path = referenced_file(settings.data_dir, station, name)
        except InputError as error:
            reject(database, station, InspectionSource.MQTT, topic, error.message)
            results.append("rejected")
            continue
        if path is None:  # already claimed or processed: a redelivery
            results.append("duplicate")
            continue
        results.append(handle_file(database, settings, store, station, path, InspectionSource.MQTT, received_at))
    return results


def parse_message(payload: bytes) -> tuple[str, datetime | None]:
    """The image's name and time of a message, or InputError saying what is wrong."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise InputError.for_field("message", f"over {MAX_MESSAGE_BYTES // 1024} KiB: a message names a file")
    try:
        document = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as error:
        raise InputError.for_field("message", f"not JSON ({error})") from None
    if not isinstance(document, dict) or not isinstance(document.get("image"), str) or not document["image"]:
        raise InputError.for_field("message.image", 'expected {"image": "<file name in the station\'s folder>"}')
    return document["image"], _timestamp(document.get("ts"))


def referenced_file(data_dir: Path, station: VisionStation, name: str) -> Path | None:
    """The file a message names inside the station's folder; None when it was claimed or processed already;
    InputError when the name leads outside the folder or to no file."""
    folder = stations.station_folder(data_dir, station)
    if folder is None:
        raise InputError.for_field("message.image", "the station has no folder")
    relative = Path(name)
    if relative.is_absolute() or ".." in relative.parts or "\x00" in name or not relative.parts:
        raise InputError.for_field("message.image", f"{name!r} is not a file name inside the station's folder")
    if relative.parts[0] in SUBFOLDERS:
        raise InputError.for_field("message.image", f"{name!r} names a file the station has handled already")
    path = folder / relative
    base = folder.resolve()
    if path.exists() and not path.resolve().is_relative_to(base):
        raise InputError.for_field("message.image", f"{name!r} leads outside the station's folder")
    if not path.is_file():
        if any((folder / sub / relative.name).exists() for sub in SUBFOLDERS):
            return None
        raise InputError.for_field("message.image", f"no file {name!r} in the station's folder")
    return path


def handle_file(
    database: Database,
    settings: Settings,
    store: TelemetryStore,
    station: VisionStation,
    path: Path,
    source: InspectionSource,
    received_at: datetime | None = None,
) -> Result:
    """Claim, inspect and file away one image of the station's folder."""
    folder = path.parent if source is InspectionSource.FOLDER else stations.station_folder(settings.data_dir, station)
    assert folder is not None
    claimed = _move(path, folder / PROCESSING)
    if claimed is None:
        return "duplicate"
    try:
        content = claimed.read_bytes()
        taken = received_at or datetime.fromtimestamp(claimed.stat().st_mtime, UTC)
        with database.session() as session:
            inspection.inspect(
                session, settings, store, station.id, content, source=source, received_at=taken,
                original_name=path.name, field=path.name,
            )  # fmt: skip
    except (InputError, NotFound, OSError) as error:
        reason = error.message if isinstance(error, InputError | NotFound) else f"cannot read the file ({error})"
        moved = _move(claimed, folder / REJECTED) or claimed
        moved.with_name(moved.name + ".reason.txt").write_text(reason + "\n", encoding="utf-8")
        reject(database, station, source, path.name, reason)
        return "rejected"
    _move(claimed, folder / PROCESSED)
    return "inspected"


def reject(database: Database, station: VisionStation, source: InspectionSource, reference: str, reason: str) -> None:
    """Keep the reason an image of the station was not inspected (never counted)."""
    logger.info("station %s rejected %s: %s", station.id, reference, reason)
    with database.session() as session, session.begin():
        session.add(VisionRejection(
            station_id=station.id, organisation_id=station.organisation_id, source=source,
            reference=reference[:1000], reason=reason,
        ))  # fmt: skip


def _is_candidate(path: Path) -> bool:
    return path.is_file() and not path.is_symlink() and not path.name.startswith(".")


def _move(path: Path, target_folder: Path) -> Path | None:
    """Rename ``path`` into ``target_folder`` (a free name: ``stem-2.ext`` when taken); None if it is gone."""
    target_folder.mkdir(parents=True, exist_ok=True)
    target = target_folder / path.name
    number = 1
    while target.exists():
        number += 1
        target = target_folder / f"{path.stem}-{number}{path.suffix}"
    try:
        path.rename(target)
    except FileNotFoundError:
        return None  # another process claimed it first
    return target


def _recover_stale_claims(database: Database, station_id: int, folder: Path) -> None:
    """Claims older than ``STALE_CLAIM_S`` (a process died holding them): to ``processed/`` when the station has an
    inspection of the image (it committed before the crash), else back into the folder to be inspected."""
    claims = folder / PROCESSING
    if not claims.is_dir():
        return
    cutoff = time.time() - STALE_CLAIM_S
    for path in claims.iterdir():
        if not _is_candidate(path) or path.stat().st_mtime > cutoff:
            continue
        try:
            prepared, _grey = storage.prepare(path.read_bytes(), path.name)
        except (InputError, OSError):
            prepared = None
        done = False
        if prepared is not None:
            stored = f"{inspection.IMAGE_DIR}/{prepared.sha256[:2]}/{prepared.sha256}.png"
            with database.session() as session:
                done = (
                    session.scalars(
                        select(VisionInspection.id).where(
                            VisionInspection.station_id == station_id, VisionInspection.image_path == stored
                        )
                    ).first()
                    is not None
                )
        logger.warning("stale claim %s: %s", path, "inspected before" if done else "taken back")
        _move(path, folder / PROCESSED if done else folder)


def _timestamp(value: object) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (OverflowError, OSError, ValueError):
            raise InputError.for_field("message.ts", "epoch milliseconds out of range") from None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            raise InputError.for_field("message.ts", f"not an RFC 3339 time: {value!r}") from None
        if moment.tzinfo is None:
            raise InputError.for_field("message.ts", "an RFC 3339 time needs its offset (Z or +08:00)")
        return moment.astimezone(UTC)
    raise InputError.for_field("message.ts", "epoch milliseconds or an RFC 3339 string")
