"""The annual work plan (年度工作计划, plan §六(十三)): the office's tasks per year with owners, due dates, status
and progress. "Delayed" is a status the office sets; "overdue" is derived (due before today, not done), so it can
never be stale. Officers and administrators only; every change is audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from zhizao.accounts import audit
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import CROSS_TENANT_ROLES
from zhizao.errors import InputError, NotFound
from zhizao.programme.models_community import TaskStatus, WorkTask
from zhizao.programme.schemas_community import (
    WorkPlanSummary,
    WorkTaskCreate,
    WorkTaskRead,
    WorkTaskUpdate,
    patch_values,
)

TASK_FIELDS = ("year", "title", "owner_id", "owner_name", "due_on", "status", "progress")


# --- pure rules --------------------------------------------------------------------------------------------


def programme_today(timezone: str) -> date:
    """Today where the programme runs (Asia/Shanghai by default), not on the server's clock."""
    return datetime.now(ZoneInfo(timezone)).date()


def is_overdue(due_on: date, status: TaskStatus, today: date) -> bool:
    return due_on < today and status != TaskStatus.DONE


def settled_progress(status: TaskStatus, progress: int) -> int:
    """A done task is 100 % done, whatever was typed."""
    return 100 if status == TaskStatus.DONE else progress


def plan_summary(year: int, tasks: Sequence[WorkTaskRead]) -> WorkPlanSummary:
    """The year at a glance; its progress is the plain mean of its tasks' progress."""
    return WorkPlanSummary(
        year=year,
        tasks=len(tasks),
        done=sum(task.status == TaskStatus.DONE for task in tasks),
        delayed=sum(task.status == TaskStatus.DELAYED for task in tasks),
        overdue=sum(task.overdue for task in tasks),
        progress=round(sum(task.progress for task in tasks) / len(tasks)) if tasks else 0,
    )


# --- tasks -------------------------------------------------------------------------------------------------


def _read(row: WorkTask, today: date) -> WorkTaskRead:
    stored = {name: getattr(row, name) for name in WorkTaskRead.model_fields if name != "overdue"}
    return WorkTaskRead(**stored, overdue=is_overdue(row.due_on, row.status, today))


def plan_years(session: Session) -> list[int]:
    return [int(year) for year in session.scalars(select(WorkTask.year).distinct().order_by(WorkTask.year.desc()))]


def list_tasks(session: Session, year: int, today: date) -> list[WorkTaskRead]:
    rows = session.scalars(select(WorkTask).where(WorkTask.year == year).order_by(WorkTask.due_on, WorkTask.id))
    return [_read(row, today) for row in rows]


def _get(session: Session, task_id: int) -> WorkTask:
    row = session.get(WorkTask, task_id)
    if row is None:
        raise NotFound(f"task {task_id} not found")
    return row


def read_task(session: Session, task_id: int, today: date) -> WorkTaskRead:
    return _read(_get(session, task_id), today)


def _owner(session: Session, owner_id: int | None, owner_name: str | None) -> tuple[int | None, str]:
    """The owner as stored: a user of the programme office (named after them unless a name is given) or a name."""
    if owner_id is not None:
        user = session.get(User, owner_id)
        if user is None or user.role not in CROSS_TENANT_ROLES:
            raise InputError.for_field("body.owner_id", f"user {owner_id} is not an officer or administrator")
        return owner_id, owner_name or user.display_name
    if not owner_name:
        raise InputError.for_field("body.owner_name", "name the owner, or choose a user")
    return None, owner_name


def create_task(session: Session, actor: Principal, data: WorkTaskCreate, today: date) -> WorkTaskRead:
    with session.begin():
        owner_id, owner_name = _owner(session, data.owner_id, data.owner_name)
        values = data.model_dump(exclude={"owner_id", "owner_name", "progress"})
        row = WorkTask(
            owner_id=owner_id, owner_name=owner_name, progress=settled_progress(data.status, data.progress), **values
        )
        session.add(row)
        session.flush()
        audit.record(
            session, actor, action="work_task.create", entity_type="work_task", entity_id=row.id,
            after=audit.snapshot(row, TASK_FIELDS),
        )  # fmt: skip
    return _read(row, today)


def update_task(session: Session, actor: Principal, task_id: int, data: WorkTaskUpdate, today: date) -> WorkTaskRead:
    with session.begin():
        row = _get(session, task_id)
        before = audit.snapshot(row, TASK_FIELDS)
        changes = patch_values(data, required=("title", "due_on", "status", "progress"))
        if {"owner_id", "owner_name"} & changes.keys():
            # A new user brings their own name unless one is given; a new name alone keeps the user.
            kept_name = None if "owner_id" in changes else row.owner_name
            changes["owner_id"], changes["owner_name"] = _owner(
                session, changes.get("owner_id", row.owner_id), changes.get("owner_name") or kept_name
            )
        for name, value in changes.items():
            setattr(row, name, value)
        row.progress = settled_progress(row.status, row.progress)
        audit.record(
            session, actor, action="work_task.update", entity_type="work_task", entity_id=row.id, before=before,
            after=audit.snapshot(row, TASK_FIELDS),
        )  # fmt: skip
    return _read(row, today)


def delete_task(session: Session, actor: Principal, task_id: int) -> None:
    with session.begin():
        row = _get(session, task_id)
        audit.record(
            session, actor, action="work_task.delete", entity_type="work_task", entity_id=row.id,
            before=audit.snapshot(row, TASK_FIELDS),
        )  # fmt: skip
        session.delete(row)
