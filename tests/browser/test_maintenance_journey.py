"""End-to-end, compressed: a simulated CNC machine wears, its health drops and a case opens with a recommended
action; the owner makes a work order from the case, a technician does the repair, the owner verifies it and the
case closes; after the simulated repair the machine is assessed normal again — in a real Chromium.

CI cannot wait the hours the demo's cell takes, so the machine's data is replayed, as in
``tests/maintenance/health/test_online.py``: the demo cell's degrading machine (``connected.cell_spec``, its seed)
is simulated on a machine registered for this test, written to the store and fed to a ``HealthObserver`` on the
live server's database, ending shortly before now. The replay runs in two parts: up to the case (shown in the
browser), and after the work order, the failure, the simulator's repair and the hour after it. Between the two,
one current state sample stands for the machine still reporting, so that its health does not read as "no recent
data" while the assessments are hours old.
"""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect
from sqlalchemy import select

from zhizao.accounts.auth import principal_of
from zhizao.accounts.models import User
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.demo import connected
from zhizao.demo import maintenance as maintenance_demo
from zhizao.maintenance.health import learn
from zhizao.maintenance.health.kinds import CaseState, HealthStatus
from zhizao.maintenance.health.observer import HealthObserver
from zhizao.maintenance.health.schemas import BaselineLearn
from zhizao.maintenance.models_health import HealthAssessment, MaintenanceCase
from zhizao.simulator.model import FactoryRun, FactorySpec, LineSpec
from zhizao.simulator.seed import demo_enterprise_id
from zhizao.simulator.states import Truth
from zhizao.telemetry import assets, devices
from zhizao.telemetry.kinds import NodeLevel, Protocol
from zhizao.telemetry.models import AssetNode
from zhizao.telemetry.schemas import DeviceCreate, EquipmentCreate, NodeCreate, SignalCreate
from zhizao.telemetry.store.base import Batch, Point, TelemetryStore
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import from_us

from .conftest import LiveData
from .test_programme_journey import demo_user, sign_in, sign_in_as, sign_out

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
CODE = "J1-CNC-01"
SCREENSHOT = "/tmp/maintenance-journey.png"  # noqa: S108 - a fixed place for humans to look at; not asserted


class Replay:
    """The demo cell's degrading machine, sampled every 5 s, written as the equipment's data and observed."""

    def __init__(self, live: LiveData, store: TelemetryStore, owner: Principal, start_ms: int) -> None:
        machine = next(m for m in connected.cell_spec().machines if m.code == connected.OPCUA_MACHINE)
        spec = FactorySpec(
            lines=(LineSpec(code="J1", name="J1", machines=(machine,)),),
            calendar=connected.cell_spec().calendar,
            sample_period_ms=5_000,  # the lifecycle does not depend on it; fewer points
        )
        self.live, self.store, self.start_ms = live, store, start_ms
        self.run = FactoryRun(spec, seed=connected.CELL_SEED, start_ms=start_ms)
        self.equipment_id, self.ids = _register(live, owner, self.run)
        self.observer = HealthObserver(live.database, store, min_interval_s=300)

    def push(self, until_ms: int) -> None:
        while self.run.now_ms < until_ms:
            readings = self.run.step(min(until_ms, self.run.now_ms + 10 * MINUTE_MS))
            points = [
                Point(self.ids[r.signal], r.ts_ms * 1000, float(r.value))
                for r in readings
                if not isinstance(r.value, str) and r.signal in self.ids
            ]
            _write(self.store, points)
            self.observer.committed(points, [])
        assert self.observer.errors == 0


def _write(store: TelemetryStore, points: list[Point]) -> None:
    for day in {point.ts_us // 86_400_000_000 for point in points}:
        store.prepare(day * 86_400_000_000)
    store.write(Batch(points=points))


def _register(live: LiveData, owner: Principal, run: FactoryRun) -> tuple[int, dict[str, int]]:
    with live.database.session() as session:
        area_id = session.scalar(
            select(AssetNode.id).where(
                AssetNode.enterprise_id == owner.organisation_id, AssetNode.level == NodeLevel.AREA
            )
        )
        session.rollback()
        assert area_id is not None
        line = assets.create_node(session, owner, NodeCreate(parent_id=area_id, level=NodeLevel.LINE, code="J1",
                                                             name="维修演练单元"))  # fmt: skip
        info = run.devices[0]
        equipment = assets.create_equipment(
            session,
            owner,
            EquipmentCreate(node_id=line.id, code=CODE, name="演练加工中心", equipment_type=info.equipment_type),
        )
        device = devices.create_device(
            session,
            owner,
            DeviceCreate(equipment_id=equipment.id, code=CODE, name="演练加工中心 控制器", protocol=Protocol.MQTT_JSON),
        )
        ids = {
            spec.name: devices.create_signal(
                session,
                owner,
                SignalCreate(device_id=device.id, name=spec.name, unit=spec.unit, kind=spec.kind,
                             data_type=spec.data_type),
            ).id
            for spec in info.signals
        }  # fmt: skip
        return equipment.id, ids


def _timeline(now_ms: int) -> tuple[int, Truth]:
    """A start (a whole minute) from which the machine has failed, been repaired and run an hour since by now."""
    spec = connected.cell_spec()
    for hours_back in range(8, 16):
        start_ms = (now_ms - hours_back * HOUR_MS) // MINUTE_MS * MINUTE_MS
        run = FactoryRun(spec, seed=connected.CELL_SEED, start_ms=start_ms, signals=[])
        run.step(now_ms)
        failures = [f for f in run.truth.failures if f.device_code == connected.OPCUA_MACHINE]
        if len(failures) == 1 and failures[0].repaired_ms is not None and failures[0].repaired_ms < now_ms - HOUR_MS:
            return start_ms, run.truth
    raise AssertionError("no start found for the replay")


def _owner(live: LiveData) -> Principal:
    with live.database.session() as session:
        user = session.scalars(select(User).where(User.username == demo_user(Role.ENTERPRISE).username)).one()
        return principal_of(user)


def _open_case(live: LiveData, equipment_id: int) -> MaintenanceCase | None:
    with live.database.session() as session:
        return session.scalar(select(MaintenanceCase).where(MaintenanceCase.equipment_id == equipment_id))


def _transition(page: Any, action: str) -> None:
    form = page.locator(f"#transitions form:has(input[name=action][value={action}])")
    if action == "assign":
        form.locator("input[name=assignee_name]").fill(maintenance_demo.TECHNICIAN.display_name)
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()


def test_a_degrading_machine_is_repaired_through_a_case_and_a_work_order(page: Any, live_data: LiveData) -> None:
    began = time.monotonic()
    owner = _owner(live_data)
    assert owner.organisation_id == demo_enterprise_id(live_data.database)
    now_ms = int(time.time() * 1000)
    start_ms, truth = _timeline(now_ms)
    failure = next(f for f in truth.failures if f.device_code == connected.OPCUA_MACHINE)
    assert failure.repaired_ms is not None
    baseline_end = start_ms + connected.HISTORY_MS
    assert failure.onset_ms > baseline_end  # the premise: healthy through the baseline period

    store = open_store(live_data.database)
    try:
        replay = Replay(live_data, store, owner, start_ms)
        replay.push(baseline_end)
        data = BaselineLearn(start=from_us(start_ms * 1000), end=from_us(baseline_end * 1000),
                             signals=maintenance_demo.BASELINE_SIGNALS)  # fmt: skip
        with live_data.database.session() as session:
            learn.learn_baseline(session, store, owner, replay.equipment_id, data)
        replay.observer.refresh(force=True)
        # Wear, until a case opens (before the failure).
        while _open_case(live_data, replay.equipment_id) is None and replay.run.now_ms < failure.failed_ms:
            replay.push(replay.run.now_ms + 10 * MINUTE_MS)
        case = _open_case(live_data, replay.equipment_id)
        assert case is not None and case.opened_at is not None
        assert replay.run.now_ms <= failure.failed_ms, "the case opened before the failure"
        state_id = replay.ids["machinery_item_state"]
        _write(store, [Point(state_id, (now_ms - MINUTE_MS) * 1000, 3.0)])  # still reporting (see the module)

        # The owner sees the machine degraded, with its driving signals, and opens the case.
        sign_in_as(page, Role.ENTERPRISE)
        page.goto("/maintenance/health")
        row = page.locator(f"#health-table tr[data-equipment='{replay.equipment_id}']")
        expect(row).to_have_attribute("data-status", re.compile("maintenance_required|out_of_specification"))
        drivers = row.locator("td").nth(4).inner_text()
        assert "vibration_rms_mm_s" in drivers or "temperature_c" in drivers, drivers
        row.locator(f"a[href='/maintenance/cases/{case.id}']").click()
        page.wait_for_url(f"**/maintenance/cases/{case.id}")
        recommendation = page.locator("#recommendation")
        expect(recommendation).to_be_visible()
        assert len(recommendation.inner_text().strip().splitlines()) >= 3  # title, failure mode, action

        # A work order from the case: the form comes filled in with the machine and the case.
        page.click("#create-order")
        page.wait_for_url("**/maintenance/workorders/new?*")
        query = parse_qs(urlsplit(page.url).query)
        assert query == {"equipment_id": [str(replay.equipment_id)], "case_id": [str(case.id)]}
        expect(page.locator("#new-order select[name=equipment_id]")).to_have_value(str(replay.equipment_id))
        expect(page.locator("#new-order input[name=case_id]")).to_have_value(str(case.id))
        page.fill("#new-order input[name=title]", "主轴轴承检查与更换")
        page.click("#new-order button[type=submit]")
        page.wait_for_load_state()
        problems = page.locator("body").inner_text()[:1500]
        assert urlsplit(page.url).path.rsplit("/", 1)[-1].isdigit(), (page.url, problems)
        order_path = urlsplit(page.url).path
        order_id = int(order_path.rsplit("/", 1)[-1])
        sign_out(page)

        # The technician, another user of the enterprise, takes the order and starts the repair; meanwhile the
        # machine fails (the case follows it), is repaired by the simulator and runs on, up to now.
        technician = maintenance_demo.TECHNICIAN
        sign_in(page, technician.username, technician.password)
        page.goto(order_path)
        for action, status in (("assign", "assigned"), ("start", "in_progress")):
            _transition(page, action)
            expect(page.locator("#order-status")).to_have_class(f"wo-status wo-{status}")
        replay.push(now_ms - 2 * MINUTE_MS)
        _transition(page, "finish")
        expect(page.locator("#order-status")).to_have_class("wo-status wo-done")
        sign_out(page)

        # The owner verifies the repair, which closes the case with the order as its resolution.
        sign_in_as(page, Role.ENTERPRISE)
        page.goto(order_path)
        _transition(page, "verify")
        expect(page.locator("#order-status")).to_have_class("wo-status wo-verified")
        page.goto(f"/maintenance/cases/{case.id}")
        expect(page.locator("body")).to_contain_text(f"work order {order_id} verified")
        expect(page.locator("#create-order")).to_have_count(0)
        with live_data.database.session() as session:
            cases = session.scalars(
                select(MaintenanceCase).where(MaintenanceCase.equipment_id == replay.equipment_id)
            ).all()
        assert [c.state for c in cases] == [CaseState.CLOSED]  # one case for the episode, failure included

        # After the simulator's repair the machine is healthy again: its latest scored assessment is normal and no
        # case is open. (The overview may say "check function" when the replay ends in a setup after the repair.)
        page.goto("/maintenance/health")
        row = page.locator(f"#health-table tr[data-equipment='{replay.equipment_id}']")
        expect(row).to_have_attribute(
            "data-status", re.compile(f"^({HealthStatus.NORMAL.value}|{HealthStatus.CHECK_FUNCTION.value})$")
        )
        expect(row.locator("a[href^='/maintenance/cases/']")).to_have_count(0)
        with live_data.database.session() as session:
            latest = session.scalars(
                select(HealthAssessment)
                .where(HealthAssessment.equipment_id == replay.equipment_id, HealthAssessment.score.is_not(None))
                .order_by(HealthAssessment.window_end_us.desc())
                .limit(1)
            ).one()
        assert latest.status is HealthStatus.NORMAL, latest.status
        page.screenshot(path=SCREENSHOT, full_page=True)
    finally:
        store.close()
    assert time.monotonic() - began < 60
