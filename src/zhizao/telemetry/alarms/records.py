"""Running stored rules through the engine: load rules and their states under row locks, apply samples, ticks or
an operator action, and write the new states, the alarm events, the current alarms and the webhook outbox — all in
the caller's transaction, so that a state is never stored without the transitions it produced (or the reverse).

Inside the engine a rule's id is its primary key (``"17"``): rule ids are unique per enterprise only, and one
engine may hold rules of several enterprises.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from zhizao.telemetry.alarms.engine import AlarmEngine
from zhizao.telemetry.alarms.lifecycle import AlarmState
from zhizao.telemetry.alarms.models import (
    AlarmDelivery,
    AlarmEvent,
    AlarmRuleRevision,
    AlarmRuleRow,
    AlarmStatus,
    AlarmWebhook,
)
from zhizao.telemetry.alarms.rules import AlarmRule, StaleRule, parse_rule
from zhizao.telemetry.alarms.state import US_PER_S, AlarmTransition, EngineState, RuleState


@dataclass(frozen=True, slots=True)
class StoredRule:
    row: AlarmRuleRow
    status: AlarmStatus
    rule: AlarmRule  # the definition with ``id`` = the row's primary key as text

    @property
    def key(self) -> str:
        return str(self.row.id)


def engine_rule(row: AlarmRuleRow) -> AlarmRule:
    return parse_rule({**row.definition, "id": str(row.id)})


def fresh_status(row: AlarmRuleRow, status: AlarmStatus | None = None) -> AlarmStatus:
    """A rule's status as the engine starts it: normal, nothing remembered. A stale rule is due at once, so that
    the ticker starts its clock (stale data is measured from when the engine first saw the rule)."""
    status = status or AlarmStatus(rule_pk=row.id, enterprise_id=row.enterprise_id)
    status.engine_state = "{}"
    status.alarm_state = AlarmState.NORMAL.value
    status.deadline_us = 0 if row.kind == "stale" else None
    status.changed_us = status.activated_us = status.shelved_until_us = None
    status.value = status.message = status.last_user = status.last_comment = None
    return status


def bump_revision(session: Session) -> None:
    """Tell every evaluator that the rules changed (they reload their cache on their next check)."""
    updated = session.execute(
        update(AlarmRuleRevision).where(AlarmRuleRevision.id == 1).values(revision=AlarmRuleRevision.revision + 1)
    )
    if getattr(updated, "rowcount", 0) == 0:
        session.add(AlarmRuleRevision(id=1, revision=1))


def load_locked(session: Session, rule_pks: Iterable[int]) -> list[StoredRule]:
    """The enabled rules among ``rule_pks`` with their statuses, the statuses locked (``FOR UPDATE`` on PostgreSQL,
    in key order so that two workers never deadlock): no other worker interleaves these rules' states."""
    pks = sorted(set(rule_pks))
    if not pks:
        return []
    statuses = session.scalars(
        select(AlarmStatus).where(AlarmStatus.rule_pk.in_(pks)).order_by(AlarmStatus.rule_pk).with_for_update()
    ).all()
    by_pk = {status.rule_pk: status for status in statuses}
    rows = session.scalars(select(AlarmRuleRow).where(AlarmRuleRow.id.in_(pks), AlarmRuleRow.enabled)).all()
    return [StoredRule(row, by_pk[row.id], engine_rule(row)) for row in rows if row.id in by_pk]


def next_deadline(rule: AlarmRule, state: RuleState) -> int | None:
    """When the rule next changes without a sample: a running delay, stale data, a shelf running out."""
    deadlines: list[int] = []
    if state.clock_us is None:
        return 0 if isinstance(rule, StaleRule) else None
    if state.raw != state.active and state.raw_since_us is not None:
        if isinstance(rule, StaleRule):
            deadlines.append(state.raw_since_us)
        else:
            delay_s = rule.on_delay_s if state.raw else rule.off_delay_s
            deadlines.append(state.raw_since_us + round(delay_s * US_PER_S))
    elif isinstance(rule, StaleRule) and not state.raw:
        seen = state.last_seen_us if state.last_seen_us is not None else state.clock_us
        deadlines.append(seen + round(rule.stale_after_s * US_PER_S) + 1)
    if state.state is AlarmState.SHELVED and state.shelved_until_us is not None:
        deadlines.append(state.shelved_until_us)
    return min(deadlines) if deadlines else None


def run(
    session: Session, rules: Sequence[StoredRule], step: Callable[[AlarmEngine], list[AlarmTransition]]
) -> list[AlarmEvent]:
    """Build an engine on the stored states of ``rules``, run ``step`` on it, store what came out. The caller
    holds the locks (``load_locked``) and owns the transaction."""
    if not rules:
        return []
    stored = EngineState(
        rules={item.key: RuleState.model_validate_json(item.status.engine_state or "{}") for item in rules}
    )
    engine = AlarmEngine([item.rule for item in rules], stored)
    transitions = sorted(step(engine), key=lambda transition: transition.ts_us)
    by_key = {item.key: item for item in rules}
    events = [_event(by_key[transition.rule_id], transition) for transition in transitions]
    for item in rules:
        rule_state = engine.state.rules[item.key]
        item.status.engine_state = rule_state.model_dump_json(exclude_defaults=True)
        item.status.alarm_state = rule_state.state.value
        item.status.deadline_us = next_deadline(item.rule, rule_state)
        item.status.shelved_until_us = rule_state.shelved_until_us if rule_state.state is AlarmState.SHELVED else None
    if events:
        session.add_all(events)
        session.flush()
        _enqueue(session, events)
    return events


def _event(item: StoredRule, transition: AlarmTransition) -> AlarmEvent:
    status = item.status
    status.changed_us = transition.ts_us
    if transition.is_activation:
        status.activated_us = transition.ts_us
    status.value = transition.value
    status.message = transition.message
    if transition.user is not None:
        status.last_user = transition.user
        status.last_comment = transition.comment
    return AlarmEvent(
        enterprise_id=item.row.enterprise_id,
        rule_pk=item.row.id,
        rule_id=item.row.rule_id,
        equipment_id=item.row.equipment_id,
        signal_id=item.row.signal_id,
        event=transition.event.value,
        from_state=transition.from_state.value,
        to_state=transition.to_state.value,
        ts_us=transition.ts_us,
        value=transition.value,
        severity=transition.severity.value,
        priority=int(transition.priority),
        message=transition.message,
        user=transition.user,
        comment=transition.comment,
        shelved_until_us=transition.shelved_until_us,
    )


def _enqueue(session: Session, events: Sequence[AlarmEvent]) -> None:
    """The outbox: one delivery per event and enabled webhook of its enterprise at or above its priority."""
    enterprises = {event.enterprise_id for event in events}
    hooks = session.scalars(
        select(AlarmWebhook).where(AlarmWebhook.enterprise_id.in_(enterprises), AlarmWebhook.enabled)
    ).all()
    if not hooks:
        return
    session.add_all(
        AlarmDelivery(webhook_id=hook.id, event_id=event.id, enterprise_id=event.enterprise_id)
        for event in events
        for hook in hooks
        if hook.enterprise_id == event.enterprise_id and event.priority <= hook.min_priority
    )
