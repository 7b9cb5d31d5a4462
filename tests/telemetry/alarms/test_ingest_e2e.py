"""End to end: the real ingest pipeline with the real store and the alarm observer; samples crossing a threshold
become a stored alarm event. Also the observer's overhead on signals without rules."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from prometheus_client import CollectorRegistry
from sqlalchemy import select

from tests.conftest import World
from tests.telemetry.alarms.stored import alarms_for
from zhizao.connectors.mqtt_json import MqttJsonDecoder
from zhizao.telemetry.alarms.models import AlarmEvent
from zhizao.telemetry.ingest.metrics import IngestMetrics
from zhizao.telemetry.ingest.pipeline import InboundMessage, IngestPipeline, PipelineConfig
from zhizao.telemetry.registry import Registry
from zhizao.telemetry.store.base import Point
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import now_us


def _ack(acked: list[int], number: int) -> Callable[[], None]:
    return lambda: acked.append(number)


def test_samples_through_the_pipeline_raise_an_alarm(world: World) -> None:
    alarms = alarms_for(world)
    alarms.rule(id="SPINDLE.H", kind="threshold", limit="high", setpoint=1000.0, deadband=50.0)
    store = open_store(world.database)
    config = PipelineConfig(batch_points=10, batch_interval_s=0.02)
    pipeline = IngestPipeline(
        store, Registry(world.database), [MqttJsonDecoder()], IngestMetrics(CollectorRegistry()), config,
        observers=[alarms.evaluator],
    )  # fmt: skip
    pipeline.start()
    acked: list[int] = []
    base_ms = now_us() // 1000 - 10_000
    topic = f"zhizao/v1/{alarms.plant.enterprise_id}/L1-CNC-01/data"
    try:
        for i, value in enumerate((800.0, 900.0, 1200.0, 1100.0)):
            payload = json.dumps({"ts": base_ms + i * 1000, "values": {"spindle_speed_rpm": value}}).encode()
            pipeline.submit(InboundMessage(topic, payload, now_us(), _ack(acked, i)))
        deadline = time.monotonic() + 10
        while len(acked) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        pipeline.close(timeout=5)
        store.close()
    assert len(acked) == 4
    with world.database.session() as session:
        events = session.scalars(select(AlarmEvent)).all()
    assert [(e.rule_id, e.event, e.value) for e in events] == [("SPINDLE.H", "condition_true", 1200.0)]
    assert events[0].ts_us == (base_ms + 2000) * 1000
    assert alarms.evaluator.errors == 0


def test_signals_without_rules_cost_little(world: World) -> None:
    """Not a benchmark (see the report in docs/alarms.md): the filter must stay a dict lookup per sample."""
    alarms = alarms_for(world)
    alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    alarms.evaluator.refresh(force=True)
    batch = [Point(10_000 + i % 500, i, float(i)) for i in range(5_000)]  # no rules on these signals
    started = time.perf_counter()
    for _ in range(20):
        assert alarms.evaluator.evaluate(batch) == []
    per_sample_us = (time.perf_counter() - started) / 100_000 * 1e6
    assert per_sample_us < 5.0
