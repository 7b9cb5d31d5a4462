"""The shift report as a PDF (A4 landscape) with reportlab.

Text is set in reportlab's CID font ``STSong-Light`` (Adobe-GB1): the server needs no font file, and the PDF
names the standard Chinese font that PDF readers supply themselves (Adobe Reader's Asian font pack, SimSun on
Chinese Windows). The font is not embedded, so a reader with no Chinese font at all shows the text layer but no
Chinese glyphs; the text layer is always right, which is what copy, search and screen readers use.
"""

from __future__ import annotations

import io

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhizao.production.shift_report import ShiftReport
from zhizao.production.shift_report_text import (
    KPI_COLUMNS,
    Cell,
    CellKind,
    ReportLanguage,
    category_label,
    local,
    minutes,
    reason_label,
    shift_label,
    state_label,
    stop_time,
    stops_note,
    text,
    total_figures,
    waterfall_rows,
)
from zhizao.telemetry.timeutil import from_us
from zhizao.ui.pdf import GRID, HEADER_FILL, cjk_font, report_styles
from zhizao.ui.pdf import plain_paragraph as _para


def _shown(value: Cell, kind: CellKind) -> str:
    if value is None:
        return "—"
    if kind is CellKind.RATIO:
        assert isinstance(value, float | int)
        return f"{value * 100:.1f}%"
    if kind is CellKind.MINUTES:
        assert isinstance(value, float | int)
        return f"{value:,.1f}"
    if kind is CellKind.COUNT:
        return f"{value:,}"
    return str(value)


def _table(rows: list[list[str | Paragraph]], widths: list[float], *, numeric_from: int, bold_last: bool) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1)
    style = [
        ("FONTNAME", (0, 0), (-1, -1), cjk_font()),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    if bold_last:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f7f9fb")))
    table.setStyle(TableStyle(style))
    return table


def _header(report: ShiftReport, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    generated = local(report.generated_at, report.timezone)
    scope = f"{report.scope_name} ({report.scope_code})" if report.scope_code else report.scope_name
    pairs = [
        (text("enterprise", lang), report.enterprise),
        (text("scope", lang), scope),
        (text("date", lang), report.period.day.isoformat()),
        (text("shift", lang), shift_label(report, lang)),
        (text("generated_at", lang), f"{generated:%Y-%m-%d %H:%M} ({report.timezone})"),
    ]
    cells = [[_para(label, styles["body"]), _para(value, styles["body"])] for label, value in pairs]
    table = Table(cells, colWidths=[32 * mm, 120 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle([
            ("LINEBELOW", (0, -1), (-1, -1), 0.6, GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 0.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
        ])
    )  # fmt: skip
    return [_para(text("title", lang), styles["title"]), table]


def _kpi_section(report: ShiftReport, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    head: list[str | Paragraph] = [_para(text("equipment", lang), styles["cell"])]
    head += [_para(column.label(lang), styles["cell"]) for column in KPI_COLUMNS]
    rows = [head]
    for figures in (*report.equipment, total_figures(report, lang)):
        name = f"{figures.name} {figures.code}".strip()
        cells: list[str | Paragraph] = [_para(name, styles["cell"])]
        for column in KPI_COLUMNS:
            shown = _shown(column.value(figures, lang), column.kind)
            cells.append(_para(shown, styles["cell"]) if column.kind is CellKind.TEXT else shown)
        rows.append(cells)
    widths = [48 * mm] + [17 * mm] * (len(KPI_COLUMNS) - 1) + [42 * mm]
    return [
        _para(text("kpis", lang), styles["heading"]),
        _table(rows, widths, numeric_from=1, bold_last=True),
        Spacer(1, 1.5 * mm),
        _para(text("kpi_note", lang), styles["body"]),
    ]


def _loss_section(report: ShiftReport, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    pbt = minutes(report.losses.pbt_us) or 0.0
    rows: list[list[str | Paragraph]] = [[text("step", lang), text("minutes", lang), text("share_of_pbt", lang)]]
    for label, value in waterfall_rows(report, lang):
        share = None if value is None or not pbt else abs(value) / pbt
        rows.append([label, _shown(value, CellKind.MINUTES), _shown(share, CellKind.RATIO)])
    table = _table(rows, [70 * mm, 28 * mm, 32 * mm], numeric_from=1, bold_last=False)
    table.hAlign = "LEFT"
    return [_para(text("losses", lang), styles["heading"]), table]


def _stop_section(report: ShiftReport, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    note = stops_note(report, lang)
    parts: list[Flowable] = [
        _para(text("stops", lang), styles["heading"]),
        _para(note, styles["body"]),
    ]
    if not report.top_stops:
        return [*parts, _para(text("no_stops", lang), styles["body"])]
    keys = ("equipment", "start", "end", "lost_minutes", "state", "loss_type", "reason")
    rows: list[list[str | Paragraph]] = [[_para(text(key, lang), styles["cell"]) for key in keys]]
    for stop in report.top_stops:
        interval = stop.interval
        rows.append([
            _para(f"{stop.equipment.name} {stop.equipment.code}", styles["cell"]),
            stop_time(from_us(interval.start_us), report),
            stop_time(from_us(interval.end_us), report),
            _shown(minutes(stop.lost_us), CellKind.MINUTES),
            _para(state_label(stop.state, lang), styles["cell"]),
            _para(category_label(stop.category, lang), styles["cell"]),
            _para(reason_label(stop, lang), styles["cell"]),
        ])  # fmt: skip
    widths = [52 * mm, 26 * mm, 26 * mm, 20 * mm, 28 * mm, 28 * mm, 80 * mm]
    return [*parts, Spacer(1, 1.5 * mm), _table(rows, widths, numeric_from=3, bold_last=False)]


def _signatures(lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    blank = "_" * 22
    line = "　　　　".join(
        f"{text(key, lang)}：{blank}" for key in ("shift_leader", "workshop_director", "signature_date")
    )
    return [Spacer(1, 8 * mm), _para(line, styles["body"])]


def render_pdf(report: ShiftReport, lang: ReportLanguage = ReportLanguage.ZH) -> bytes:
    """The report as PDF bytes: header, KPI table, loss waterfall, top stops, signature line."""
    styles = report_styles(heading_space_before=3 * mm)
    buffer = io.BytesIO()
    title = f"{text('title', lang)} {report.scope_name} {report.period.key}"
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), title=title, author="zhizao",
        leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
    )  # fmt: skip
    story = [
        *_header(report, lang, styles),
        *_kpi_section(report, lang, styles),
        *_loss_section(report, lang, styles),
        *_stop_section(report, lang, styles),
        *_signatures(lang, styles),
    ]
    document.build(story)
    return buffer.getvalue()
