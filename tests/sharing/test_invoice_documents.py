"""The invoice as a PDF (Chinese text in the text layer, every line, the log head, how to recompute) and as an Excel
workbook (line amounts that sum to the total; meter records with every field their hash covers, so a lessee can
check the chain by hand). The documents do not depend on the backend: SQLite only."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from openpyxl import load_workbook

from tests.conftest import World
from tests.sharing.billing_world import (
    INVOICED_AT,
    PERIOD,
    ZONE,
    add_booking,
    add_ledger,
    build_leasing,
    local,
    month_of_leasing,
    principal_of_account,
    report_job,
    us,
)
from zhizao.db.engine import Database
from zhizao.sharing import invoices, meterlog, meters
from zhizao.sharing.billing_models import InvoiceRow
from zhizao.sharing.invoice_pdf import render_pdf
from zhizao.sharing.invoice_views import covered_records, invoice_view
from zhizao.sharing.invoice_xlsx import LINE_SHEET, RECORD_SHEET, TARIFF_SHEET, render_xlsx
from zhizao.sharing.metering import Interval
from zhizao.sharing.meterlog import MeterEntry, MeterKind
from zhizao.sharing.models import BookingStatus
from zhizao.telemetry.store.base import TelemetryStore
from zhizao.telemetry.store.factory import open_store


@pytest.fixture(params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store(database: Database) -> Iterator[TelemetryStore]:
    opened = open_store(database)
    yield opened
    opened.close()


def _invoiced(world: World, store: TelemetryStore, *, wear: bool = True) -> InvoiceRow:
    if wear:
        leasing = month_of_leasing(world, store)[0]
    else:  # a machine without wear components: billed by time only, and the invoice says so
        leasing = build_leasing(world, wear=False)
        job = add_booking(world, leasing, local(6, 8), local(6, 10), BookingStatus.COMPLETED,
                          started_at=local(6, 8), completed_at=local(6, 10))  # fmt: skip
        add_ledger(world, leasing, [(us(6, 8), us(6, 10), 3, 3)], built_until_us=us(31, 0))
        report_job(store, leasing, job, us(6, 8), us(6, 10))
    meters.meter_all(world.database, store, INVOICED_AT, ZONE)
    with world.database.session() as session:
        return invoices.issue_invoice(
            session, principal_of_account(leasing.owner), leasing.owner_id, leasing.lessee_id, PERIOD, INVOICED_AT,
            ZONE,
        )  # fmt: skip


def _pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    text = "\n".join(page.get_textpage().get_text_range() for page in document)
    document.close()
    return text


def test_the_pdf_has_the_header_every_line_in_chinese_and_how_to_recompute(world: World, store: TelemetryStore) -> None:
    invoice = _invoiced(world, store)
    with world.database.session() as session:
        view = invoice_view(session, invoice)
    pdf = render_pdf(view, ZONE)
    assert b"/STSong-Light" in pdf and b"/UniGB-UCS2-H" in pdf  # the CID font that draws Chinese
    text = _pdf_text(pdf).replace("\r", "")
    for expected in (
        "设备共享账单", invoice.number, "出租方", "承租方", "账期", PERIOD, "开具时间", "计量日志头",
        invoice.head_hash[:16], "机时", "磨损", "换型", "事件", "出租方停机抵扣", "取消费", "未到场费", "小计",
        "账单合计", "954.53", "558.53", "380.00", "-75.00", "五轴加工中心", "价目版本", "如何复算",
        f"zhizao sharing recompute {invoice.number}", "docs/sharing-billing.md",
        "10-05 08:20:00–09:00:00",  # a meter interval in Asia/Shanghai time
    ):  # fmt: skip
        assert expected in text, expected


def test_the_pdf_highlights_time_only_billing(world: World, store: TelemetryStore) -> None:
    invoice = _invoiced(world, store, wear=False)
    with world.database.session() as session:
        text = _pdf_text(render_pdf(invoice_view(session, invoice), ZONE))
    assert "磨损未计量" in text and "billed by time only" in text


def test_the_workbook_lines_sum_to_the_total_and_its_records_carry_their_hashes(
    world: World, store: TelemetryStore
) -> None:
    invoice = _invoiced(world, store)
    with world.database.session() as session:
        content = render_xlsx(invoice_view(session, invoice), covered_records(session, invoice), ZONE)
        line_count = len(invoices.lines_of(session, invoice.id))
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == [LINE_SHEET, RECORD_SHEET, TARIFF_SHEET] == ["发票", "计量记录", "价目版本"]
    lines = list(workbook[LINE_SHEET].iter_rows(values_only=True))
    header = lines.index(next(row for row in lines if row[0] == "预约"))
    amount = lines[header].index("金额（元）")
    body = [row for row in lines[header + 1 :] if isinstance(row[0], int)]
    assert len(body) == line_count
    total = next(row for row in lines if row[0] == "合计")[amount]
    assert sum(Decimal(str(row[amount])) for row in body) == Decimal(str(total)) == Decimal("954.53")

    records = list(workbook[RECORD_SHEET].iter_rows(values_only=True))
    columns = {name: index for index, name in enumerate(records[0])}
    assert len(records) - 1 == len(invoice.record_ids)
    for row in records[1:]:  # each record's hash from the sheet's own columns: the chain can be checked by hand
        cell = {name: row[index] for name, index in columns.items()}
        entry = MeterEntry(
            record_id=cell["记录编号"], machine_id=cell["设备"], booking_id=str(cell["预约"]),
            kind=MeterKind(cell["类别代码"]), start_us=int(cell["开始 µs"]), end_us=int(cell["结束 µs"]),
            quantity=Decimal(cell["数量"]), intervals=tuple(Interval(a, b) for a, b in json.loads(cell["计量区间 µs"])),
            component=cell["部件"], event_us=cell["事件时刻 µs"], note=cell["备注"],
        )  # fmt: skip
        assert meterlog.link(entry, int(cell["序号"]), cell["前一哈希"]).hash == cell["哈希"]
    assert records[-1][columns["哈希"]] == invoice.head_hash  # this month's records end the owner's chain here
    tariffs = list(workbook[TARIFF_SHEET].iter_rows(values_only=True))
    assert [row[2] for row in tariffs[1:]] == [1, 2] and "hourly_rate=132.00" in str(tariffs[2][4])
