"""The monthly optimisation report of a line as a PDF (A4 portrait) with reportlab: figures, charts, advice.

Text is set in reportlab's CID font ``STSong-Light`` like production's shift report: no font file on the server,
the PDF names the standard Chinese font that readers supply. Charts are reportlab drawings (vector, no image
library), their labels in the same font.
"""

from __future__ import annotations

import io
from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.graphics.charts.barcharts import HorizontalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from zhizao.maintenance.optimisation.energy import EnergyUse
from zhizao.maintenance.optimisation.report_text import (
    ReportLanguage,
    loss_label,
    names,
    number,
    pct,
    recommendations,
    text,
    throughput_sentence,
    use_label,
)
from zhizao.maintenance.optimisation.schemas import EnergyStatus, LineOptimisation, Status
from zhizao.ui.pdf import GRID, HEADER_FILL, cjk_font, report_styles
from zhizao.ui.pdf import plain_paragraph as _para

SOLE, SHIFTING = colors.HexColor("#c0392b"), colors.HexColor("#f0a35e")
USE_COLOURS = {
    EnergyUse.PRODUCING: colors.HexColor("#2f6fb3"),
    EnergyUse.SETUP: colors.HexColor("#7fa7d6"),
    EnergyUse.IDLE: colors.HexColor("#d9822b"),
    EnergyUse.STANDBY: colors.HexColor("#f2c14e"),
    EnergyUse.DOWN: colors.HexColor("#8e8e8e"),
    EnergyUse.UNKNOWN: colors.HexColor("#d5d5d5"),
}
WIDTH = 180 * mm


def _table(rows: list[list[str | Paragraph]], widths: list[float]) -> Table:
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle([
            ("FONTNAME", (0, 0), (-1, -1), cjk_font()),
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
            ("GRID", (0, 0), (-1, -1), 0.4, GRID),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ])
    )  # fmt: skip
    return table


def _bars(labels: list[str], series: list[tuple[str, colors.Color, list[float]]], *, value_label: str) -> Drawing:
    """Stacked horizontal bars, one per label, with a legend below."""
    height = 22 * mm + 7 * mm * max(1, len(labels))
    drawing = Drawing(WIDTH, height)
    chart = HorizontalBarChart()
    chart.x, chart.y = 55 * mm, 16 * mm
    chart.width, chart.height = WIDTH - 65 * mm, height - 20 * mm
    chart.data = [values for _, _, values in series]
    chart.categoryAxis.categoryNames = labels
    chart.categoryAxis.labels.fontName = cjk_font()
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.style = "stacked"
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labels.fontName = cjk_font()
    chart.valueAxis.labels.fontSize = 7
    for index, (_, colour, _values) in enumerate(series):
        chart.bars[index].fillColor = colour
        chart.bars[index].strokeColor = None
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 55 * mm, 6 * mm
    legend.fontName = cjk_font()
    legend.fontSize = 7
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.dx = legend.dy = 6
    legend.colorNamePairs = [(colour, name) for name, colour, _ in series] + [(colors.white, value_label)]
    drawing.add(legend)
    return drawing


def _header(
    result: LineOptimisation, month: str, lang: ReportLanguage, styles: dict[str, ParagraphStyle]
) -> list[Flowable]:
    zone = ZoneInfo(result.timezone)
    window = (
        f"{result.window_start.astimezone(zone):%Y-%m-%d %H:%M} – {result.window_end.astimezone(zone):%Y-%m-%d %H:%M}"
    )
    pairs = [
        (text("line", lang), f"{result.node_name} ({result.node_code})"),
        (text("month", lang), month),
        (text("window", lang), f"{window} ({result.timezone})"),
        (text("generated_at", lang), f"{datetime.now(zone):%Y-%m-%d %H:%M}"),
    ]
    table = Table([[_para(a, styles["body"]), _para(b, styles["body"])] for a, b in pairs],
                  colWidths=[30 * mm, 140 * mm], hAlign="LEFT")  # fmt: skip
    table.setStyle(TableStyle([("LINEBELOW", (0, -1), (-1, -1), 0.6, GRID)]))
    return [_para(text("title", lang), styles["title"]), table]


def _bottleneck(result: LineOptimisation, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    parts: list[Flowable] = [_para(text("bottleneck", lang), styles["heading"])]
    found = result.bottleneck
    if found.status is not Status.OK:
        return [*parts, _para(text("one_machine", lang), styles["body"])]
    label = names(result)
    rows: list[list[str | Paragraph]] = [
        [_para(text(key, lang), styles["cell"]) for key in ("equipment", "active_ratio", "sole", "shifting")]
    ]
    for share in found.machines:
        star = " ★" if share.equipment_id == found.primary_equipment_id else ""
        rows.append([_para(label[share.equipment_id] + star, styles["cell"]), pct(share.active_ratio),
                     pct(share.sole_share), pct(share.shifting_share)])  # fmt: skip
    chart = _bars(
        [label[s.equipment_id] for s in found.machines],
        [(text("sole", lang), SOLE, [s.sole_share * 100 for s in found.machines]),
         (text("shifting", lang), SHIFTING, [s.shifting_share * 100 for s in found.machines])],
        value_label="%",
    )  # fmt: skip
    parts += [_table(rows, [80 * mm, 30 * mm, 30 * mm, 30 * mm]), Spacer(1, 2 * mm), chart]
    parts.append(_para(text("bottleneck_note", lang), styles["body"]))
    sentence = throughput_sentence(result, lang)
    if sentence:
        parts += [
            _para(text("throughput", lang), styles["heading"]),
            _para(sentence, styles["body"]),
        ]
    return parts


def _energy(result: LineOptimisation, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    parts: list[Flowable] = [
        _para(text("energy", lang), styles["heading"]),
        _para(text("energy_note", lang).format(tariff=result.energy.tariff_cny_per_kwh), styles["body"]),
        Spacer(1, 1.5 * mm),
    ]
    label = names(result)
    keys = ("equipment", "kwh", "producing_kwh", "waste_kwh", "waste_cny", "per_unit")
    rows: list[list[str | Paragraph]] = [[_para(text(key, lang), styles["cell"]) for key in keys]]
    metered = []
    for row in result.energy.machines:
        name = _para(label[row.equipment_id], styles["cell"])
        if row.status is not EnergyStatus.OK:
            rows.append([name, text(row.status.value, lang), "", "", "", ""])
            continue
        metered.append(row)
        rows.append([name, number(row.total_kwh), number(row.kwh.get(EnergyUse.PRODUCING)), number(row.waste_kwh),
                     number(float(row.waste_cny or 0), 2), number(row.kwh_per_good_unit, 3)])  # fmt: skip
    parts.append(_table(rows, [60 * mm, 22 * mm, 24 * mm, 24 * mm, 20 * mm, 24 * mm]))
    if metered:
        uses = [use for use in EnergyUse if any(row.kwh.get(use) for row in metered)]
        series = [(use_label(use, lang), USE_COLOURS[use], [row.kwh.get(use, 0.0) for row in metered]) for use in uses]
        parts += [Spacer(1, 2 * mm), _bars([label[row.equipment_id] for row in metered], series, value_label="kWh")]
    return parts


def _losses(result: LineOptimisation, lang: ReportLanguage, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    parts: list[Flowable] = [_para(text("losses", lang), styles["heading"])]
    if result.losses.status is not Status.OK or not result.losses.items:
        return [*parts, _para(text("no_losses", lang), styles["body"])]
    label = names(result)
    keys = ("equipment", "loss", "lost_hours", "gain_units", "gain_points")
    rows: list[list[str | Paragraph]] = [[_para(text(key, lang), styles["cell"]) for key in keys]]
    for item in result.losses.items:
        star = " ★" if item.on_bottleneck else ""
        rows.append([_para(label[item.equipment_id] + star, styles["cell"]), _para(loss_label(item.kind, lang),
                     styles["cell"]), number(item.lost_s / 3600), number(item.gained_good_units, 0),
                     number(item.line_oee_points, 2)])  # fmt: skip
    top = [item for item in result.losses.items if item.line_oee_points is not None][:8]
    chart = _bars(
        [f"{label[item.equipment_id]} · {loss_label(item.kind, lang)}" for item in top],
        [(text("gain_points", lang), colors.HexColor("#2f6fb3"), [item.line_oee_points or 0.0 for item in top])],
        value_label="",
    )  # fmt: skip
    parts += [_table(rows, [60 * mm, 34 * mm, 22 * mm, 26 * mm, 30 * mm]), Spacer(1, 2 * mm)]
    if top:
        parts.append(chart)
    return [*parts, _para(text("losses_note", lang), styles["body"])]


def render_pdf(result: LineOptimisation, month: str, lang: ReportLanguage = ReportLanguage.ZH) -> bytes:
    """The report as PDF bytes: header, bottleneck and throughput gain, energy, losses, recommendations."""
    styles = report_styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, title=f"{text('title', lang)} {result.node_name} {month}", author="zhizao",
        leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm, bottomMargin=14 * mm,
    )  # fmt: skip
    story: list[Flowable] = _header(result, month, lang, styles)
    if result.status is Status.NOT_ENOUGH_DATA:
        story += [Spacer(1, 4 * mm), _para(text("not_enough_data", lang), styles["body"])]
    else:
        story += [*_bottleneck(result, lang, styles), *_energy(result, lang, styles), *_losses(result, lang, styles)]
    story.append(_para(text("recommendations", lang), styles["heading"]))
    story += [_para(f"{index}. {line}", styles["body"]) for index, line in enumerate(recommendations(result, lang), 1)]
    document.build(story)
    return buffer.getvalue()
