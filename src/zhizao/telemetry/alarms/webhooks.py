"""Webhooks per enterprise and their delivery from the outbox (``AlarmDelivery``), with bounded retries.

Each alarm event becomes one delivery per enabled webhook of its enterprise whose ``min_priority`` it meets (1 is
the most urgent), written in the transaction that stores the event. ``deliver_due`` claims due deliveries (on
PostgreSQL ``FOR UPDATE SKIP LOCKED``, so several runners share the work), pushes them back by a lease, sends each
as a JSON POST with a timeout, then records the outcome: delivered on a 2xx; otherwise the attempt count, the
status code and the error, and the next attempt after an exponential backoff — or ``failed`` once the attempts
are used up. At-least-once: a receiver dedupes by the ``X-Zhizao-Delivery`` header.

Signature: ``X-Zhizao-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes with the webhook's secret>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.db.base import utcnow
from zhizao.db.engine import Database
from zhizao.telemetry.alarms.models import AlarmDelivery, AlarmEvent, AlarmWebhook
from zhizao.telemetry.alarms.schemas import WebhookCreate, WebhookRead, WebhookUpdate
from zhizao.telemetry.scope import enterprise_for_read, enterprise_for_write, get_scoped
from zhizao.telemetry.timeutil import from_us

SIGNATURE_HEADER = "X-Zhizao-Signature"
_AUDITED = ("name", "url", "min_priority", "enabled")


@dataclass(frozen=True, slots=True)
class DeliveryPolicy:
    timeout_s: float = 5.0
    max_attempts: int = 8
    backoff_initial_s: float = 2.0
    backoff_max_s: float = 600.0
    batch: int = 50

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: 2 s, 4 s, 8 s, … up to ``backoff_max_s``."""
        return timedelta(seconds=min(self.backoff_initial_s * 2 ** max(0, attempts - 1), self.backoff_max_s))


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# -- webhooks ------------------------------------------------------------------------------------------------------


def list_webhooks(session: Session, actor: Principal, enterprise_id: int | None) -> list[WebhookRead]:
    enterprise = enterprise_for_read(session, actor, enterprise_id)
    hooks = session.scalars(
        select(AlarmWebhook).where(AlarmWebhook.enterprise_id == enterprise).order_by(AlarmWebhook.id)
    ).all()
    return [read(session, hook) for hook in hooks]


def read(session: Session, hook: AlarmWebhook) -> WebhookRead:
    counts = dict(
        session.execute(
            select(AlarmDelivery.status, func.count())
            .where(AlarmDelivery.webhook_id == hook.id)
            .group_by(AlarmDelivery.status)
        ).all()
    )
    last_error = session.scalar(
        select(AlarmDelivery.last_error)
        .where(AlarmDelivery.webhook_id == hook.id, AlarmDelivery.last_error.is_not(None))
        .order_by(AlarmDelivery.id.desc())
        .limit(1)
    )
    return WebhookRead.model_validate(hook).model_copy(
        update={"pending": counts.get("pending", 0), "failed": counts.get("failed", 0), "last_error": last_error}
    )


def get_webhook(session: Session, actor: Principal, webhook_id: int) -> AlarmWebhook:
    return get_scoped(session, actor, AlarmWebhook, webhook_id, "webhook")


def create_webhook(session: Session, actor: Principal, data: WebhookCreate) -> tuple[AlarmWebhook, str]:
    """The new webhook and its secret (generated when none is given; shown only now)."""
    with session.begin():
        enterprise = enterprise_for_write(session, actor, data.enterprise_id)
        secret = data.secret or secrets.token_urlsafe(32)
        hook = AlarmWebhook(
            enterprise_id=enterprise, name=data.name, url=data.url, secret=secret, min_priority=data.min_priority,
            enabled=data.enabled,
        )  # fmt: skip
        session.add(hook)
        session.flush()
        audit.record(
            session, actor, action="alarm_webhook.create", entity_type="alarm_webhook", entity_id=hook.id,
            organisation_id=enterprise, after=audit.snapshot(hook, _AUDITED),
        )  # fmt: skip
    return hook, secret


def update_webhook(session: Session, actor: Principal, webhook_id: int, data: WebhookUpdate) -> AlarmWebhook:
    with session.begin():
        hook = get_webhook(session, actor, webhook_id)
        before = audit.snapshot(hook, _AUDITED)
        for name, value in data.model_dump(exclude_unset=True).items():
            if value is not None:
                setattr(hook, name, value)
        hook.updated_at = utcnow()
        audit.record(
            session, actor, action="alarm_webhook.update", entity_type="alarm_webhook", entity_id=hook.id,
            organisation_id=hook.enterprise_id, before=before, after=audit.snapshot(hook, _AUDITED),
        )  # fmt: skip
    return hook


def delete_webhook(session: Session, actor: Principal, webhook_id: int) -> None:
    with session.begin():
        hook = get_webhook(session, actor, webhook_id)
        audit.record(
            session, actor, action="alarm_webhook.delete", entity_type="alarm_webhook", entity_id=hook.id,
            organisation_id=hook.enterprise_id, before=audit.snapshot(hook, _AUDITED),
        )  # fmt: skip
        session.execute(delete(AlarmDelivery).where(AlarmDelivery.webhook_id == hook.id))
        session.delete(hook)


def list_deliveries(session: Session, actor: Principal, webhook_id: int, limit: int = 50) -> Sequence[AlarmDelivery]:
    hook = get_webhook(session, actor, webhook_id)
    query = select(AlarmDelivery).where(AlarmDelivery.webhook_id == hook.id).order_by(AlarmDelivery.id.desc())
    return session.scalars(query.limit(limit)).all()


# -- delivery ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Claimed:
    delivery_id: int
    url: str
    secret: str
    body: bytes
    attempts: int


def payload(delivery_id: int, event: AlarmEvent) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "event": {
            "id": event.id, "enterprise_id": event.enterprise_id, "rule_id": event.rule_id,
            "equipment_id": event.equipment_id, "signal_id": event.signal_id, "event": event.event,
            "from_state": event.from_state, "to_state": event.to_state, "ts_us": event.ts_us,
            "time": from_us(event.ts_us).isoformat(), "value": event.value, "severity": event.severity,
            "priority": event.priority, "message": event.message, "user": event.user, "comment": event.comment,
        },
    }  # fmt: skip


def deliver_due(database: Database, policy: DeliveryPolicy | None = None, now: datetime | None = None) -> int:
    """Send the deliveries that are due; how many were attempted."""
    policy = policy or DeliveryPolicy()
    moment = now or utcnow()
    claimed = _claim(database, policy, moment)
    outcomes = [(item, _send(item, policy)) for item in claimed]
    if outcomes:
        with database.session() as session, session.begin():
            for item, (status_code, error) in outcomes:
                delivery = session.get(AlarmDelivery, item.delivery_id)
                if delivery is None:
                    continue
                delivery.last_status_code = status_code
                if error is None:
                    delivery.status, delivery.delivered_at, delivery.last_error = "delivered", utcnow(), None
                elif item.attempts >= policy.max_attempts:
                    delivery.status, delivery.last_error = "failed", error[:500]
                else:
                    delivery.last_error = error[:500]
                    delivery.next_attempt_at = utcnow() + policy.backoff(item.attempts)
    return len(outcomes)


def _claim(database: Database, policy: DeliveryPolicy, moment: datetime) -> list[_Claimed]:
    lease = timedelta(seconds=policy.timeout_s * 2 + 5)  # a runner that dies mid-send: retried after the lease
    with database.session() as session, session.begin():
        rows = session.execute(
            select(AlarmDelivery, AlarmWebhook, AlarmEvent)
            .join(AlarmWebhook, AlarmWebhook.id == AlarmDelivery.webhook_id)
            .join(AlarmEvent, AlarmEvent.id == AlarmDelivery.event_id)
            .where(AlarmDelivery.status == "pending", AlarmDelivery.next_attempt_at <= moment)
            .order_by(AlarmDelivery.id)
            .limit(policy.batch)
            .with_for_update(skip_locked=True, of=AlarmDelivery)
        )
        claimed = []
        for delivery, hook, event in rows:
            delivery.attempts += 1
            delivery.next_attempt_at = moment + lease
            body = json.dumps(payload(delivery.id, event), ensure_ascii=False, separators=(",", ":")).encode()
            claimed.append(_Claimed(delivery.id, hook.url, hook.secret, body, delivery.attempts))
    return claimed


def _send(item: _Claimed, policy: DeliveryPolicy) -> tuple[int | None, str | None]:
    """(status code, error): error None on a 2xx."""
    request = urllib.request.Request(  # noqa: S310 - the URL was validated as http(s) when the webhook was saved
        item.url,
        data=item.body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "zhizao-alarms",
            SIGNATURE_HEADER: sign(item.secret, item.body),
            "X-Zhizao-Delivery": str(item.delivery_id),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=policy.timeout_s) as response:  # noqa: S310
            status = int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError, ValueError) as exc:
        return None, f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}"
    if 200 <= status < 300:
        return status, None
    return status, f"HTTP {status}"
