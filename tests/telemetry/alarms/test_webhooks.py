"""Webhook delivery from the outbox against a real local HTTP server: signature, retries, the last error."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests.conftest import World
from tests.telemetry.alarms.stored import alarms_for
from zhizao.db.base import utcnow
from zhizao.telemetry.alarms import webhooks
from zhizao.telemetry.alarms.models import AlarmDelivery
from zhizao.telemetry.alarms.schemas import WebhookCreate

SECRET = "a-secret-of-at-least-16"


class Receiver(ThreadingHTTPServer):
    fail_first = 0
    received: list[tuple[bytes, str]]


class Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.server.fail_first > 0:
            self.server.fail_first -= 1
            self.send_response(503)
        else:
            self.server.received.append((body, self.headers[webhooks.SIGNATURE_HEADER]))
            self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(("127.0.0.1", 0), Handler)
    server.received = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


POLICY = webhooks.DeliveryPolicy(timeout_s=2.0, max_attempts=3, backoff_initial_s=1.0)


def test_delivery_retries_until_the_endpoint_answers(world: World, receiver: Receiver) -> None:
    alarms = alarms_for(world)
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with world.database.session() as session:
        ops = WebhookCreate(name="ops", url=url, secret=SECRET, min_priority=2)
        webhooks.create_webhook(session, alarms.actor, ops)
        webhooks.create_webhook(  # priority 2 (high) is not urgent enough for this one
            session, alarms.actor, WebhookCreate(name="urgent", url=url, secret=SECRET, min_priority=1)
        )
    alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    receiver.fail_first = 1
    alarms.feed((0, 120.0))
    assert webhooks.deliver_due(world.database, POLICY) == 1
    with world.database.session() as session:
        delivery = session.scalars(select(AlarmDelivery)).one()
        assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 503)
        assert delivery.last_error is not None and "503" in delivery.last_error
    assert webhooks.deliver_due(world.database, POLICY) == 0  # not due yet: backoff
    assert webhooks.deliver_due(world.database, POLICY, now=utcnow() + timedelta(seconds=2)) == 1
    body, signature = receiver.received[0]
    assert signature == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    document = json.loads(body)
    assert document["event"]["event"] == "condition_true" and document["event"]["value"] == 120.0
    with world.database.session() as session:
        delivery = session.scalars(select(AlarmDelivery)).one()
        assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_delivery_gives_up_after_the_attempts(world: World, receiver: Receiver) -> None:
    alarms = alarms_for(world)
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hook"
    with world.database.session() as session:
        webhooks.create_webhook(session, alarms.actor, WebhookCreate(name="ops", url=url, secret=SECRET))
    alarms.rule(kind="threshold", limit="high", setpoint=100.0)
    receiver.fail_first = 10
    alarms.feed((0, 120.0))
    later = utcnow()
    for _ in range(POLICY.max_attempts):
        later += timedelta(minutes=10)
        assert webhooks.deliver_due(world.database, POLICY, now=later) == 1
    assert webhooks.deliver_due(world.database, POLICY, now=later + timedelta(hours=1)) == 0
    with world.database.session() as session:
        delivery = session.scalars(select(AlarmDelivery)).one()
        assert (delivery.status, delivery.attempts) == ("failed", 3)
        hooks = webhooks.list_webhooks(session, alarms.actor, None)
    assert hooks[0].failed == 1 and hooks[0].last_error is not None
