"""JSON API of alarm management: rules, current alarms and operator actions, history and its export, the flood
summary, webhooks. Enterprise users (their own enterprise) and administrators act; officers read."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts.deps import SessionDep
from zhizao.fields import IdPath, IdQuery, Limit, Offset, TextQuery
from zhizao.telemetry.alarms import excel, history, service, webhooks
from zhizao.telemetry.alarms.models import AlarmRuleRow, AlarmStatus
from zhizao.telemetry.alarms.rules import Severity
from zhizao.telemetry.alarms.schemas import (
    ActionIn,
    AlarmCount,
    AlarmEventPage,
    AlarmEventRead,
    AlarmRead,
    AlarmRuleRead,
    DeliveryRead,
    FloodReport,
    WebhookCreate,
    WebhookCreated,
    WebhookRead,
    WebhookUpdate,
)
from zhizao.telemetry.api import Reader, Writer
from zhizao.telemetry.models import Equipment, Signal
from zhizao.telemetry.scope import enterprise_for_read
from zhizao.telemetry.timeutil import from_us

router = APIRouter(prefix="/api/alarms", tags=["alarms"])

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
RuleBody = Annotated[dict[str, Any], Body(description="An alarm rule (see docs/alarms.md), plus `enabled`.")]
Priority = Annotated[int | None, Query(ge=1, le=4)]


def alarm_read(rule: AlarmRuleRow, current: AlarmStatus) -> AlarmRead:
    severity = Severity(rule.definition["severity"])
    return AlarmRead(
        rule=rule.id, rule_id=rule.rule_id, enterprise_id=rule.enterprise_id, equipment_id=rule.equipment_id,
        signal_id=rule.signal_id, state=current.alarm_state, severity=severity.value, priority=int(severity.priority),
        message=current.message, value=current.value,
        changed_at=from_us(current.changed_us) if current.changed_us is not None else None,
        activated_at=from_us(current.activated_us) if current.activated_us is not None else None,
        shelved_until=from_us(current.shelved_until_us) if current.shelved_until_us is not None else None,
        last_user=current.last_user, last_comment=current.last_comment,
    )  # fmt: skip


@router.get("/rules")
def list_rules(
    principal: Reader, session: SessionDep, enterprise_id: IdQuery = None, signal_id: IdQuery = None
) -> list[AlarmRuleRead]:
    return [
        AlarmRuleRead.model_validate(row) for row in service.list_rules(session, principal, enterprise_id, signal_id)
    ]


@router.post("/rules", status_code=status.HTTP_201_CREATED)
def create_rule(body: RuleBody, principal: Writer, session: SessionDep) -> AlarmRuleRead:
    return AlarmRuleRead.model_validate(service.create_rule(session, principal, body))


@router.get("/rules/{rule_pk}")
def read_rule(rule_pk: IdPath, principal: Reader, session: SessionDep) -> AlarmRuleRead:
    return AlarmRuleRead.model_validate(service.get_rule(session, principal, rule_pk))


@router.put("/rules/{rule_pk}")
def update_rule(rule_pk: IdPath, body: RuleBody, principal: Writer, session: SessionDep) -> AlarmRuleRead:
    return AlarmRuleRead.model_validate(service.update_rule(session, principal, rule_pk, body))


@router.delete("/rules/{rule_pk}", status_code=status.HTTP_204_NO_CONTENT)
def delete_rule(rule_pk: IdPath, principal: Writer, session: SessionDep) -> Response:
    service.delete_rule(session, principal, rule_pk)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/active")
def active_alarms(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> list[AlarmRead]:
    """The alarms that are not normal: unacknowledged first, then acknowledged, then shelved / out of service."""
    return [alarm_read(rule, current) for rule, current in service.current_alarms(session, principal, enterprise_id)]


@router.get("/count")
def alarm_count(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> AlarmCount:
    return service.count_alarms(session, enterprise_for_read(session, principal, enterprise_id))


@router.post("/rules/{rule_pk}/actions")
def act(rule_pk: IdPath, action: ActionIn, principal: Writer, session: SessionDep) -> AlarmEventRead:
    """Acknowledge (comment), shelve (duration ≤ 24 h, reason), unshelve, remove from service (reason), return
    to service. 409 when the alarm's state does not allow it."""
    return AlarmEventRead.model_validate(service.act(session, principal, rule_pk, action))


def history_filter(
    enterprise_id: IdQuery = None,
    start: datetime | None = None,
    end: datetime | None = None,
    equipment_id: IdQuery = None,
    signal_id: IdQuery = None,
    rule_id: TextQuery = None,
    severity: Severity | None = None,
    priority: Priority = None,
    event: TextQuery = None,
    state: TextQuery = None,
) -> history.HistoryFilter:
    return history.HistoryFilter(
        enterprise_id=enterprise_id, start=start, end=end, equipment_id=equipment_id, signal_id=signal_id,
        rule_id=rule_id or None, severity=severity.value if severity else None, priority=priority,
        event=event or None, state=state or None,
    )  # fmt: skip


# The history's filters, read from the query string the same way by the list and the export.
HistoryQuery = Annotated[history.HistoryFilter, Depends(history_filter)]


@router.get("/history")
def alarm_history(
    principal: Reader, session: SessionDep, where: HistoryQuery, offset: Offset = 0, limit: Limit = 50
) -> AlarmEventPage:
    rows, total = history.history(session, principal, where, offset=offset, limit=limit)
    items = [AlarmEventRead.model_validate(row) for row in rows]
    return AlarmEventPage(total=total, offset=offset, limit=limit, items=items)


@router.get("/history/export", response_class=Response)
def export_history(request: Request, principal: Reader, session: SessionDep, where: HistoryQuery) -> Response:
    """The filtered history as .xlsx (zh-CN headers, times in Asia/Shanghai)."""
    content = export_bytes(request, session, history.history_for_export(session, principal, where))
    headers = {"Content-Disposition": 'attachment; filename="zhizao-alarm-history.xlsx"'}
    return Response(content, media_type=XLSX, headers=headers)


def export_bytes(request: Request, session: Session, rows: Any) -> bytes:
    equipment_ids = {row.equipment_id for row in rows if row.equipment_id is not None}
    signal_ids = {row.signal_id for row in rows if row.signal_id is not None}
    equipment = dict(session.execute(select(Equipment.id, Equipment.name).where(Equipment.id.in_(equipment_ids))).all())
    signals = dict(session.execute(select(Signal.id, Signal.name).where(Signal.id.in_(signal_ids))).all())
    return excel.history_workbook(rows, request.app.state.settings.timezone, equipment, signals)


@router.get("/flood")
def alarm_flood(
    principal: Reader, session: SessionDep, start: datetime, end: datetime, enterprise_id: IdQuery = None
) -> FloodReport:
    """Activations per operator position (production line) per 10 minutes, against ISA-18.2 benchmarks."""
    return history.flood(session, principal, enterprise_id, start, end)


@router.get("/webhooks")
def list_webhooks(principal: Reader, session: SessionDep, enterprise_id: IdQuery = None) -> list[WebhookRead]:
    return webhooks.list_webhooks(session, principal, enterprise_id)


@router.post("/webhooks", status_code=status.HTTP_201_CREATED)
def create_webhook(data: WebhookCreate, principal: Writer, session: SessionDep) -> WebhookCreated:
    """A new webhook; its signing secret is in this answer only."""
    hook, secret = webhooks.create_webhook(session, principal, data)
    return WebhookCreated(**webhooks.read(session, hook).model_dump(), secret=secret)


@router.get("/webhooks/{webhook_id}")
def read_webhook(webhook_id: IdPath, principal: Reader, session: SessionDep) -> WebhookRead:
    return webhooks.read(session, webhooks.get_webhook(session, principal, webhook_id))


@router.patch("/webhooks/{webhook_id}")
def update_webhook(webhook_id: IdPath, data: WebhookUpdate, principal: Writer, session: SessionDep) -> WebhookRead:
    return webhooks.read(session, webhooks.update_webhook(session, principal, webhook_id, data))


@router.delete("/webhooks/{webhook_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_webhook(webhook_id: IdPath, principal: Writer, session: SessionDep) -> Response:
    webhooks.delete_webhook(session, principal, webhook_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/webhooks/{webhook_id}/deliveries")
def list_deliveries(webhook_id: IdPath, principal: Reader, session: SessionDep) -> list[DeliveryRead]:
    """The latest deliveries: status, attempts, the last status code and error."""
    return [DeliveryRead.model_validate(row) for row in webhooks.list_deliveries(session, principal, webhook_id)]
