"""The shift report over the one-shift scenario (figures by hand in ``conftest``): its data equals the KPI service's,
the PDF carries Chinese text in its text layer and draws its header, the workbook holds the figures as numbers."""

from __future__ import annotations

import io

import numpy as np
import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from tests.conftest import World, bearer
from tests.production.conftest import MIN, ONE_SHIFT_DAY, T8, Rig
from tests.telemetry.builders import build_plant
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.errors import InputError
from zhizao.production import kpi_service, stops
from zhizao.production.kpi import kpis
from zhizao.production.kpi_service import Granularity
from zhizao.production.models import DowntimeReason
from zhizao.production.reasons import ensure_current_tree
from zhizao.production.schemas import StopClassification
from zhizao.production.shift_report import Period, gather
from zhizao.production.timemodel import TimeCategory
from zhizao.telemetry.timeutil import from_us

S = 1_000_000
SHIFT_A = {"date": ONE_SHIFT_DAY.isoformat(), "shift": "A"}


def _admin(world: World) -> Principal:
    admin = world.user(Role.ADMIN)
    return Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)


@pytest.mark.parametrize("shift", ["A", None])
def test_report_figures_are_the_kpi_services(synced: Rig, world: World, shift: str | None) -> None:
    actor = _admin(world)
    with synced.database.session() as session:
        scope = kpi_service.resolve_scope(session, actor, node_id=synced.plant.line_id)
        report = gather(session, scope, Period(ONE_SHIFT_DAY, shift))
        if shift is None:
            expected = kpi_service.overall(session, scope, ONE_SHIFT_DAY, ONE_SHIFT_DAY)
        else:
            found = kpi_service.buckets(session, scope, ONE_SHIFT_DAY, ONE_SHIFT_DAY, Granularity.SHIFT)
            expected = next(bucket.totals for bucket in found if bucket.key == "2026-01-01/A")
    assert report.total == expected
    assert report.total.pbt_us == 27_000 * S and report.total.apt_us == 25_140 * S
    assert report.total_kpis.oee == pytest.approx(60 * 400 / 27_000)
    assert [row.code for row in report.equipment] == ["L1-CNC-01", "L1-RB-01"]
    assert report.equipment[1].totals.pbt_us == 0  # the robot has no calendar
    assert report.scope_name == "缸体线" and report.enterprise
    assert report.shift_bounds == (from_us(T8), from_us(T8 + 480 * MIN))
    # The stops' lost time is exactly what the totals count as lost: the breakdown, then the one-minute stop.
    assert [(stop.lost_us // S, stop.category) for stop in report.top_stops] == [
        (1_800, TimeCategory.DOWN),
        (60, TimeCategory.MICRO_STOP),
    ]
    assert report.lost_us == expected.adot_us + expected.adet_us + expected.aust_us
    assert report.unclassified_us == report.lost_us


def test_a_classified_stop_carries_its_reason_and_leaves_the_unclassified_time(synced: Rig, world: World) -> None:
    actor = _admin(world)
    with synced.database.session() as session:
        with session.begin():
            tree = ensure_current_tree(session, synced.plant.enterprise_id)
            mechanical = session.scalar(
                select(DowntimeReason).where(DowntimeReason.tree_id == tree.id, DowntimeReason.code == "BD-MECH")
            )
        assert mechanical is not None
        mechanical_id = mechanical.id  # read before the rollback below expires the row
        scope = kpi_service.resolve_scope(session, actor, equipment_id=synced.plant.equipment_id)
        breakdown = gather(session, scope, Period(ONE_SHIFT_DAY, "A")).top_stops[0].interval.id
        session.rollback()
        stops.classify_stop(session, actor, breakdown, StopClassification(reason_id=mechanical_id))
    with synced.database.session() as session:
        scope = kpi_service.resolve_scope(session, actor, node_id=synced.plant.line_id)
        report = gather(session, scope, Period(ONE_SHIFT_DAY))
    assert report.top_stops[0].interval.id == breakdown
    assert report.top_stops[0].reason is not None and report.top_stops[0].reason.code == "BD-MECH"
    assert report.unclassified_us == 60 * S


def test_a_shift_no_calendar_has_is_refused_naming_the_field(synced: Rig, world: World) -> None:
    actor = _admin(world)
    with synced.database.session() as session:
        scope = kpi_service.resolve_scope(session, actor, node_id=synced.plant.line_id)
        with pytest.raises(InputError) as raised:
            gather(session, scope, Period(ONE_SHIFT_DAY, "Z"))
    assert [problem.field for problem in raised.value.fields] == ["query.shift"]
    assert "A" in raised.value.fields[0].message


def _pdf_text(content: bytes) -> str:
    """The text layer of every page, as a reader's copy and search see it."""
    document = pdfium.PdfDocument(content)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text


def _top_of_page_1(content: bytes, needle: str) -> float:
    """Where ``needle`` sits on page 1: its first character's baseline as a fraction of the page height from the
    top (0 = top edge). Fails when page 1 does not hold it."""
    document = pdfium.PdfDocument(content)
    page = document[0]
    textpage = page.get_textpage()
    found = textpage.search(needle).get_next()
    assert found is not None, f"{needle} is not on page 1"
    _left, bottom, _right, _top = textpage.get_charbox(found[0])
    height = page.get_height()
    document.close()
    return float(1 - bottom / height)


def _page_1_grey(content: bytes) -> np.ndarray:
    document = pdfium.PdfDocument(content)
    image = np.asarray(document[0].render(scale=1).to_pil().convert("L"))
    document.close()
    return image


def test_pdf_has_chinese_text_and_draws_its_header(synced: Rig, world: World, client: TestClient) -> None:
    """The Chinese text is in the text layer, set in the Adobe-GB1 CID font and placed where the layout puts it.

    pdfium draws the CID font's glyphs only with a Chinese font installed on the machine (the font is named, not
    embedded; readers on Chinese Windows, macOS or with Adobe's font pack have one), so the pixel check below is
    of the header as drawn, Latin figures and rules included, not of the Chinese glyphs themselves."""
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(
        "/production/shift-report.pdf",
        params={**SHIFT_A, "node_id": synced.plant.line_id},
        headers=bearer(client, staff),
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == 'attachment; filename="shift-report-L1-2026-01-01-A.pdf"'
    pdf = response.content
    assert b"/STSong-Light" in pdf and b"/UniGB-UCS2-H" in pdf and b"(GB1)" in pdf
    text = _pdf_text(pdf)
    for expected in (
        "班次报告",
        "设备综合效率",
        "缸体线",
        "加工中心 1",
        "六大损失",
        "主要停机",
        "未分类",
        "班长",
        "车间主任",
    ):
        assert expected in text, expected
    assert "88.9%" in text  # OEE = 60·400/27 000
    assert "A (16:00–00:00)" in text  # the calendar's 08:00–16:00 UTC, shown in Asia/Shanghai
    assert _top_of_page_1(pdf, "班次报告") < 0.15  # the title opens the page
    assert 0.15 < _top_of_page_1(pdf, "设备综合效率") < 0.5  # the KPI table follows the header
    grey = _page_1_grey(pdf)
    header = grey[: grey.shape[0] // 4]
    assert (header < 128).sum() > 100, "nothing drawn in the header area"
    assert (grey[:, :20] < 250).sum() == 0, "the left margin must stay white"


def test_pdf_in_english(synced: Rig, world: World, client: TestClient) -> None:
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(
        "/production/shift-report.pdf",
        params={"date": "2026-01-01", "equipment_id": synced.plant.equipment_id, "lang": "en"},
        headers=bearer(client, staff),
    )
    assert response.status_code == 200, response.text
    text = _pdf_text(response.content)
    assert "Shift report" in text and "Overall equipment effectiveness" in text and "whole day" in text
    assert "Shift leader" in text and "设备综合效率" not in text


def test_excel_holds_the_figures_as_numbers(synced: Rig, world: World, client: TestClient) -> None:
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    response = client.get(
        "/production/shift-report.xlsx",
        params={**SHIFT_A, "node_id": synced.plant.line_id},
        headers=bearer(client, staff),
    )
    assert response.status_code == 200, response.text
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["报告信息", "关键指标", "损失瀑布", "主要停机"]
    actor = _admin(world)
    with synced.database.session() as session:
        scope = kpi_service.resolve_scope(session, actor, node_id=synced.plant.line_id)
        buckets = kpi_service.buckets(session, scope, ONE_SHIFT_DAY, ONE_SHIFT_DAY, Granularity.SHIFT)
        totals = next(bucket.totals for bucket in buckets if bucket.key == "2026-01-01/A")
    expected = kpis(totals)

    sheet = workbook["关键指标"]
    header = [cell.value for cell in sheet[1]]
    rows = {row[1].value or row[0].value: row for row in sheet.iter_rows(min_row=2) if row[0].value}
    for key in ("L1-CNC-01", "合计"):
        row = dict(zip(header, rows[key], strict=True))
        assert row["OEE"].value == pytest.approx(expected.oee) and row["OEE"].number_format == "0.0%"
        assert row["可用率 A"].value == pytest.approx(expected.availability)
        assert row["性能率 E"].value == pytest.approx(expected.effectiveness)
        assert row["质量率 Q"].value == pytest.approx(expected.quality_ratio)
        assert row["计划忙碌 PBT"].value == pytest.approx(totals.pbt_us / 60 / S)
        assert row["故障停机 ADOT"].value == pytest.approx(30.0)
        assert (row["产量 PQ"].value, row["良品 GQ"].value, row["废品"].value) == (410, 400, 10)
    losses = {row[0].value: row[1].value for row in workbook["损失瀑布"].iter_rows(min_row=2)}
    assert losses["计划忙碌时间 PBT"] == pytest.approx(450.0)
    assert losses["故障停机"] == pytest.approx(-30.0)
    assert losses["= 完全有效生产时间"] == pytest.approx(400.0)  # 400 good parts × 60 s
    first_stop = [cell.value for cell in workbook["主要停机"][2]]
    assert first_stop[3] == pytest.approx(30.0) and first_stop[6] == "未分类"
    assert workbook["报告信息"]["B3"].value == "缸体线 (L1)"


def test_reports_of_another_enterprise_are_not_found(synced: Rig, world: World, client: TestClient) -> None:
    other = build_plant(world)
    staff = world.user(Role.ENTERPRISE, synced.plant.enterprise_id)
    headers = bearer(client, staff)
    for path in ("/production/shift-report.pdf", "/production/shift-report.xlsx"):
        for params in ({"node_id": other.line_id}, {"equipment_id": other.equipment_id}):
            response = client.get(path, params={**SHIFT_A, **params}, headers=headers)
            assert response.status_code == 404, (path, params)


def test_report_roles_and_input(synced: Rig, world: World, client: TestClient) -> None:
    params: dict[str, str | int] = {**SHIFT_A, "node_id": synced.plant.line_id}
    # Tokens first: an HTML error page gives this client a cookie session, and a cookie session needs CSRF.
    officer = bearer(client, world.user(Role.OFFICER))
    consumer = bearer(client, world.user(Role.CONSUMER))
    staff = bearer(client, world.user(Role.ENTERPRISE, synced.plant.enterprise_id))
    assert client.get("/production/shift-report.xlsx", params=params, headers=officer).status_code == 200
    assert client.get("/production/shift-report.pdf", params=params, headers=consumer).status_code == 403
    no_scope = client.get("/production/shift-report.pdf", params=SHIFT_A, headers=staff)
    assert no_scope.status_code == 422
    unknown_shift = client.get("/production/shift-report.pdf", params={**params, "shift": "Z"}, headers=staff)
    assert unknown_shift.status_code == 422 and "query.shift" in unknown_shift.text
    anonymous = client.get("/production/shift-report.pdf", params=params, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
