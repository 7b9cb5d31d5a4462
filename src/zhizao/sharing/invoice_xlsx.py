"""An invoice as an Excel workbook with openpyxl, for recomputing it by hand: sheet "发票" with its lines (amounts as
numbers, the total below them), sheet "计量记录" with every field of the meter records it covers (the hash chain's
inputs included, so each hash can be checked), and sheet "价目版本" with the tariff versions that priced it."""

from __future__ import annotations

import io
import json
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from zhizao.sharing import invoice_text as text
from zhizao.sharing.billing_models import MeterRecordRow
from zhizao.sharing.invoice_views import InvoiceView, cny, intervals_text, local_moment, rates_text

MONEY = "#,##0.00"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
NOTE_FILL = PatternFill("solid", fgColor="FFF4D6")
LINE_SHEET, RECORD_SHEET, TARIFF_SHEET = "发票", "计量记录", "价目版本"
QUANTITY_COLUMN, AMOUNT_COLUMN = 7, 10  # "数量" and "金额（元）" on the line sheet (1-based)
DAMAGE = "0.000000000"


def _heading(sheet: Worksheet, labels: Sequence[str]) -> None:
    sheet.append(list(labels))
    for cell in sheet[sheet.max_row]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def _widths(sheet: Worksheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width


def _line_sheet(sheet: Worksheet, view: InvoiceView, zone: ZoneInfo) -> None:
    invoice = view.invoice
    sheet.append([text.TITLE, invoice.number])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append(["出租方", view.owner_name, "承租方", view.lessee_name, "账期", invoice.period])
    issued = invoice.issued_at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
    sheet.append(["开具时间", issued, "计量日志头", invoice.head_seq, invoice.head_hash])
    sheet.append([])
    _heading(sheet, ["预约", "设备", "行", *text.LINE_COLUMNS, "计量区间 µs"])
    for group in view.bookings:
        for line in group.lines:
            sheet.append([
                group.booking_id, group.listing_title, line.position + 1, text.kind_label(line.kind),
                line.tariff_version, line.component or "", Decimal(line.quantity), text.unit_label(line.unit),
                Decimal(line.unit_rate), cny(line.amount_cny), intervals_text(line.intervals, zone),
                ", ".join(line.record_ids), line.note or "", json.dumps(line.intervals),
            ])  # fmt: skip
            sheet.cell(row=sheet.max_row, column=AMOUNT_COLUMN).number_format = MONEY
            if line.kind == "wear":  # damage to 1e-9 of a life: Excel's General would show 3.9167E-05
                sheet.cell(row=sheet.max_row, column=QUANTITY_COLUMN).number_format = DAMAGE
            if line.note:
                for cell in sheet[sheet.max_row]:
                    cell.fill = NOTE_FILL
    sheet.append([])
    total_row = ["合计", *([""] * (AMOUNT_COLUMN - 2)), cny(invoice.total_cny)]
    sheet.append(total_row)
    sheet.cell(row=sheet.max_row, column=AMOUNT_COLUMN).number_format = MONEY
    sheet.cell(row=sheet.max_row, column=1).font = HEADER_FONT
    for note in view.credit_notes:
        sheet.append(["贷项通知单", note.number, *([""] * (AMOUNT_COLUMN - 3)), -cny(note.amount_cny), note.reason])
    if view.credit_notes:
        sheet.append(["应付余额", *([""] * (AMOUNT_COLUMN - 2)), view.balance])
    sheet.append([])
    sheet.append([text.recompute_help(view)])
    _widths(sheet, [8, 20, 5, 16, 8, 10, 14, 9, 12, 12, 60, 40, 40, 30])
    sheet.freeze_panes = "A6"


def _record_sheet(sheet: Worksheet, records: Sequence[MeterRecordRow], zone: ZoneInfo) -> None:
    _heading(sheet, text.RECORD_COLUMNS)
    for row in records:
        sheet.append([
            row.seq, row.record_id, row.booking_id, row.machine_id, text.kind_label(row.kind), row.kind,
            local_moment(row.start_us, zone), local_moment(row.end_us, zone), row.quantity,
            intervals_text(row.intervals, zone), row.component, row.event_us, row.note, row.start_us,
            row.end_us, json.dumps(row.intervals), row.prev_hash, row.hash,
        ])  # fmt: skip
    _widths(sheet, [6, 28, 8, 14, 14, 16, 20, 20, 16, 60, 10, 18, 40, 18, 18, 40, 66, 66])
    sheet.freeze_panes = "C2"


def _tariff_sheet(sheet: Worksheet, view: InvoiceView, zone: ZoneInfo) -> None:
    _heading(sheet, text.TARIFF_COLUMNS)
    for tariff in view.tariffs:
        valid_from = tariff.valid_from.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")
        sheet.append([tariff.id, tariff.listing_id, tariff.version, valid_from, rates_text(tariff.rates)])
    _widths(sheet, [10, 14, 8, 22, 120])


def _no_formulas(workbook: Workbook) -> None:
    """Text is always text: a title or reason typed as "=…" is never a formula that Excel would run."""
    for sheet in workbook.worksheets:
        for cells in sheet.iter_rows():
            for cell in cells:
                if cell.data_type == "f":
                    cell.data_type = "s"


def render_xlsx(view: InvoiceView, records: Sequence[MeterRecordRow], zone: ZoneInfo) -> bytes:
    """The invoice as .xlsx bytes."""
    workbook = Workbook()
    lines = workbook.active
    assert lines is not None
    lines.title = LINE_SHEET
    _line_sheet(lines, view, zone)
    _record_sheet(workbook.create_sheet(RECORD_SHEET), records, zone)
    _tariff_sheet(workbook.create_sheet(TARIFF_SHEET), view, zone)
    _no_formulas(workbook)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
