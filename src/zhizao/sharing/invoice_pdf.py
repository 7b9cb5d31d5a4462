"""An invoice as a PDF (A4 landscape) with reportlab, in the shared CJK font of ``zhizao.ui.pdf``: the header
(number, parties, period, when issued, the meter log head it was computed from), per booking a table of its lines
with their meter intervals in local time and record ids, the totals, the credit notes, the tariff versions that
priced it and how to recompute it."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhizao.sharing import invoice_text as text
from zhizao.sharing.invoice_views import BookingLines, InvoiceView, cny, intervals_text, rates_text
from zhizao.ui.pdf import GRID, HEADER_FILL, cjk_font, plain_paragraph, report_styles

LINE_WIDTHS = [24 * mm, 14 * mm, 16 * mm, 22 * mm, 15 * mm, 20 * mm, 20 * mm, 58 * mm, 40 * mm, 44 * mm]
NOTE_FILL = colors.HexColor("#fff4d6")  # "billed by time only" and other notes stand out
MAX_INTERVALS = 12  # per line in the PDF; the Excel workbook lists every one


def _grid(rows: list[list[str | Paragraph]], widths: list[float], *, numeric: tuple[int, int] | None) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("FONTNAME", (0, 0), (-1, -1), cjk_font()),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    if numeric is not None:
        style.append(("ALIGN", (numeric[0], 1), (numeric[1], -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def _header(view: InvoiceView, zone: ZoneInfo, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    invoice = view.invoice
    issued = invoice.issued_at.astimezone(zone)
    pairs = [
        ("账单号", invoice.number),
        ("出租方", view.owner_name),
        ("承租方", view.lessee_name),
        ("账期", invoice.period),
        ("开具时间", f"{issued:%Y-%m-%d %H:%M} ({zone.key})"),
        ("状态", text.STATUS.get(invoice.status.value, invoice.status.value)),
        ("计量日志头", f"第 {invoice.head_seq} 条，哈希 {invoice.head_hash}"),
    ]
    cells = [[plain_paragraph(label, styles["body"]), plain_paragraph(value, styles["body"])] for label, value in pairs]
    table = Table(cells, colWidths=[28 * mm, 200 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle([
            ("LINEBELOW", (0, -1), (-1, -1), 0.6, GRID),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 0.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
        ])
    )  # fmt: skip
    return [plain_paragraph(text.TITLE, styles["title"]), table]


def _booking(group: BookingLines, zone: ZoneInfo, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    cell = styles["cell"]
    window = f"{group.start_at.astimezone(zone):%Y-%m-%d %H:%M}–{group.end_at.astimezone(zone):%Y-%m-%d %H:%M}"
    rows: list[list[str | Paragraph]] = [[plain_paragraph(label, cell) for label in text.LINE_COLUMNS]]
    noted: list[int] = []
    for line in group.lines:
        if line.note:
            noted.append(len(rows))
        rows.append([
            plain_paragraph(text.kind_label(line.kind), cell), f"v{line.tariff_version}", line.component or "",
            line.quantity, text.unit_label(line.unit), line.unit_rate, f"{cny(line.amount_cny):,.2f}",
            plain_paragraph(intervals_text(line.intervals, zone, MAX_INTERVALS), cell),
            plain_paragraph(", ".join(line.record_ids), cell), plain_paragraph(line.note or "", cell),
        ])  # fmt: skip
    rows.append(["小计", "", "", "", "", "", f"{group.subtotal:,.2f}", "", "", ""])
    table = _grid(rows, LINE_WIDTHS, numeric=(3, 6))
    table.setStyle(TableStyle([("BACKGROUND", (0, row), (-1, row), NOTE_FILL) for row in noted]))
    heading = text.booking_heading(group.booking_id, group.listing_title, window)
    return [plain_paragraph(heading, styles["heading"]), table]


def _totals(view: InvoiceView, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    rows: list[list[str | Paragraph]] = [["", "金额（元）"], ["账单合计", f"{cny(view.invoice.total_cny):,.2f}"]]
    if view.credit_notes:
        rows += [["贷项通知单合计", f"-{view.credited:,.2f}"], ["应付余额", f"{view.balance:,.2f}"]]
    return [KeepTogether([plain_paragraph("合计", styles["heading"]), _grid(rows, [40 * mm, 30 * mm], numeric=(1, 1))])]


def _credit_notes(view: InvoiceView, zone: ZoneInfo, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    if not view.credit_notes:
        return []
    cell = styles["cell"]
    by_dispute = {dispute.id: dispute for dispute in view.disputes}
    rows: list[list[str | Paragraph]] = [
        [plain_paragraph(h, cell) for h in ("编号", "行", "金额（元）", "开具时间", "理由")]
    ]
    for note in view.credit_notes:
        dispute = by_dispute.get(note.dispute_id)
        position = view.line_numbers.get(dispute.line_id, "") if dispute else ""
        rows.append([
            note.number, str(position), f"{cny(note.amount_cny):,.2f}",
            f"{note.issued_at.astimezone(zone):%Y-%m-%d %H:%M}", plain_paragraph(note.reason, cell),
        ])  # fmt: skip
    widths = [50 * mm, 12 * mm, 24 * mm, 30 * mm, 150 * mm]
    return [plain_paragraph("贷项通知单", styles["heading"]), _grid(rows, widths, numeric=(2, 2))]


def _tariffs(view: InvoiceView, zone: ZoneInfo, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    cell = styles["cell"]
    rows: list[list[str | Paragraph]] = [[plain_paragraph(h, cell) for h in ("设备", "版本", "生效时间", "费率")]]
    for tariff in view.tariffs:
        title = view.listing_titles.get(tariff.listing_id, str(tariff.listing_id))
        rows.append([
            plain_paragraph(title, cell), f"v{tariff.version}", f"{tariff.valid_from.astimezone(zone):%Y-%m-%d %H:%M}",
            plain_paragraph(rates_text(tariff.rates), cell),
        ])  # fmt: skip
    return [
        plain_paragraph("价目版本", styles["heading"]),
        _grid(rows, [48 * mm, 14 * mm, 30 * mm, 180 * mm], numeric=None),
    ]


def render_pdf(view: InvoiceView, zone: ZoneInfo) -> bytes:
    """The invoice as PDF bytes."""
    styles = report_styles(heading_space_before=3 * mm, cjk_wrap=True)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=landscape(A4), title=f"{text.TITLE} {view.invoice.number}", author="zhizao",
        leftMargin=12 * mm, rightMargin=12 * mm, topMargin=12 * mm, bottomMargin=12 * mm,
    )  # fmt: skip
    story: list[Flowable] = [*_header(view, zone, styles)]
    for group in view.bookings:
        story += _booking(group, zone, styles)
    story += [*_totals(view, styles), *_credit_notes(view, zone, styles), *_tariffs(view, zone, styles)]
    story += [Spacer(1, 4 * mm), plain_paragraph(text.recompute_help(view), styles["body"])]
    document.build(story)
    return buffer.getvalue()
