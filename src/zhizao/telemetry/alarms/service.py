"""Alarm rules per enterprise, the current alarms, and operator actions. Services own their transactions.

A rule's body is the core's ``AlarmRule`` (``rules.py``) plus ``enabled`` (and ``enterprise_id`` for an
administrator). Validation: ``parse_rule`` field by field (``body.setpoint``), the signal must be a data point of
the enterprise (its equipment is the rule's unless one is named), a threshold rule takes the signal's engineering
range (``range_min``/``range_max``) when the signal has one, and the enterprise's rules taken together must pass
``rule_set_problems`` (one rule per signal and limit, setpoints in order).

Changing a rule: a change of ``severity`` or ``message`` only keeps the alarm's state; any other change (the
condition, the signal, enabling or disabling it) starts the rule afresh — its state is cleared, its current alarm
goes back to normal (without a history event: the lifecycle has none for it; the audit log records the change).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.principal import Principal
from zhizao.db.base import utcnow
from zhizao.errors import Conflict, FieldProblem, InputError
from zhizao.fields import MAX_ID
from zhizao.telemetry.alarms import records
from zhizao.telemetry.alarms.lifecycle import ANNUNCIATED, SUPPRESSED, UNACKNOWLEDGED
from zhizao.telemetry.alarms.models import AlarmEvent, AlarmRuleRow, AlarmStatus
from zhizao.telemetry.alarms.rules import AlarmRule, Severity, parse_rule, rule_set_problems
from zhizao.telemetry.alarms.schemas import ActionIn, AlarmCount
from zhizao.telemetry.alarms.state import OperatorAction
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.scope import enterprise_for_read, enterprise_for_write, get_scoped, same_enterprise
from zhizao.telemetry.timeutil import now_us

_ACTION_ADAPTER: TypeAdapter[OperatorAction] = TypeAdapter(OperatorAction)
COSMETIC = frozenset({"severity", "message"})  # changing only these keeps the alarm's state
_AUDITED = ("rule_id", "kind", "signal_id", "equipment_id", "enabled", "definition")


def list_rules(
    session: Session, actor: Principal, enterprise_id: int | None, signal_id: int | None = None
) -> Sequence[AlarmRuleRow]:
    enterprise = enterprise_for_read(session, actor, enterprise_id)
    query = select(AlarmRuleRow).where(AlarmRuleRow.enterprise_id == enterprise)
    if signal_id is not None:
        query = query.where(AlarmRuleRow.signal_id == signal_id)
    return session.scalars(query.order_by(AlarmRuleRow.rule_id)).all()


def get_rule(session: Session, actor: Principal, rule_pk: int) -> AlarmRuleRow:
    return get_scoped(session, actor, AlarmRuleRow, rule_pk, "alarm rule")


def create_rule(session: Session, actor: Principal, body: dict[str, Any]) -> AlarmRuleRow:
    data = dict(body)
    requested = data.pop("enterprise_id", None)
    enabled = _enabled(data.pop("enabled", True))
    with session.begin():
        enterprise = enterprise_for_write(session, actor, requested if isinstance(requested, int) else None)
        rule = _validated(session, enterprise, data, None)
        row = AlarmRuleRow(
            enterprise_id=enterprise, rule_id=rule.id, kind=rule.kind, signal_id=rule.signal_id,
            equipment_id=rule.equipment_id, definition=rule.model_dump(mode="json"), enabled=enabled,
        )  # fmt: skip
        session.add(row)
        session.flush()
        session.add(records.fresh_status(row))
        records.bump_revision(session)
        audit.record(
            session, actor, action="alarm_rule.create", entity_type="alarm_rule", entity_id=row.id,
            organisation_id=enterprise, after=audit.snapshot(row, _AUDITED),
        )  # fmt: skip
    return row


def update_rule(session: Session, actor: Principal, rule_pk: int, body: dict[str, Any]) -> AlarmRuleRow:
    """Replace a rule's definition (the whole rule, as on create)."""
    data = dict(body)
    data.pop("enterprise_id", None)
    enabled = _enabled(data.pop("enabled", True))
    with session.begin():
        row = get_rule(session, actor, rule_pk)
        before = audit.snapshot(row, _AUDITED)
        rule = _validated(session, row.enterprise_id, data, row.id)
        definition = rule.model_dump(mode="json")
        keys = definition.keys() | row.definition.keys()
        changed = {key for key in keys if definition.get(key) != row.definition.get(key)}
        reset = bool(changed - COSMETIC) or enabled != row.enabled
        row.rule_id, row.kind, row.signal_id, row.equipment_id = rule.id, rule.kind, rule.signal_id, rule.equipment_id
        row.definition, row.enabled, row.updated_at = definition, enabled, utcnow()
        if reset:
            status = session.scalars(select(AlarmStatus).where(AlarmStatus.rule_pk == row.id).with_for_update()).one()
            records.fresh_status(row, status)
        records.bump_revision(session)
        audit.record(
            session, actor, action="alarm_rule.update", entity_type="alarm_rule", entity_id=row.id,
            organisation_id=row.enterprise_id, before=before, after={**audit.snapshot(row, _AUDITED),
            "state_reset": reset},
        )  # fmt: skip
    return row


def delete_rule(session: Session, actor: Principal, rule_pk: int) -> None:
    """Delete a rule and its current alarm; its history stays (with the rule id it had)."""
    with session.begin():
        row = get_rule(session, actor, rule_pk)
        before = audit.snapshot(row, _AUDITED)
        status = session.get(AlarmStatus, row.id)
        if status is not None:
            session.delete(status)
            session.flush()
        session.delete(row)
        records.bump_revision(session)
        audit.record(
            session, actor, action="alarm_rule.delete", entity_type="alarm_rule", entity_id=rule_pk,
            organisation_id=row.enterprise_id, before=before,
        )  # fmt: skip


def _enabled(value: object) -> bool:
    if not isinstance(value, bool):
        raise InputError.for_field("body.enabled", "must be true or false")
    return value


def _validated(session: Session, enterprise_id: int, data: dict[str, Any], rule_pk: int | None) -> AlarmRule:
    signal_id = data.get("signal_id")
    signal = None
    if isinstance(signal_id, int) and not isinstance(signal_id, bool) and 0 < signal_id <= MAX_ID:
        signal = session.get(Signal, signal_id)
    if signal is not None and signal.enterprise_id == enterprise_id:
        if data.get("equipment_id") is None and signal.equipment_id is not None:
            data["equipment_id"] = signal.equipment_id
        if data.get("kind") == "threshold" and signal.range_min is not None and signal.range_max is not None:
            for end in ("range_min", "range_max"):
                own = getattr(signal, end)
                if data.get(end) is None:
                    data[end] = own
                elif data[end] != own:
                    raise InputError.for_field(f"body.{end}", f"must be the signal's engineering range ({own:g})")
    try:
        rule = parse_rule(data)
    except InputError as exc:
        raise InputError(exc.message, fields=[FieldProblem(f"body.{p.field}", p.message) for p in exc.fields]) from None
    if signal is None or signal.enterprise_id != enterprise_id:
        raise InputError.for_field("body.signal_id", f"{signal_id} is not a data point of this enterprise")
    if rule.equipment_id is not None and rule.equipment_id > MAX_ID:
        raise InputError.for_field("body.equipment_id", "is not equipment of this enterprise")
    same_enterprise(session, Equipment, rule.equipment_id, enterprise_id, "body.equipment_id")
    others = session.scalars(
        select(AlarmRuleRow).where(AlarmRuleRow.enterprise_id == enterprise_id, AlarmRuleRow.id != (rule_pk or 0))
    ).all()
    if any(other.rule_id == rule.id for other in others):
        taken = f"{rule.id!r} is used by another rule"
        raise Conflict(f"the rule id {rule.id!r} is taken", fields=[FieldProblem("body.id", taken)])
    problems = rule_set_problems([*(parse_rule(other.definition) for other in others), rule])
    if problems:
        fields = [FieldProblem("body." + p.field.split(".", 1)[-1], p.message) for p in problems]
        raise InputError("the alarm rule does not fit the enterprise's other rules", fields=fields)
    return rule


# -- current alarms and operator actions ---------------------------------------------------------------------------


def current_alarms(
    session: Session, actor: Principal, enterprise_id: int | None, *, include_normal: bool = False
) -> list[tuple[AlarmRuleRow, AlarmStatus]]:
    """The enterprise's alarms that are not normal (annunciated first, most urgent first, newest first)."""
    enterprise = enterprise_for_read(session, actor, enterprise_id)
    query = (
        select(AlarmRuleRow, AlarmStatus)
        .join(AlarmStatus, AlarmStatus.rule_pk == AlarmRuleRow.id)
        .where(AlarmRuleRow.enterprise_id == enterprise)
    )
    if not include_normal:
        query = query.where(AlarmStatus.alarm_state != "normal")
    rows = [(rule, status) for rule, status in session.execute(query)]
    order = {state.value: index for index, state in enumerate([*UNACKNOWLEDGED, *ANNUNCIATED, *SUPPRESSED])}
    rows.sort(
        key=lambda pair: (
            order.get(pair[1].alarm_state, 9),
            Severity(pair[0].definition["severity"]).priority,
            -(pair[1].changed_us or 0),
        )
    )
    return rows


def count_alarms(session: Session, enterprise_id: int) -> AlarmCount:
    counts = dict(
        session.execute(
            select(AlarmStatus.alarm_state, func.count())
            .where(AlarmStatus.enterprise_id == enterprise_id)
            .group_by(AlarmStatus.alarm_state)
        ).all()
    )
    return AlarmCount(
        unacknowledged=sum(counts.get(state.value, 0) for state in UNACKNOWLEDGED),
        active=sum(counts.get(state.value, 0) for state in ANNUNCIATED),
        suppressed=sum(counts.get(state.value, 0) for state in SUPPRESSED),
    )


def act(session: Session, actor: Principal, rule_pk: int, action: ActionIn) -> AlarmEvent:
    """An operator's action on a rule's alarm, now; 409 (the core's message) when its state refuses it."""
    with session.begin():
        row = get_rule(session, actor, rule_pk)
        if not row.enabled:
            raise Conflict(f"the alarm rule {row.rule_id!r} is disabled")
        loaded = records.load_locked(session, [row.id])
        user = actor.username
        core: OperatorAction = _core_action(action, user)
        events = records.run(session, loaded, lambda engine: [engine.act(str(row.id), now_us(), core)])
        event = events[0]
        audit.record(
            session, actor, action=f"alarm.{action.action}", entity_type="alarm_rule", entity_id=row.id,
            organisation_id=row.enterprise_id,
            after={"rule_id": row.rule_id, "from": event.from_state, "to": event.to_state,
                   "comment": event.comment},
        )  # fmt: skip
    return event


def _core_action(action: ActionIn, user: str) -> OperatorAction:
    return _ACTION_ADAPTER.validate_python({**action.model_dump(exclude_none=True), "user": user})
