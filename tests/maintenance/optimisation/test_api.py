"""The optimisation API and pages on a real database (both backends): figures from a hand-made ledger and meter,
validation, tenant isolation, not enough data, and the monthly PDF with Chinese text."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient

from tests.conftest import World, bearer
from tests.production.builders import DAY, add_interval
from tests.telemetry.builders import Plant, build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.production import corrections
from zhizao.production.models import BucketKind, BucketTotals
from zhizao.telemetry import devices
from zhizao.telemetry.kinds import SignalKind
from zhizao.telemetry.machinery import MachineryItemState as S
from zhizao.telemetry.machinery import OperationMode as M
from zhizao.telemetry.models import Equipment
from zhizao.telemetry.schemas import SignalCreate
from zhizao.telemetry.store.base import Batch, Point
from zhizao.telemetry.store.factory import open_store
from zhizao.telemetry.timeutil import to_us

MIN_US = 60_000_000
HOUR_US = 60 * MIN_US
ONE_DAY = {"start": "2026-12-01", "end": "2026-12-01"}


@dataclass(frozen=True)
class Line:
    plant: Plant
    staff: dict[str, str]


def _hours(hours: float) -> timedelta:
    return timedelta(hours=hours)


def _meter_points(signal_id: int) -> list[Point]:
    """The CNC's kWh meter read at the end of every minute 08:00–12:00: 10 kW producing, 2 kW idle 10:00–10:30."""
    start, points, reading = to_us(DAY + _hours(8)), [], 100.0
    points.append(Point(signal_id, start - 1, reading))
    for minute in range(240):
        reading += (2.0 if 120 <= minute < 150 else 10.0) / 60
        points.append(Point(signal_id, start + (minute + 1) * MIN_US - 1, round(reading, 6)))
    return points


@pytest.fixture
def line(world: World, database: Database, client: TestClient) -> Iterator[Line]:
    """Line L1: the CNC runs 08:00–10:00 and 10:30–12:00 (idle between), the robot 08:00–09:00 and 11:00–11:30.
    The CNC counts 210 good parts and meters 20 + 1 + 15 kWh; the robot has no meter."""
    plant = build_plant(world)
    admin = world.user(Role.ADMIN)
    actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)
    with database.session() as session:
        energy = devices.create_signal(
            session, actor, SignalCreate(device_id=plant.device_id, name="energy_kwh", kind=SignalKind.COUNTER)
        )
        good = devices.create_signal(
            session, actor, SignalCreate(device_id=plant.device_id, name="good_parts", kind=SignalKind.COUNTER)
        )
    for equipment, spans in (
        (plant.equipment_id, [(8, 10, S.EXECUTING), (10, 10.5, S.NOT_EXECUTING), (10.5, 12, S.EXECUTING)]),
        (plant.robot_id, [(8, 9, S.EXECUTING), (9, 11, S.NOT_EXECUTING), (11, 11.5, S.EXECUTING),
                          (11.5, 12, S.NOT_EXECUTING)]),
    ):  # fmt: skip
        for low, high, state in spans:
            add_interval(database, plant, DAY + _hours(low), DAY + _hours(high), state, M.PROCESSING,
                         equipment_id=equipment)  # fmt: skip
    store = open_store(database)
    store.prepare(to_us(DAY))
    eight, noon = to_us(DAY + _hours(8)), to_us(DAY + _hours(12))
    store.write(Batch(points=[*_meter_points(energy.id), Point(good.id, eight, 1000.0), Point(good.id, noon, 1210.0)]))
    store.close()
    # Production's day totals of the CNC (as the sync job would store them): PBT 4 h, idle 0.5 h, APT 3.5 h,
    # 210 good of 220 made at PRU 60 s.
    with database.session() as session, session.begin():
        session.add(
            BucketTotals(
                equipment_id=plant.equipment_id, kind=BucketKind.DAY, local_date=date(2026, 12, 1), label="",
                start_us=to_us(DAY), enterprise_id=plant.enterprise_id, pot_us=4 * HOUR_US, apt_us=210 * MIN_US,
                adet_us=30 * MIN_US, pq=220, gq=210, sq=10, pru_pq_us=220 * MIN_US, pru_gq_us=210 * MIN_US,
            )
        )  # fmt: skip
    staff = bearer(client, world.user(Role.ENTERPRISE, plant.enterprise_id))
    yield Line(plant, staff)


def test_line_figures_by_hand(line: Line, client: TestClient) -> None:
    response = client.get(f"/api/maintenance/optimisation/lines/{line.plant.line_id}", params=ONE_DAY,
                          headers=line.staff)  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    cnc, robot = line.plant.equipment_id, line.plant.robot_id
    assert body["status"] == "ok"
    # Active periods: CNC 08–10 and 10:30–12, robot 08–09 and 11–11:30. The CNC's are the longest wherever both
    # run, so it is the sole bottleneck for 3.5 h of the 24 h window and there is no shifting.
    bottleneck = body["bottleneck"]
    assert bottleneck["primary_equipment_id"] == cnc
    shares = {row["equipment_id"]: row for row in bottleneck["machines"]}
    assert shares[cnc]["sole_s"] == 3.5 * 3600 and shares[cnc]["shifting_s"] == 0
    assert shares[robot]["sole_s"] == 0 and shares[robot]["active_s"] == 1.5 * 3600
    assert bottleneck["no_bottleneck_s"] == 20.5 * 3600
    assert bottleneck["days"][0]["day"] == "2026-12-01"
    # Throughput: a_b / a_n − 1 = 3.5 / 1.5 − 1 = 4/3 of the CNC's 210 good parts = 280.
    assert body["throughput"]["gain_ratio"] == pytest.approx(4 / 3)
    assert body["throughput"]["gained_units"] == pytest.approx(280)
    # Energy: 35 kWh producing, 1 kWh idle (0.80 CNY at the default tariff), 36 / 210 kWh per good part.
    meters = {row["equipment_id"]: row for row in body["energy"]["machines"]}
    assert meters[robot]["status"] == "not_metered"
    assert meters[cnc]["kwh"]["producing"] == pytest.approx(35)
    assert meters[cnc]["waste_kwh"] == pytest.approx(1)
    assert meters[cnc]["waste_cny"] == "0.80"
    assert meters[cnc]["kwh_per_good_unit"] == pytest.approx(36 / 210)
    assert meters[cnc]["idle_kw"] == pytest.approx(2)
    # Losses from the stored totals: idling 0.5 h → 0.5 h·210/3.5 h = 30 good parts; the 10 scrap parts next.
    items = body["losses"]["items"]
    assert [(i["kind"], i["on_bottleneck"]) for i in items] == [("minor_stops", True), ("quality", True)]
    assert items[0]["gained_good_units"] == pytest.approx(30)
    # Inputs: where each figure came from.
    inputs = {row["equipment_id"]: row for row in body["machines"]}
    assert inputs[cnc]["ledger"]["intervals"] == 3 and inputs[cnc]["counters"]["good_units"] == 210
    assert inputs[cnc]["counters"]["energy_kwh"] == pytest.approx(36)
    assert inputs[cnc]["totals"]["gq"] == 210


def test_good_units_follow_a_reviewed_count(line: Line, client: TestClient, database: Database) -> None:
    """A quality engineer's review moved three of the CNC's good parts to scrap and one back: the optimisation counts
    the reviewed 208, as OEE's quality ratio does."""
    with database.session() as session, session.begin():
        equipment = session.get_one(Equipment, line.plant.equipment_id)
        for to_scrap in (3, -1):
            corrections.record(session, equipment, to_us(DAY + _hours(9)), to_scrap, "vision", "review")
    response = client.get(f"/api/maintenance/optimisation/lines/{line.plant.line_id}", params=ONE_DAY,
                          headers=line.staff)  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    cnc = line.plant.equipment_id
    inputs = {row["equipment_id"]: row for row in body["machines"]}
    assert inputs[cnc]["counters"]["good_units"] == 208
    assert body["throughput"]["gained_units"] == pytest.approx(208 * 4 / 3)
    meters = {row["equipment_id"]: row for row in body["energy"]["machines"]}
    assert meters[cnc]["kwh_per_good_unit"] == pytest.approx(36 / 208)


def test_a_period_without_ledger_has_not_enough_data(line: Line, client: TestClient) -> None:
    response = client.get(f"/api/maintenance/optimisation/lines/{line.plant.line_id}",
                          params={"start": "2026-11-01", "end": "2026-11-07"}, headers=line.staff)  # fmt: skip
    body = response.json()
    assert body["status"] == "not_enough_data" and body["bottleneck"]["status"] == "not_enough_data"
    assert body["throughput"] is None and body["losses"]["status"] == "not_enough_data"


BAD_QUERIES = [
    ({"start": "2026-12-02", "end": "2026-12-01"}, "query.end"),
    ({"start": "2026-01-01", "end": "2026-12-01"}, "query.end"),
    ({"start": "2026-12-01", "end": "2026-12-01", "tariff": "-1"}, "query.tariff"),
    ({"start": "2026-12-01", "end": "2026-12-01", "recovery": "0"}, "query.recovery"),
    ({"start": "yesterday"}, "query.start"),
]


def test_bad_queries_name_the_field(line: Line, client: TestClient) -> None:
    """One test for every case: the fixture (a plant, a ledger, a meter) is the slow part."""
    path = f"/api/maintenance/optimisation/lines/{line.plant.line_id}"
    for params, field in BAD_QUERIES:
        response = client.get(path, params=params, headers=line.staff)
        assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == field, params
    for month in ("2026-13", "2026-1", "december", "1999-12"):
        response = client.get(f"{path}/report.pdf", params={"month": month}, headers=line.staff)
        assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "query.month"
    response = client.get(f"/api/maintenance/optimisation/lines/{line.plant.site_id}", params=ONE_DAY,
                          headers=line.staff)  # fmt: skip
    assert response.status_code == 422 and response.json()["error"]["fields"][0]["field"] == "path.node_id"


def test_other_tenants_get_404_and_other_roles_403(line: Line, client: TestClient, world: World) -> None:
    stranger = bearer(client, world.user(Role.ENTERPRISE))
    officer = bearer(client, world.user(Role.OFFICER))
    platform = bearer(client, world.user(Role.PLATFORM))
    path = f"/api/maintenance/optimisation/lines/{line.plant.line_id}"
    assert client.get(path, params=ONE_DAY, headers=stranger).status_code == 404
    assert client.get(f"{path}/report.pdf", params={"month": "2026-12"}, headers=stranger).status_code == 404
    assert client.get(f"/maintenance/lines/{line.plant.line_id}/optimisation", headers=stranger).status_code == 404
    assert client.get(path, params=ONE_DAY, headers=officer).status_code == 200
    assert client.get(path, params=ONE_DAY, headers=platform).status_code == 403
    lines = client.get("/maintenance/optimisation", headers=stranger)
    assert lines.status_code == 200 and "缸体线" not in lines.text


def _pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text


def test_monthly_report_pdf_has_chinese_text(line: Line, client: TestClient) -> None:
    response = client.get(f"/api/maintenance/optimisation/lines/{line.plant.line_id}/report.pdf",
                          params={"month": "2026-12"}, headers=line.staff)  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert 'filename="optimisation-L1-2026-12.pdf"' in response.headers["content-disposition"]
    text = _pdf_text(response.content)
    for needle in ("产线月度优化报告", "缸体线", "瓶颈分析", "加工中心 1", "空闲浪费", "改进建议", "2026-12"):
        assert needle in text, needle
    english = client.get(f"/api/maintenance/optimisation/lines/{line.plant.line_id}/report.pdf",
                         params={"month": "2026-11", "lang": "en"}, headers=line.staff)  # fmt: skip
    assert "Not enough data" in _pdf_text(english.content)


def test_line_page_shows_the_figures(line: Line, client: TestClient) -> None:
    page = client.get(f"/maintenance/lines/{line.plant.line_id}/optimisation", params=ONE_DAY, headers=line.staff)
    assert page.status_code == 200, page.text
    assert 'id="bottleneck"' in page.text and "加工中心 1" in page.text and 'id="energy"' in page.text
    empty = client.get(f"/maintenance/lines/{line.plant.line_id}/optimisation",
                       params={"start": "2026-11-01", "end": "2026-11-02"}, headers=line.staff)  # fmt: skip
    assert 'id="not-enough-data"' in empty.text
    lines = client.get("/maintenance/optimisation", headers=line.staff)
    assert f"/maintenance/lines/{line.plant.line_id}/optimisation" in lines.text
