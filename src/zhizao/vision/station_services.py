"""What runs beside ingest for the inspection stations (``zhizao.streams``): the folder watch, the MQTT listener for
stations whose images are announced on a topic, and the stations' counter heartbeat (``inspection.keep_readings``).

The MQTT listener connects only while some active station listens to a topic, re-reads the stations' topics every
``TOPICS_INTERVAL_S`` and subscribes (QoS 1) or unsubscribes to match. Several processes may run these services at
once: a file is claimed by an atomic rename (``sources``), so each image is inspected once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import ssl
from collections.abc import Awaitable, Callable

import aiomqtt
from sqlalchemy import select

from zhizao.db.engine import Database
from zhizao.settings import Settings
from zhizao.telemetry.ingest.mqtt_source import MqttEndpoint
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.factory import open_store
from zhizao.vision import inspection, sources
from zhizao.vision.station_models import SourceKind, VisionStation

__all__ = ["run_station_services"]

logger = logging.getLogger(__name__)

FOLDER_INTERVAL_S = 2.0
READINGS_INTERVAL_S = inspection.HEARTBEAT_S / 2
TOPICS_INTERVAL_S = 10.0
RECONNECT_S = 5.0


async def run_station_services(
    database: Database,
    settings: Settings,
    stop: asyncio.Event,
    *,
    mqtt_url: str | None = None,
    folder_interval_s: float = FOLDER_INTERVAL_S,
    topics_interval_s: float = TOPICS_INTERVAL_S,
) -> None:
    """Watch the folder stations' folders and listen to the MQTT stations' topics until ``stop`` is set."""
    store = open_store(database)
    try:
        await asyncio.gather(
            watch_folders(database, settings, store, stop, folder_interval_s),
            listen_mqtt(database, settings, store, stop, mqtt_url or settings.mqtt_url, topics_interval_s),
        )
    finally:
        store.close()


async def watch_folders(
    database: Database, settings: Settings, store: TelemetryStore, stop: asyncio.Event, interval_s: float
) -> None:
    since_readings = READINGS_INTERVAL_S  # at once on start: a crash may have left readings behind
    while not stop.is_set():
        try:
            for station_id in await asyncio.to_thread(_station_ids, database, SourceKind.FOLDER):
                result = await asyncio.to_thread(sources.scan_folder, database, settings, store, station_id)
                if result.inspected or result.rejected:
                    logger.info("station %d folder: %s", station_id, result)
            if since_readings >= READINGS_INTERVAL_S:
                since_readings = 0.0
                repaired = await asyncio.to_thread(inspection.keep_readings, database, store)
                if repaired:
                    logger.debug("inspection stations: %d counter readings repeated", repaired)
        except Exception:  # the database may be restarting; the next round tries again
            logger.exception("inspection station folders could not be scanned")
        since_readings += interval_s
        await _pause(stop, interval_s)


async def listen_mqtt(
    database: Database, settings: Settings, store: TelemetryStore, stop: asyncio.Event, url: str, interval_s: float
) -> None:
    endpoint = MqttEndpoint.parse(url)
    identifier = f"zhizao-vision-{socket.gethostname()}-{os.getpid()}"
    while not stop.is_set():
        topics = await _topics(database)
        if not topics:
            await _pause(stop, interval_s)
            continue
        try:
            async with aiomqtt.Client(
                endpoint.host, endpoint.port, username=endpoint.username, password=endpoint.password,
                identifier=identifier, tls_context=ssl.create_default_context() if endpoint.tls else None,
            ) as client:  # fmt: skip

                async def handle(topic: str, payload: bytes) -> None:
                    await asyncio.to_thread(sources.handle_message, database, settings, store, topic, payload)

                await _session(client, database, stop, interval_s, handle)
        except aiomqtt.MqttError as error:
            logger.warning("inspection stations: MQTT broker %s:%d: %s", endpoint.host, endpoint.port, error)
            await _pause(stop, RECONNECT_S)


async def _session(
    client: aiomqtt.Client,
    database: Database,
    stop: asyncio.Event,
    interval_s: float,
    handle: Callable[[str, bytes], Awaitable[None]],
) -> None:
    """Subscribe to the stations' topics and handle messages, re-reading the topics every ``interval_s``."""
    subscribed: set[str] = set()

    async def read() -> None:
        async for message in client.messages:
            payload = message.payload if isinstance(message.payload, bytes | bytearray) else b""
            try:
                await handle(str(message.topic), bytes(payload))
            except Exception:  # one bad message never stops the listener
                logger.exception("inspection station message on %s could not be handled", message.topic)

    reader = asyncio.create_task(read())
    try:
        while not stop.is_set() and not reader.done():
            wanted = await _topics(database)
            for topic in sorted(wanted - subscribed):
                await client.subscribe(topic, qos=1)
            for topic in sorted(subscribed - wanted):
                await client.unsubscribe(topic)
            subscribed = wanted
            if not wanted:
                return
            await _pause(stop, interval_s)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
    error = None if reader.cancelled() else reader.exception()
    if error is not None:  # the connection was lost: the caller reconnects
        raise error


async def _topics(database: Database) -> set[str]:
    try:
        return await asyncio.to_thread(_station_topics, database)
    except Exception:
        logger.exception("inspection station topics could not be read")
        return set()


def _station_topics(database: Database) -> set[str]:
    with database.session() as session:
        query = select(VisionStation.mqtt_topic).where(
            VisionStation.source_kind == SourceKind.MQTT, VisionStation.active.is_(True)
        )
        return {topic for topic in session.scalars(query) if topic}


def _station_ids(database: Database, kind: SourceKind) -> list[int]:
    with database.session() as session:
        query = select(VisionStation.id).where(VisionStation.source_kind == kind, VisionStation.active.is_(True))
        return list(session.scalars(query.order_by(VisionStation.id)))


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
