"""Images arriving as files: the folder watch inspects settled new files once and files them under processed/ or
rejected/ (with the reason); MQTT messages name files in the station's folder, never outside it. The MQTT test runs
the station services against a real broker (``ZHIZAO_TEST_MQTT_URL``, else a Mosquitto of the test's own)."""

from __future__ import annotations

import asyncio
import json
import os
import time
import uuid
from pathlib import Path

import aiomqtt
import pytest
from sqlalchemy import func, select

from tests.conftest import World
from tests.telemetry.ingest.support import broker_url
from tests.vision.station_support import Tenant, model_row, produced, station, store, tenant, use_stand_in
from zhizao.db.engine import Database
from zhizao.settings import Settings
from zhizao.simulator.mqtt_json import parse_broker_url
from zhizao.streams import run_stream_services
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.vision import sources, station_services, synthetic
from zhizao.vision.station_models import (
    InspectionSource,
    SourceKind,
    VisionInspection,
    VisionRejection,
    VisionStation,
)

__all__ = ["broker_url", "store"]


def _put(folder: Path, name: str, content: bytes, *, age_s: float = 10.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content)
    then = time.time() - age_s
    os.utime(path, (then, then))
    return path


def _topic(owner: Tenant, name: str) -> str:
    return f"zhizao/v1/{owner.organisation_id}/vision/{name}/images"


def _png(kind: str, seed: int) -> bytes:
    return synthetic.to_png(synthetic.generate(kind, seed).image)


def _rejections(database: Database) -> list[tuple[str, str]]:
    with database.session() as session:
        return [(r.reference, r.reason) for r in session.scalars(select(VisionRejection).order_by(VisionRejection.id))]


def _inspections(database: Database) -> list[VisionInspection]:
    with database.session() as session:
        return list(session.scalars(select(VisionInspection).order_by(VisionInspection.id)))


def test_the_folder_watch_inspects_settled_files_once_and_files_them_away(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id),
                         source_kind=SourceKind.FOLDER, folder="line1/cam")  # fmt: skip
    folder = settings.data_dir / "vision" / "inbox" / str(owner.organisation_id) / "line1" / "cam"
    _put(folder, "a-good.png", _png("good", 1), age_s=30)
    _put(folder, "b-spot.png", _png("spot", 2), age_s=20)
    _put(folder, "c-broken.png", _png("good", 3)[:200], age_s=10)
    _put(folder, "d-writing.png", _png("good", 4), age_s=0)  # a camera may still be writing it
    (folder / ".hidden.png").write_bytes(b"x")

    result = sources.scan_folder(database, settings, store, station_id)
    assert (result.inspected, result.rejected, result.duplicates) == (2, 1, 0)
    assert sorted(path.name for path in (folder / "processed").iterdir()) == ["a-good.png", "b-spot.png"]
    assert sorted(path.name for path in (folder / "rejected").iterdir()) == ["c-broken.png", "c-broken.png.reason.txt"]
    assert "not a readable" in (folder / "rejected" / "c-broken.png.reason.txt").read_text(encoding="utf-8")
    assert [(ref, "not a readable" in reason) for ref, reason in _rejections(database)] == [("c-broken.png", True)]
    assert [(i.original_name, i.source) for i in _inspections(database)] == [
        ("a-good.png", InspectionSource.FOLDER), ("b-spot.png", InspectionSource.FOLDER),
    ]  # fmt: skip
    assert produced(database, store, owner.equipment_id) == (1, 1)  # the rejected file is never counted
    assert (folder / "d-writing.png").exists() and (folder / ".hidden.png").exists()

    os.utime(folder / "d-writing.png", (time.time() - 5, time.time() - 5))
    again = sources.scan_folder(database, settings, store, station_id)
    assert (again.inspected, again.rejected) == (1, 0)
    assert produced(database, store, owner.equipment_id) == (2, 1)
    assert sources.scan_folder(database, settings, store, station_id).inspected == 0


def test_a_file_claimed_by_another_process_is_not_inspected_twice(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id),
                         source_kind=SourceKind.FOLDER, folder="cam")  # fmt: skip
    folder = settings.data_dir / "vision" / "inbox" / str(owner.organisation_id) / "cam"
    path = _put(folder, "x.png", _png("good", 1))
    with database.session() as session:
        row = session.get(VisionStation, station_id)
        assert row is not None
    (folder / "processing").mkdir()
    path.rename(folder / "processing" / "x.png")  # another watcher won the rename
    assert sources.handle_file(database, settings, store, row, path, InspectionSource.FOLDER) == "duplicate"
    assert _inspections(database) == []


def test_a_stale_claim_is_taken_back_or_filed_as_processed(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that died holding a claim: an image it had inspected goes to processed/, one it had not is
    inspected now."""
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station_id = station(database, owner, model_row(database, owner.organisation_id),
                         source_kind=SourceKind.FOLDER, folder="cam")  # fmt: skip
    folder = settings.data_dir / "vision" / "inbox" / str(owner.organisation_id) / "cam"
    _put(folder, "done.png", _png("good", 1))
    sources.scan_folder(database, settings, store, station_id)
    (folder / "processed" / "done.png").rename(folder / "done-copy.png")
    claims = folder / "processing"
    (folder / "done-copy.png").rename(claims / "done.png")
    _put(claims, "pending.png", _png("spot", 2), age_s=0)
    old = time.time() - sources.STALE_CLAIM_S - 5
    for path in claims.iterdir():
        os.utime(path, (old, old))
    result = sources.scan_folder(database, settings, store, station_id)
    assert (result.inspected, result.rejected) == (1, 0)
    assert sorted(p.name for p in (folder / "processed").iterdir()) == ["done.png", "pending.png"]
    assert [i.original_name for i in _inspections(database)] == ["done.png", "pending.png"]
    assert produced(database, store, owner.equipment_id) == (1, 1)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not JSON"),
        (b'{"img": "a.png"}', 'expected {"image"'),
        (b'{"image": "../../../zhizao.db"}', "not a file name inside"),
        (b'{"image": "/etc/passwd"}', "not a file name inside"),
        (b'{"image": "missing.png"}', "no file 'missing.png'"),
        (b'{"image": "a.png", "ts": "yesterday"}', "not an RFC 3339 time"),
        (b'{"image": "escape.png"}', "leads outside the station's folder"),
    ],
)
def test_messages_naming_files_outside_the_folder_or_malformed_are_rejected(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch,
    payload: bytes, reason: str,
) -> None:  # fmt: skip
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station(database, owner, model_row(database, owner.organisation_id), source_kind=SourceKind.MQTT,
            folder="cam", mqtt_topic=_topic(owner, "cam"))  # fmt: skip
    folder = settings.data_dir / "vision" / "inbox" / str(owner.organisation_id) / "cam"
    _put(folder, "a.png", _png("good", 1))
    outside = settings.data_dir / "secret.png"
    outside.write_bytes(_png("good", 2))
    (folder / "escape.png").symlink_to(outside)
    assert sources.handle_message(database, settings, store, _topic(owner, "cam"), payload) == ["rejected"]
    [(reference, why)] = _rejections(database)
    assert reference == _topic(owner, "cam") and reason in why
    assert _inspections(database) == [] and outside.exists() and (folder / "a.png").exists()
    assert produced(database, store, owner.equipment_id) == (0, 0)


def test_a_message_inspects_the_named_file_and_a_redelivery_is_ignored(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station(database, owner, model_row(database, owner.organisation_id), source_kind=SourceKind.MQTT,
            folder="cam", mqtt_topic=_topic(owner, "cam"))  # fmt: skip
    folder = settings.data_dir / "vision" / "inbox" / str(owner.organisation_id) / "cam"
    _put(folder / "2024-05-01", "part-7.png", _png("spot", 1))
    message = json.dumps({"image": "2024-05-01/part-7.png", "ts": "2024-05-01T08:30:00+08:00"}).encode()
    assert sources.handle_message(database, settings, store, _topic(owner, "cam"), message) == ["inspected"]
    assert sources.handle_message(database, settings, store, _topic(owner, "cam"), message) == ["duplicate"]
    [found] = _inspections(database)
    assert (found.source, found.original_name, found.received_at.isoformat()) == (
        InspectionSource.MQTT, "part-7.png", "2024-05-01T00:30:00+00:00",
    )  # fmt: skip
    assert (folder / "processed" / "part-7.png").exists() and _rejections(database) == []
    assert produced(database, store, owner.equipment_id) == (0, 1)
    assert sources.handle_message(database, settings, store, "plant/other", message) == []


def test_the_station_services_inspect_images_announced_on_a_real_broker(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch,
    broker_url: str,
) -> None:  # fmt: skip
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    topic = _topic(owner, uuid.uuid4().hex)  # unique on a broker that other tests share
    station(database, owner, model_row(database, owner.organisation_id), source_kind=SourceKind.MQTT,
            folder="cam", mqtt_topic=topic)  # fmt: skip
    folder = settings.data_dir / "vision" / "inbox" / str(owner.organisation_id) / "cam"
    names = [f"part-{n}.png" for n in range(3)]
    for n, name in enumerate(names):
        _put(folder, name, _png("spot" if n == 1 else "good", n))

    async def scenario() -> None:
        stop = asyncio.Event()
        services = asyncio.create_task(
            station_services.run_station_services(database, settings, stop, mqtt_url=broker_url, topics_interval_s=0.2)
        )
        broker = parse_broker_url(broker_url)
        try:
            await asyncio.sleep(1.0)  # the listener connects and subscribes
            async with aiomqtt.Client(broker.host, broker.port, username=broker.username,
                                      password=broker.password) as client:  # fmt: skip
                for name in [*names, "../outside.png"]:
                    await client.publish(topic, json.dumps({"image": name}).encode(), qos=1)
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with database.session() as session:
                    done = session.scalar(select(func.count()).select_from(VisionInspection))
                if done == len(names) and _rejections(database):
                    break
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await services

    asyncio.run(scenario())
    assert sorted(i.original_name or "" for i in _inspections(database)) == names
    assert [(ref, "not a file name inside" in why) for ref, why in _rejections(database)] == [(topic, True)]
    assert produced(database, store, owner.equipment_id) == (2, 1)


def test_the_stream_services_watch_the_station_folders(
    world: World, database: Database, settings: Settings, store: TelemetryStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``zhizao ingest`` (and ``connectors run``, ``demo``) run the station services beside the others."""
    use_stand_in(monkeypatch)
    owner = tenant(world, database)
    station(database, owner, model_row(database, owner.organisation_id), source_kind=SourceKind.FOLDER,
            folder="cam")  # fmt: skip
    folder = settings.data_dir / "vision" / "inbox" / str(owner.organisation_id) / "cam"
    _put(folder, "part.png", _png("spot", 1))

    async def scenario() -> None:
        stop = asyncio.Event()
        services = asyncio.create_task(run_stream_services(database, stop, settings=settings))
        try:
            deadline = time.monotonic() + 20
            while not _inspections(database) and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            stop.set()
            await asyncio.wait_for(services, 30)

    asyncio.run(scenario())
    assert [i.original_name for i in _inspections(database)] == ["part.png"]
    assert (folder / "processed" / "part.png").exists()
    assert produced(database, store, owner.equipment_id) == (0, 1)
