"""Stored alarm management: rules per enterprise, each rule's engine state and current alarm, the alarm history
(every lifecycle transition), webhooks and their delivery outbox, and a rule-revision counter.

The engine state (the core's ``RuleState`` as JSON) lives on ``AlarmStatus`` beside the current alarm, and is
written in the same transaction as the ``AlarmEvent`` rows of the transitions it produced: a replayed batch finds
the state already past its samples and produces nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from zhizao.db.base import Base, utcnow


class AlarmRuleRow(Base):
    """One alarm rule of an enterprise: the core's ``AlarmRule`` as JSON (``definition``), with its own id."""

    __tablename__ = "alarm_rule"
    __table_args__ = (UniqueConstraint("enterprise_id", "rule_id", name="uq_alarm_rule_enterprise_rule_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(40))
    signal_id: Mapped[int] = mapped_column(ForeignKey("signal.id", ondelete="CASCADE"), index=True)
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="SET NULL"), index=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlarmStatus(Base):
    """The current alarm of one rule and the engine's memory of it (``engine_state``: ``RuleState`` JSON).

    ``deadline_us``: when the rule next needs a tick (a delay, stale data, a shelf running out), so that the ticker
    reads only the rules that are due; 0 for a rule the engine has not seen yet and that must start its clock."""

    __tablename__ = "alarm_status"
    __table_args__ = (
        Index("ix_alarm_status_enterprise_state", "enterprise_id", "alarm_state"),
        Index("ix_alarm_status_deadline", "deadline_us"),
    )

    rule_pk: Mapped[int] = mapped_column(ForeignKey("alarm_rule.id", ondelete="CASCADE"), primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    engine_state: Mapped[str] = mapped_column(Text, default="{}")
    alarm_state: Mapped[str] = mapped_column(String(40), default="normal")
    deadline_us: Mapped[int | None] = mapped_column(BigInteger)
    changed_us: Mapped[int | None] = mapped_column(BigInteger)  # the latest transition
    activated_us: Mapped[int | None] = mapped_column(BigInteger)  # the latest activation (shown to the operator)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    message: Mapped[str | None] = mapped_column(String(200))
    shelved_until_us: Mapped[int | None] = mapped_column(BigInteger)
    last_user: Mapped[str | None] = mapped_column(String(100))
    last_comment: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlarmEvent(Base):
    """One lifecycle transition of one alarm: the alarm history. Kept when its rule is deleted."""

    __tablename__ = "alarm_event"
    __table_args__ = (
        Index("ix_alarm_event_enterprise_ts", "enterprise_id", "ts_us"),
        Index("ix_alarm_event_rule_ts", "rule_pk", "ts_us"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    rule_pk: Mapped[int | None] = mapped_column(ForeignKey("alarm_rule.id", ondelete="SET NULL"))
    rule_id: Mapped[str] = mapped_column(String(100))
    equipment_id: Mapped[int | None] = mapped_column(ForeignKey("equipment.id", ondelete="SET NULL"), index=True)
    signal_id: Mapped[int | None] = mapped_column(ForeignKey("signal.id", ondelete="SET NULL"), index=True)
    event: Mapped[str] = mapped_column(String(40))
    from_state: Mapped[str] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    ts_us: Mapped[int] = mapped_column(BigInteger)
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    severity: Mapped[str] = mapped_column(String(20))
    priority: Mapped[int] = mapped_column(Integer)
    message: Mapped[str] = mapped_column(String(200))
    user: Mapped[str | None] = mapped_column(String(100))
    comment: Mapped[str | None] = mapped_column(String(500))
    shelved_until_us: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlarmRuleRevision(Base):
    """One row (id 1): bumped by every rule change, so evaluators know to reload their rule cache."""

    __tablename__ = "alarm_rule_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger, default=0)


class AlarmWebhook(Base):
    """An HTTP endpoint told of an enterprise's alarm events at or above a priority (1 urgent … 4 low)."""

    __tablename__ = "alarm_webhook"

    id: Mapped[int] = mapped_column(primary_key=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    url: Mapped[str] = mapped_column(String(500))
    # Signs each body (HMAC-SHA256); needed in clear to sign, shown once when created.
    secret: Mapped[str] = mapped_column(String(200))
    min_priority: Mapped[int] = mapped_column(Integer, default=4)
    enabled: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AlarmDelivery(Base):
    """The outbox: one alarm event to one webhook, written with the event, sent with retries."""

    __tablename__ = "alarm_delivery"
    __table_args__ = (Index("ix_alarm_delivery_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("alarm_webhook.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("alarm_event.id", ondelete="CASCADE"), index=True)
    enterprise_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
