"""How many commands may be prepared per equipment and per user in a sliding minute, counted in the database so
that the limit holds across web replicas (the equipment row is locked first on PostgreSQL, so two replicas cannot
both take the last slot)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from zhizao.errors import RateLimited
from zhizao.telemetry.commands.models import Command

WINDOW = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CommandPolicy:
    """The tunables of remote commands; ``app.state.command_policy`` replaces the defaults (tests, deployments)."""

    confirm_window_s: float = 120.0  # a prepared command must be confirmed within this
    per_equipment_per_minute: int = 6
    per_user_per_minute: int = 10
    write_timeout_s: float = 10.0  # connector write (OPC UA, Modbus) including the read-back
    publish_timeout_s: float = 5.0  # until the broker acknowledges a QoS 1 publish
    confirm_timeout_s: float = 15.0  # until the new value must show in the stored telemetry (MQTT); 0: don't wait
    poll_interval_s: float = 0.25


def _retry_after(session: Session, clause: ColumnElement[bool], limit: int, now: datetime) -> int | None:
    since = now - WINDOW
    count, oldest = session.execute(
        select(func.count(), func.min(Command.created_at)).where(clause, Command.created_at > since)
    ).one()
    if count < limit:
        return None
    # The window frees a slot when its oldest command leaves it.
    if oldest.tzinfo is None:  # SQLite aggregate results bypass the column type
        oldest = oldest.replace(tzinfo=now.tzinfo)
    return max(1, math.ceil((oldest + WINDOW - now).total_seconds()))


def check(session: Session, policy: CommandPolicy, *, equipment_id: int, user_id: int, now: datetime) -> None:
    """Raises ``RateLimited`` (429 with Retry-After) when either limit is reached."""
    wait = _retry_after(session, Command.equipment_id == equipment_id, policy.per_equipment_per_minute, now)
    if wait is not None:
        raise RateLimited(
            f"at most {policy.per_equipment_per_minute} commands a minute to one piece of equipment; retry in {wait} s",
            retry_after_seconds=wait,
        )
    wait = _retry_after(session, Command.requested_by == user_id, policy.per_user_per_minute, now)
    if wait is not None:
        raise RateLimited(
            f"at most {policy.per_user_per_minute} commands a minute per user; retry in {wait} s",
            retry_after_seconds=wait,
        )
