"""The published smart-factory list and the case collection as A4 PDFs, in Chinese (default) or English.

Set with the diagnosis report's layout (``assessment.report_layout``): the CID font STSong-Light for Chinese, so the
server needs no font file, tables with a shaded header repeated on each page, and a running title with page numbers.
"""

from __future__ import annotations

import io
from collections.abc import Callable

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, SimpleDocTemplate, Spacer

from zhizao.assessment.report_layout import MARGIN, Styles, grid_table, page_frame, para, styles
from zhizao.assessment.report_text import ReportLanguage
from zhizao.programme.publications import (
    TEXT,
    Case,
    CaseCollection,
    SmartFactoryList,
    cost_text,
    district_name,
    industry_name,
    period,
    productivity_text,
    summary,
    translator,
)


def _document(buffer: io.BytesIO, title: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author="zhizao",
        leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN, bottomMargin=MARGIN,
    )  # fmt: skip


def _render(title: str, lang: ReportLanguage, story: Callable[[Styles, float], list[Flowable]]) -> bytes:
    buffer = io.BytesIO()
    document = _document(buffer, title)
    text = translator(lang)
    frame = page_frame(running_title=title, footer=lambda page: text(TEXT["page"]).format(page=page), lang=lang)
    document.build(story(styles(lang), document.width), onFirstPage=frame, onLaterPages=frame)
    return buffer.getvalue()


def smart_factories_pdf(listing: SmartFactoryList, lang: ReportLanguage = ReportLanguage.ZH) -> bytes:
    text = translator(lang)
    title = f"{text(TEXT['list_title'])} · {listing.edition.name}"

    def story(style: Styles, width: float) -> list[Flowable]:
        def cell(value: str) -> Paragraph:
            return para(value, style.cell, lang)

        counts = text(TEXT["counts"]).format(factories=len(listing.factories), benchmarks=listing.benchmarks)
        flowables: list[Flowable] = [para(title, style.title, lang), para(counts, style.body, lang), Spacer(1, 4 * mm)]
        if not listing.factories:
            return [*flowables, para(text(TEXT["none_recognised"]), style.body, lang)]
        header = [
            cell(text(TEXT[key])) for key in ("number", "enterprise", "industry", "district", "year", "benchmark")
        ]
        rows = [
            [
                cell(str(number)),
                cell(factory.enterprise_name),
                cell(industry_name(factory.industry, lang)),
                cell(district_name(factory.district, lang)),
                cell(str(factory.recognised_year or "")),
                cell(text(TEXT["yes"]) if factory.benchmark else ""),
            ]
            for number, factory in enumerate(listing.factories, start=1)
        ]
        widths = [w * width for w in (0.07, 0.37, 0.2, 0.14, 0.1, 0.12)]
        return [*flowables, grid_table([header, *rows], widths)]

    return _render(title, lang, story)


def _case_flowables(case: Case, style: Styles, width: float, lang: ReportLanguage) -> list[Flowable]:
    text = translator(lang)
    kind = text(TEXT["benchmark"] if case.benchmark else TEXT["smart_factory"])
    year = f" · {case.recognised_on.year}" if case.recognised_on else ""
    facts = f"{case.enterprise_name} · {industry_name(case.industry, lang)} · {district_name(case.district, lang)}"
    flowables: list[Flowable] = [
        para(case.title, style.heading, lang),
        para(f"{facts} · {kind}{year}", style.small, lang),
        Spacer(1, 2 * mm),
        para(summary(case, lang) or text(TEXT["no_summary"]), style.body, lang),
        Spacer(1, 2 * mm),
    ]
    result = case.result
    if result is None:
        return [*flowables, para(text(TEXT["not_verified"]), style.small, lang)]
    missing = text(TEXT["not_verified"])
    rows = [
        [para(text(TEXT[key]), style.cell, lang) for key in ("productivity", "cost", "baseline", "evaluation")],
        [
            para(productivity_text(result) or missing, style.cell, lang),
            para(cost_text(result) or missing, style.cell, lang),
            para(period(result.baseline_start, result.baseline_end), style.cell, lang),
            para(period(result.evaluation_start, result.evaluation_end), style.cell, lang),
        ],
    ]
    return [*flowables, grid_table(rows, [w * width for w in (0.2, 0.24, 0.28, 0.28)])]


def cases_pdf(collection: CaseCollection, lang: ReportLanguage = ReportLanguage.ZH) -> bytes:
    text = translator(lang)
    title = f"{text(TEXT['cases_title'])} · {collection.edition.name}"

    def story(style: Styles, width: float) -> list[Flowable]:
        flowables: list[Flowable] = [para(title, style.title, lang), para(text(TEXT["kpi_note"]), style.small, lang)]
        if not collection.cases:
            return [*flowables, para(text(TEXT["none_recognised"]), style.body, lang)]
        # A case's heading never stays alone at the foot of a page.
        return [*flowables, *(KeepTogether(_case_flowables(case, style, width, lang)) for case in collection.cases)]

    return _render(title, lang, story)
