"""Retention: how long raw samples and roll-ups are kept, per enterprise and signal class, and the job applying it.

Classes: measurements and counters (``raw_retention_days``), events — states and text (``event_retention_days``,
small and kept longer) — and roll-ups (``rollup_retention_days``). An enterprise without a policy gets the
defaults of ``IngestPolicy``. The job is idempotent; run it daily (``zhizao telemetry retention``).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import OrganisationKind
from zhizao.db.engine import Database
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.models import IngestPolicy, Signal
from zhizao.telemetry.schemas import IngestPolicyRead, IngestPolicyUpdate
from zhizao.telemetry.scope import enterprise_for_write
from zhizao.telemetry.store.base import RetentionReport, RetentionRule, TelemetryStore
from zhizao.telemetry.tables import DAY_US

EVENT_KINDS = frozenset({SignalKind.STATE, SignalKind.TEXT})
POLICY_FIELDS = ("auto_register", "raw_retention_days", "event_retention_days", "rollup_retention_days")


def policy_of(session: Session, enterprise_id: int) -> IngestPolicy:
    """The enterprise's policy, or an unsaved one holding the defaults."""
    policy = session.get(IngestPolicy, enterprise_id)
    if policy is None:
        defaults = {column.name: column.default.arg for column in IngestPolicy.__table__.columns if column.default}
        policy = IngestPolicy(enterprise_id=enterprise_id, **defaults)
    return policy


def read_policy(session: Session, actor: Principal, enterprise_id: int | None) -> IngestPolicyRead:
    """Enterprise users read their own; administrators and officers name the enterprise."""
    return IngestPolicyRead.model_validate(policy_of(session, enterprise_for_write(session, actor, enterprise_id)))


def update_policy(
    session: Session, actor: Principal, enterprise_id: int | None, data: IngestPolicyUpdate
) -> IngestPolicyRead:
    with session.begin():
        target = enterprise_for_write(session, actor, enterprise_id)
        policy = session.get(IngestPolicy, target)
        if policy is None:
            policy = policy_of(session, target)
            session.add(policy)
        before = audit.snapshot(policy, POLICY_FIELDS)
        for name, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
            setattr(policy, name, value)
        audit.record(
            session, actor, action="ingest_policy.update", entity_type="ingest_policy", entity_id=target,
            organisation_id=target, before=before, after=audit.snapshot(policy, POLICY_FIELDS),
        )  # fmt: skip
        return IngestPolicyRead.model_validate(policy)


def retention_rules(session: Session, now_us: int) -> list[RetentionRule]:
    """One rule per enterprise and signal class, from the enterprises' policies."""
    rules: list[RetentionRule] = []
    enterprises = session.scalars(select(Organisation.id).where(Organisation.kind == OrganisationKind.ENTERPRISE))
    for enterprise_id in enterprises:
        policy = policy_of(session, enterprise_id)
        signals = session.execute(select(Signal.id, Signal.kind).where(Signal.enterprise_id == enterprise_id)).all()
        events = [signal_id for signal_id, kind in signals if kind in EVENT_KINDS]
        measurements = [signal_id for signal_id, kind in signals if kind not in EVENT_KINDS]
        rollup_before = now_us - policy.rollup_retention_days * DAY_US
        for ids, days in ((measurements, policy.raw_retention_days), (events, policy.event_retention_days)):
            if ids:
                rules.append(RetentionRule(ids, now_us - days * DAY_US, rollup_before))
    return rules


def apply(database: Database, store: TelemetryStore, now_us: int) -> tuple[Sequence[RetentionRule], RetentionReport]:
    with database.session() as session:
        rules = retention_rules(session, now_us)
    return rules, store.apply_retention(rules, now_us)
