"""Fonts, paragraph styles, tables and the page frame (header line, page numbers) of the diagnosis report.

Chinese is set in reportlab's CID font ``STSong-Light`` (Adobe-GB1): the server needs no font file, and the PDF
names the standard Chinese font that readers supply themselves (Adobe Reader's Asian font pack, SimSun on Chinese
Windows, any CJK font a Linux viewer finds). It is not embedded, so a viewer with no Chinese font at all shows
blanks where the glyphs go while the text layer stays right. The English report is set in Helvetica, which has no
Chinese glyphs; names a user typed in Chinese (the enterprise, experts) are switched to the CID font run by run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import Paragraph, Table, TableStyle

from zhizao.assessment.report_text import ReportLanguage
from zhizao.ui.pdf import GRID, HEADER_FILL, cjk_font

LATIN_FONT = "Helvetica"
LATIN_BOLD_FONT = "Helvetica-Bold"
INK = colors.HexColor("#1b2430")
MUTED = colors.HexColor("#5b6675")
MARGIN = 18 * mm


def base_font(lang: ReportLanguage) -> str:
    return cjk_font() if lang is ReportLanguage.ZH else LATIN_FONT


def heading_font(lang: ReportLanguage) -> str:
    # The CID font has no bold face; Chinese headings stand out by size alone.
    return cjk_font() if lang is ReportLanguage.ZH else LATIN_BOLD_FONT


@dataclass(frozen=True, slots=True)
class Styles:
    lang: ReportLanguage
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle
    cell: ParagraphStyle
    big: ParagraphStyle


def styles(lang: ReportLanguage) -> Styles:
    body, heading = base_font(lang), heading_font(lang)
    # Chinese has no spaces to break at: without CJK wrapping a long requirement text overflows its table cell.
    wrap = "CJK" if lang is ReportLanguage.ZH else None
    return Styles(
        lang=lang,
        title=ParagraphStyle("title", fontName=heading, fontSize=20, leading=26, spaceAfter=6 * mm, textColor=INK),
        heading=ParagraphStyle(
            "heading", fontName=heading, fontSize=13, leading=17, spaceBefore=5 * mm, spaceAfter=2 * mm, textColor=INK
        ),
        body=ParagraphStyle("body", fontName=body, fontSize=9.5, leading=13, textColor=INK, wordWrap=wrap),
        small=ParagraphStyle("small", fontName=body, fontSize=8, leading=11, textColor=MUTED, wordWrap=wrap),
        cell=ParagraphStyle("cell", fontName=body, fontSize=8, leading=10.5, textColor=INK, wordWrap=wrap),
        big=ParagraphStyle("big", fontName=heading, fontSize=16, leading=20, textColor=INK),
    )


def script_runs(value: str) -> list[tuple[str, bool]]:
    """``value`` cut into runs of characters inside Latin-1 (False) and outside it (True), in order."""
    runs: list[tuple[str, bool]] = []
    for char in value:
        outside = ord(char) > 0xFF
        if runs and runs[-1][1] == outside:
            runs[-1] = (runs[-1][0] + char, outside)
        else:
            runs.append((char, outside))
    return runs


def markup(value: str, lang: ReportLanguage) -> str:
    """Plain text as paragraph markup: escaped (names may hold ``<`` or ``&``), and in the English report every run
    of characters Helvetica cannot show (outside Latin-1) switched to the CID font."""
    if lang is ReportLanguage.ZH:
        return escape(value)
    return "".join(
        f'<font name="{cjk_font()}">{escape(run)}</font>' if outside else escape(run)
        for run, outside in script_runs(value)
    )


def para(value: str, style: ParagraphStyle, lang: ReportLanguage) -> Paragraph:
    return Paragraph(markup(value, lang), style)


def grid_table(
    rows: list[list[Paragraph]], widths: list[float], *, numeric_from: int | None = None, align_left: bool = True
) -> Table:
    """A table with a shaded header row repeated on each page, thin grid lines and, from ``numeric_from``, right
    aligned columns."""
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT" if align_left else "CENTER")
    style: list[tuple[object, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if numeric_from is not None:
        style.append(("ALIGN", (numeric_from, 1), (-1, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


PageDecorator = Callable[[Any, Any], None]


def page_frame(*, running_title: str, footer: Callable[[int], str], lang: ReportLanguage) -> PageDecorator:
    """What every page gets drawn around its story: a running title and rule at the top (not on the cover page)
    and the page number at the bottom. ``footer(page)`` gives the number's text."""

    def decorate(canvas: Any, document: Any) -> None:
        page = int(canvas.getPageNumber())
        width, height = document.pagesize
        canvas.saveState()
        canvas.setFillColor(MUTED)
        if page > 1:
            draw_text(canvas, MARGIN, height - 11 * mm, running_title, lang, 8)
            canvas.setStrokeColor(GRID)
            canvas.setLineWidth(0.4)
            canvas.line(MARGIN, height - 12.5 * mm, width - MARGIN, height - 12.5 * mm)
        label = footer(page)
        draw_text(canvas, (width - text_width(label, lang, 8)) / 2, 10 * mm, label, lang, 8)
        canvas.restoreState()

    return decorate


def _font_runs(value: str, lang: ReportLanguage) -> list[tuple[str, str]]:
    """``value`` cut into (text, font) runs: one run in the Chinese report, Latin-1 and other runs in the English."""
    runs: list[tuple[str, str]] = []
    for run, outside in script_runs(value):
        font = cjk_font() if outside or lang is ReportLanguage.ZH else LATIN_FONT
        if runs and runs[-1][1] == font:
            runs[-1] = (runs[-1][0] + run, font)
        else:
            runs.append((run, font))
    return runs


def text_width(value: str, lang: ReportLanguage, size: float) -> float:
    return float(sum(pdfmetrics.stringWidth(run, font, size) for run, font in _font_runs(value, lang)))


def draw_text(canvas: Any, x: float, y: float, value: str, lang: ReportLanguage, size: float) -> None:
    """Draw ``value`` from ``x``, run by run in the font that can show it."""
    for run, font in _font_runs(value, lang):
        canvas.setFont(font, size)
        canvas.drawString(x, y, run)
        x += pdfmetrics.stringWidth(run, font, size)
