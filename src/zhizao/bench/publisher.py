"""``python -m zhizao.bench.publisher``: synthetic MQTT JSON load, in a process of its own (its own GIL).

Publishes ``--messages`` messages of ``--batch-size`` samples (the documented scheme
``{"samples": [{"signal", "ts", "value"}]}``, ``ts`` in epoch milliseconds) round-robin over its devices, QoS 1,
with at most ``--window`` messages unacknowledged by the broker; flat out, or at ``--rate`` points per second.

Payloads are pre-encoded templates; only the timestamps are filled in when a message is sent. A message holds
consecutive ticks of its device (sample ``i``: signal ``i % signals``, tick ``i // signals``) and its newest tick is
the wall-clock millisecond it is published in, so a worker's lag histogram (newest sample → commit) measures
publish → commit. Ticks of a device only move forward, so every (signal, ts) is sent once.

Protocol on stdout, one JSON line each: ``{"event": "ready"}`` once connected; it then waits for a line on stdin
before it starts, and ends with ``{"event": "done", …}`` once the broker has acknowledged everything.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from zhizao.bench.seed import device_code, signal_name
from zhizao.connectors.mqtt_json import data_topic
from zhizao.telemetry.ingest.mqtt_source import MqttEndpoint

# Paced, a message goes out up to this early, so that the publisher sleeps once per burst of messages instead of
# once per message (at 2,000 messages/s the wake-ups cost the load generator 1.4 µs of CPU a point, against 0.5
# flat out; the benchmark's processes share the machine with the pipeline they measure).
PACING_SLACK_S = 0.005
TEMPLATE_VARIANTS = 16  # payloads differ in their values too, not only in their timestamps


def templates(batch_size: int, signals: int, variants: int = TEMPLATE_VARIANTS, seed: int = 7) -> list[str]:
    """``str.format`` templates of one message: ``{j}`` stands for the timestamp of tick ``j``."""
    rng = random.Random(seed)  # noqa: S311 - synthetic values, not secrets
    made = []
    for _ in range(variants):
        samples = [
            f'{{{{"signal":"{signal_name(i % signals)}","ts":{{{i // signals}}},"value":{rng.uniform(0, 1000):.3f}}}}}'
            for i in range(batch_size)
        ]
        made.append('{{"samples":[' + ",".join(samples) + "]}}")
    return made


def ticks_per_message(batch_size: int, signals: int) -> int:
    return -(-batch_size // signals)


def _say(event: str, **fields: Any) -> None:
    sys.stdout.write(json.dumps({"event": event, **fields}) + "\n")
    sys.stdout.flush()


class Publisher:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        endpoint = MqttEndpoint.parse(args.mqtt_url)
        self.endpoint = endpoint
        self.devices = list(range(args.first_device, args.device_count, args.device_stride))
        if not self.devices:
            raise SystemExit("no devices for this publisher")
        self.topics = [data_topic(args.enterprise, device_code(index)) for index in self.devices]
        self.templates = templates(args.batch_size, args.signals, seed=args.seed)
        self.ticks = ticks_per_message(args.batch_size, args.signals)
        self.acked = 0
        self._window = threading.Condition()
        self._connected = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=args.client_id, protocol=mqtt.MQTTv5)
        if endpoint.username is not None:
            client.username_pw_set(endpoint.username, endpoint.password)
        client.max_inflight_messages_set(args.window)
        client.max_queued_messages_set(0)
        client.on_connect = lambda *_args: self._connected.set()
        client.on_publish = self._on_publish
        self.client = client

    def _on_publish(self, *_args: Any) -> None:
        with self._window:
            self.acked += 1
            self._window.notify()

    def connect(self) -> None:
        self.client.connect(self.endpoint.host, self.endpoint.port, keepalive=60)
        self.client.loop_start()
        if not self._connected.wait(30):
            raise SystemExit("could not connect to the broker")

    def run(self) -> dict[str, Any]:
        args = self.args
        rate_messages = args.rate / args.batch_size if args.rate else 0.0
        last_tick = [0] * len(self.devices)
        variants = len(self.templates)
        window = args.window
        publish = self.client.publish
        cpu_started = time.process_time()
        started = time.time()
        for sent in range(args.messages):
            if rate_messages:
                due_at = started + sent / rate_messages
                ahead = due_at - time.time()
                if ahead > PACING_SLACK_S:
                    time.sleep(ahead)
            if sent - self.acked >= window:
                with self._window:
                    self._window.wait_for(lambda sent=sent: sent - self.acked < window)  # type: ignore[misc]
            slot = sent % len(self.devices)
            now_ms = time.time_ns() // 1_000_000
            first = max(now_ms - self.ticks + 1, last_tick[slot] + 1)
            last_tick[slot] = first + self.ticks - 1
            payload = self.templates[sent % variants].format(*range(first, first + self.ticks)).encode()
            publish(self.topics[slot], payload, qos=1)
        published = time.time()
        with self._window:
            self._window.wait_for(lambda: self.acked >= args.messages, timeout=600)
        acked = time.time()
        cpu = time.process_time() - cpu_started
        self.client.disconnect()
        self.client.loop_stop()
        return {
            "messages": args.messages,
            "points": args.messages * args.batch_size,
            "acked": self.acked,
            "started": started,
            "published": published,
            "acked_at": acked,
            "cpu_s": cpu,
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m zhizao.bench.publisher")
    parser.add_argument("--mqtt-url", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--enterprise", type=int, required=True)
    parser.add_argument("--device-count", type=int, required=True)
    parser.add_argument("--first-device", type=int, default=0)
    parser.add_argument("--device-stride", type=int, default=1)
    parser.add_argument("--signals", type=int, required=True)
    parser.add_argument("--messages", type=int, required=True)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rate", type=float, default=0.0, help="points per second; 0: as fast as possible")
    parser.add_argument("--window", type=int, default=1000, help="messages unacknowledged at most")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    publisher = Publisher(args)
    publisher.connect()
    _say("ready")
    if not sys.stdin.readline():
        return  # the benchmark went away before the start
    _say("done", **publisher.run())


if __name__ == "__main__":
    main()
