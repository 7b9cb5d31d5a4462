"""The annual work plan: overdue is derived from the date (due before today and not done), a done task is 100 %
done, the year's summary, owners from the programme office, and field-level errors that change nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.conftest import World, bearer
from zhizao.accounts.roles import Role
from zhizao.programme.models_community import TaskStatus, WorkTask
from zhizao.programme.schemas_community import WorkTaskRead
from zhizao.programme.service_workplan import is_overdue, plan_summary, programme_today, settled_progress

API = "/api/programme/work-plan"
TODAY = date(2021, 6, 15)


@pytest.mark.parametrize(
    ("due_on", "status", "overdue"),
    [
        (date(2021, 6, 14), TaskStatus.PLANNED, True),
        (date(2021, 6, 14), TaskStatus.IN_PROGRESS, True),
        (date(2021, 6, 14), TaskStatus.DELAYED, True),
        (date(2021, 6, 14), TaskStatus.DONE, False),
        (date(2021, 6, 15), TaskStatus.PLANNED, False),  # due today is not late yet
        (date(2021, 6, 16), TaskStatus.IN_PROGRESS, False),
    ],
)
def test_overdue_rule(due_on: date, status: TaskStatus, overdue: bool) -> None:
    assert is_overdue(due_on, status, TODAY) is overdue


@pytest.mark.parametrize(
    ("status", "typed", "settled"),
    [(TaskStatus.DONE, 40, 100), (TaskStatus.IN_PROGRESS, 40, 40), (TaskStatus.PLANNED, 0, 0)],
)
def test_a_done_task_is_fully_done(status: TaskStatus, typed: int, settled: int) -> None:
    assert settled_progress(status, typed) == settled


def _task(status: TaskStatus, progress: int, overdue: bool) -> WorkTaskRead:
    return WorkTaskRead(
        id=1, year=2021, title="t", owner_id=None, owner_name="o", due_on=TODAY, status=status, progress=progress,
        note=None, overdue=overdue,
    )  # fmt: skip


def test_plan_summary() -> None:
    tasks = [
        _task(TaskStatus.DONE, 100, False),
        _task(TaskStatus.DELAYED, 30, True),
        _task(TaskStatus.IN_PROGRESS, 45, False),
    ]
    summary = plan_summary(2021, tasks)
    assert (summary.tasks, summary.done, summary.delayed, summary.overdue, summary.progress) == (3, 1, 1, 1, 58)
    assert plan_summary(2022, []).progress == 0


def test_overdue_is_flagged_and_clears_when_done(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.OFFICER))
    today = programme_today("Asia/Shanghai")
    late = {
        "year": today.year,
        "title": "发布年度智能工厂名单",
        "owner_name": "规划处",
        "due_on": str(today - timedelta(days=1)),
    }
    later = {
        "year": today.year,
        "title": "组织供需对接会",
        "owner_name": "规划处",
        "due_on": str(today + timedelta(days=30)),
    }
    late_id = client.post(API, json=late, headers=headers).json()["id"]
    client.post(API, json=later, headers=headers)

    tasks = client.get(API, headers=headers).json()
    assert [(t["title"], t["overdue"]) for t in tasks] == [(late["title"], True), (later["title"], False)]
    summary = client.get(f"{API}/summary", headers=headers).json()
    assert summary["overdue"] == 1 and summary["tasks"] == 2

    done = client.patch(f"{API}/{late_id}", json={"status": "done"}, headers=headers)
    assert done.status_code == 200 and done.json()["overdue"] is False and done.json()["progress"] == 100
    assert client.get(f"{API}/summary", headers=headers).json()["overdue"] == 0


def test_tasks_belong_to_their_year(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.ADMIN))
    for year in (2021, 2022):
        body = {"year": year, "title": f"{year} 年工作", "owner_name": "办公室", "due_on": f"{year}-12-31"}
        assert client.post(API, json=body, headers=headers).status_code == 201
    assert [t["year"] for t in client.get(API, params={"year": 2021}, headers=headers).json()] == [2021]


def test_the_owner_is_an_officer_named_after_the_user(client: TestClient, world: World) -> None:
    officer = world.user(Role.OFFICER, username="zhang.officer")
    headers = bearer(client, officer)
    body = {"year": 2021, "title": "标杆工厂评选", "owner_id": officer.user_id, "due_on": "2021-11-30"}
    created = client.post(API, json=body, headers=headers)
    assert created.status_code == 201 and created.json()["owner_name"] == "Zhang.Officer"
    enterprise_user = world.user(Role.ENTERPRISE)
    refused = client.post(API, json=body | {"owner_id": enterprise_user.user_id}, headers=headers)
    assert refused.status_code == 422 and refused.json()["error"]["fields"][0]["field"] == "body.owner_id"


def test_bad_tasks_name_the_field_and_change_nothing(client: TestClient, world: World) -> None:
    headers = bearer(client, world.user(Role.OFFICER))
    base = {"year": 2021, "title": "任务", "owner_name": "办公室", "due_on": "2021-12-31"}
    cases = [
        ({"progress": 101}, "body.progress"),
        ({"year": 1999}, "body.year"),
        ({"status": "late"}, "body.status"),
        ({"owner_name": None}, "body.owner_name"),
        ({"due_on": "2021-02-30"}, "body.due_on"),
    ]
    for change, field in cases:
        response = client.post(API, json=base | change, headers=headers)
        assert response.status_code == 422, (change, response.text)
        assert response.json()["error"]["fields"][0]["field"] == field, change
    with world.database.session() as session:
        assert session.scalar(select(func.count()).select_from(WorkTask)) == 0
    task_id = client.post(API, json=base, headers=headers).json()["id"]
    nulled = client.patch(f"{API}/{task_id}", json={"progress": None}, headers=headers)
    assert nulled.status_code == 422 and nulled.json()["error"]["fields"][0]["field"] == "body.progress"


def test_the_work_plan_is_the_offices(client: TestClient, world: World) -> None:
    for role in (Role.ENTERPRISE, Role.EXPERT, Role.INTEGRATOR, Role.PLATFORM):
        assert client.get(API, headers=bearer(client, world.user(role))).status_code == 403
