"""The shift report as an Excel workbook with openpyxl: one sheet per section, numbers as numbers.

Ratios are stored as fractions with a percentage format and times as minutes, so that a reader can sum, chart
and recompute them (a line's OEE from the summed minutes, not from the rows' percentages).
"""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from zhizao.production.shift_report import ShiftReport
from zhizao.production.shift_report_text import (
    KPI_COLUMNS,
    CellKind,
    ReportLanguage,
    category_label,
    local,
    minutes,
    reason_label,
    shift_label,
    state_label,
    stops_note,
    text,
    total_figures,
    waterfall_rows,
)
from zhizao.telemetry.timeutil import from_us

PERCENT = "0.0%"
MINUTES = "#,##0.0"
COUNT = "#,##0"
MOMENT = "yyyy-mm-dd hh:mm:ss"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
FORMATS = {CellKind.RATIO: PERCENT, CellKind.MINUTES: MINUTES, CellKind.COUNT: COUNT}

# Sheet names: Excel allows 31 characters and no []:*?/\ in them.
SHEETS = {
    ReportLanguage.ZH: ("报告信息", "关键指标", "损失瀑布", "主要停机"),
    ReportLanguage.EN: ("Report", "KPIs", "Losses", "Stops"),
}


def _heading_row(sheet: Worksheet, labels: list[str]) -> None:
    sheet.append(labels)
    for cell in sheet[sheet.max_row]:
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL


def _widths(sheet: Worksheet, widths: list[int]) -> None:
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width


def _naive_local(moment: datetime, timezone: str) -> datetime:
    """Excel has no time zones: store the local wall time the report shows."""
    return local(moment, timezone).replace(tzinfo=None)


def _info_sheet(sheet: Worksheet, report: ShiftReport, lang: ReportLanguage) -> None:
    scope = f"{report.scope_name} ({report.scope_code})" if report.scope_code else report.scope_name
    sheet.append([text("title", lang)])
    sheet["A1"].font = Font(bold=True, size=14)
    rows: list[tuple[str, object]] = [
        (text("enterprise", lang), report.enterprise),
        (text("scope", lang), scope),
        (text("date", lang), report.period.day),
        (text("shift", lang), shift_label(report, lang)),
        (text("generated_at", lang), _naive_local(report.generated_at, report.timezone)),
    ]
    for label, value in rows:
        sheet.append([label, value])
    sheet.cell(row=4, column=2).number_format = "yyyy-mm-dd"
    sheet.cell(row=6, column=2).number_format = MOMENT
    sheet.append([])
    sheet.append([text("signatures", lang)])
    for key in ("shift_leader", "workshop_director", "signature_date"):
        sheet.append([text(key, lang), ""])
    _widths(sheet, [18, 48])


def _kpi_sheet(sheet: Worksheet, report: ShiftReport, lang: ReportLanguage) -> None:
    _heading_row(sheet, [text("equipment", lang), text("code", lang), *(column.label(lang) for column in KPI_COLUMNS)])
    for figures in (*report.equipment, total_figures(report, lang)):
        sheet.append([figures.name, figures.code, *(column.value(figures, lang) for column in KPI_COLUMNS)])
        for offset, column in enumerate(KPI_COLUMNS, start=3):
            if column.kind in FORMATS:
                sheet.cell(row=sheet.max_row, column=offset).number_format = FORMATS[column.kind]
    for cell in sheet[sheet.max_row]:
        cell.font = HEADER_FONT
    sheet.append([])
    sheet.append([text("kpi_note", lang)])
    _widths(sheet, [22, 14, *([12] * (len(KPI_COLUMNS) - 1)), 30])
    sheet.freeze_panes = "C2"


def _loss_sheet(sheet: Worksheet, report: ShiftReport, lang: ReportLanguage) -> None:
    _heading_row(sheet, [text("step", lang), text("minutes", lang), text("share_of_pbt", lang)])
    pbt = minutes(report.losses.pbt_us) or 0.0
    for label, value in waterfall_rows(report, lang):
        share = None if value is None or not pbt else abs(value) / pbt
        sheet.append([label, value, share])
        sheet.cell(row=sheet.max_row, column=2).number_format = MINUTES
        sheet.cell(row=sheet.max_row, column=3).number_format = PERCENT
    _widths(sheet, [34, 12, 16])


def _stop_sheet(sheet: Worksheet, report: ShiftReport, lang: ReportLanguage) -> None:
    keys = ("equipment", "start", "end", "lost_minutes", "state", "loss_type", "reason")
    _heading_row(sheet, [text(key, lang) for key in keys])
    for stop in report.top_stops:
        sheet.append([
            f"{stop.equipment.name} {stop.equipment.code}",
            _naive_local(from_us(stop.interval.start_us), report.timezone),
            _naive_local(from_us(stop.interval.end_us), report.timezone),
            minutes(stop.lost_us),
            state_label(stop.state, lang),
            category_label(stop.category, lang),
            reason_label(stop, lang),
        ])  # fmt: skip
        row = sheet.max_row
        sheet.cell(row=row, column=2).number_format = MOMENT
        sheet.cell(row=row, column=3).number_format = MOMENT
        sheet.cell(row=row, column=4).number_format = MINUTES
    sheet.append([])
    sheet.append([stops_note(report, lang)])
    _widths(sheet, [24, 20, 20, 12, 14, 14, 30])
    sheet.freeze_panes = "A2"


def render_xlsx(report: ShiftReport, lang: ReportLanguage = ReportLanguage.ZH) -> bytes:
    """The report as .xlsx bytes: report information and signatures, KPIs, loss waterfall, top stops."""
    workbook = Workbook()
    info = workbook.active
    assert info is not None
    names = SHEETS[lang]
    info.title = names[0]
    _info_sheet(info, report, lang)
    _kpi_sheet(workbook.create_sheet(names[1]), report, lang)
    _loss_sheet(workbook.create_sheet(names[2]), report, lang)
    _stop_sheet(workbook.create_sheet(names[3]), report, lang)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
