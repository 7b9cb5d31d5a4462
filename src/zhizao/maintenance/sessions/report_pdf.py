"""The session report as a PDF (A4) with reportlab.

Text is set in reportlab's CID font ``STSong-Light`` (Adobe-GB1), as the shift and diagnosis reports are: the server
needs no font file, and the PDF names the standard Chinese font that readers supply themselves. The font is not
embedded, so a reader without any Chinese font shows no Chinese glyphs, but the text layer (copy, search, screen
readers) is always right. The English report is set in the same font: names typed in Chinese stay readable.
"""

from __future__ import annotations

import io
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhizao.maintenance.sessions.report import SessionReport
from zhizao.maintenance.sessions.report_text import (
    CATEGORIES,
    COMMAND_STATUSES,
    END_REASONS,
    STATUSES,
    ReportLanguage,
    alarm_word,
    label,
    local,
    shown,
    text,
)
from zhizao.telemetry.timeutil import from_us
from zhizao.ui.pdf import GRID, HEADER_FILL, cjk_font, plain_paragraph, report_styles

MARGIN = 16 * mm
WIDTH = A4[0] - 2 * MARGIN


def _para(value: str, style: ParagraphStyle) -> Paragraph:
    return plain_paragraph(value, style, line_breaks=True)


def _table(rows: list[list[str]], widths: list[float], style: ParagraphStyle) -> Table:
    table = Table([[_para(cell, style) for cell in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
                ("GRID", (0, 0), (-1, -1), 0.4, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _consent_line(report: SessionReport, lang: ReportLanguage) -> str:
    facts, zone = report.consent, report.timezone
    if facts is None:
        return text("no_consent", lang) if report.content.session.consent_id is None else "—"
    until = text("until", lang, at=local(facts.expires_at, zone)) if facts.expires_at else text("until_revoked", lang)
    if facts.revoked_at is not None:
        until += "; " + text("revoked", lang, at=local(facts.revoked_at, zone))
    return text("consent_line", lang, id=facts.id, granted=local(facts.granted_at, zone), until=until)


def _header(report: SessionReport, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    s, zone = report.content.session, report.timezone
    status = label(STATUSES, s.status.value, lang)
    if s.end_reason is not None:
        status += f" ({label(END_REASONS, s.end_reason.value, lang)})"
    ended = local(s.ended_at, zone) if s.ended_at else text("still_open", lang)
    own_staff = s.operator_organisation_id == s.enterprise_id
    operator_org = text("own_staff", lang) if own_staff else s.operator_organisation_name
    pairs = [
        (text("session", lang), f"#{s.id}"),
        (text("equipment", lang), f"{s.equipment_name} ({s.equipment_code})"),
        (text("owner", lang), s.owner_name),
        (text("operator", lang), s.operator_name),
        (text("operator_org", lang), operator_org),
        (text("consent", lang), _consent_line(report, lang)),
        (text("purpose", lang), s.purpose),
        (text("period", lang), f"{local(s.opened_at, zone)} – {ended} ({zone})"),
        (text("status", lang), status),
        (text("generated_at", lang), local(report.generated_at, zone)),
    ]
    if s.summary:
        pairs.insert(9, (text("summary", lang), s.summary))
    table = Table(
        [[_para(k, styles["body"]), _para(v, styles["body"])] for k, v in pairs],
        colWidths=[32 * mm, WIDTH - 32 * mm],
        hAlign="LEFT",
    )
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, -1), (-1, -1), 0.6, GRID)]))
    return [_para(text("title", lang), styles["title"]), table]


def _findings(report: SessionReport, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [_para(text("findings", lang), styles["heading"])]
    rows = report.content.findings
    if not rows:
        return [*out, _para(text("no_findings", lang), styles["body"])]
    head = [text("time", lang), text("category", lang), text("text", lang), text("author", lang)]
    body = [
        [local(f.created_at, report.timezone), label(CATEGORIES, f.category.value, lang), f.text, f.author_name]
        for f in rows
    ]
    widths = [30 * mm, 22 * mm, WIDTH - 80 * mm, 28 * mm]
    return [*out, _table([head, *body], widths, styles["cell"])]


def _commands(report: SessionReport, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [_para(text("commands", lang), styles["heading"])]
    rows = report.content.commands
    if not rows:
        return [*out, _para(text("no_commands", lang), styles["body"])]
    head = [text("time", lang), text("signal", lang), text("old_new", lang), text("result", lang)]
    body = []
    for c in rows:
        result = label(COMMAND_STATUSES, c.status.value, lang)
        if c.read_back is not None:
            result += f" ({text('read_back', lang)} {shown(c.read_back)})"
        if c.detail:
            result += f" — {c.detail}"
        body.append([local(c.created_at, report.timezone), c.signal_name, f"{shown(c.old_value)} → {shown(c.value)}",
                     result])  # fmt: skip
    widths = [30 * mm, 40 * mm, 35 * mm, WIDTH - 105 * mm]
    return [*out, _table([head, *body], widths, styles["cell"])]


def _alarms(report: SessionReport, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    out: list[Flowable] = [_para(text("alarms", lang), styles["heading"])]
    rows = report.content.alarms
    if not rows:
        return [*out, _para(text("no_alarms", lang), styles["body"])]
    head = [text("time", lang), text("event", lang), text("state", lang), text("severity", lang),
            text("message", lang)]  # fmt: skip
    body = [
        [
            local(from_us(e.ts_us), report.timezone),
            alarm_word("event", e.event, lang),
            f"{alarm_word('state', e.from_state, lang)} → {alarm_word('state', e.to_state, lang)}",
            alarm_word("severity", e.severity, lang),
            f"{e.rule_id}: {e.message}" + (f" ({shown(e.value)})" if e.value is not None else ""),
        ]
        for e in rows
    ]
    widths = [30 * mm, 22 * mm, 38 * mm, 16 * mm, WIDTH - 106 * mm]
    return [*out, _table([head, *body], widths, styles["cell"])]


def _signatures(lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    cells = [[_para(f"{text('sign_operator', lang)}:", styles["body"]),
              _para(f"{text('sign_owner', lang)}:", styles["body"])]]  # fmt: skip
    table = Table(cells, colWidths=[WIDTH / 2, WIDTH / 2], rowHeights=[16 * mm], hAlign="LEFT")
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID)]))
    return [_para(text("signatures", lang), styles["heading"]), table]


def render_pdf(report: SessionReport, lang: ReportLanguage = ReportLanguage.ZH) -> bytes:
    styles = report_styles(cjk_wrap=True)
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
        title=f"{text('title', lang)} #{report.content.session.id}", author="zhizao",
    )  # fmt: skip
    story: list[Flowable] = [
        *_header(report, lang, styles),
        *_findings(report, lang, styles),
        *_commands(report, lang, styles),
        *_alarms(report, lang, styles),
        Spacer(1, 4 * mm),
        *_signatures(lang, styles),
    ]

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(cjk_font(), 8)
        canvas.drawCentredString(A4[0] / 2, 9 * mm, text("page", lang, page=canvas.getPageNumber()))
        canvas.restoreState()

    document.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
