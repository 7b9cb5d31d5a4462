"""The maturity diagnosis report (诊断报告) as a PDF, in Chinese or English, built from the pure assessment types.

The service hands over what it already has — the enterprise's particulars, the :class:`ScoreResult`, the
:class:`GapPlan`, the expert team and optionally a :class:`Benchmark` — as a :class:`ReportInput`::

    pdf = render_pdf(ReportInput(enterprise_name="…", …, score=result, gaps=plan, experts=team), lang="zh")

The report holds a cover with the overall result, a radar chart of the domain scores at the next level, the level
scores, strengths, gaps, the roadmap with the integrators that cover each item, the industry benchmark, the expert
team and a signatures block; every page is numbered "第 n 页 / 共 N 页" so a signed copy shows a missing page.
A self-assessment's report (``ReportInput(kind=AssessmentKind.SELF, experts=[])``) is titled 自评估报告, says its
ratings are self-declared, lists no team and is signed by the enterprise only.
The ratings workbook is :func:`render_ratings_xlsx` (``report_xlsx.py``).
"""

from __future__ import annotations

import io

from reportlab.lib.pagesizes import A4
from reportlab.platypus import Flowable, SimpleDocTemplate

from zhizao.assessment.model import MaturityModel, load_model
from zhizao.assessment.report_input import (
    ReportExpert,
    ReportInput,
    Strength,
    check_report_input,
    radar_level,
    strengths,
)
from zhizao.assessment.report_layout import MARGIN, page_frame, styles
from zhizao.assessment.report_sections import (
    ReportFacts,
    benchmark_section,
    cover,
    experts_section,
    gaps_section,
    level_table,
    radar_section,
    roadmap_section,
    signatures,
    strengths_section,
)
from zhizao.assessment.report_text import ReportLanguage, report_language, text
from zhizao.assessment.report_xlsx import RaterRating, render_ratings_xlsx, sheet_rows

__all__ = [
    "RaterRating",
    "ReportExpert",
    "ReportInput",
    "ReportLanguage",
    "Strength",
    "check_report_input",
    "radar_level",
    "render_pdf",
    "render_ratings_xlsx",
    "sheet_rows",
    "strengths",
]


def render_pdf(report: ReportInput, lang: str = "zh", *, model: MaturityModel | None = None) -> bytes:
    """The diagnosis or self-assessment report as PDF bytes (A4). ``model`` defaults to the shipped version the
    report names."""
    language = report_language(lang)
    model = model or load_model(report.model_version)
    check_report_input(report, model)
    facts = ReportFacts(report=report, model=model, lang=language, strengths=report.strengths)
    # The footer says "page n of N"; N is known only once the story is laid out, so lay it out once to count
    # the pages (the footer sits outside the frame and cannot change the count), then again to draw.
    pages = len(_build(facts, total_pages=None)[1])
    return _build(facts, total_pages=pages)[0]


def _build(facts: ReportFacts, *, total_pages: int | None) -> tuple[bytes, list[int]]:
    language = facts.lang
    buffer = io.BytesIO()
    title = facts.title()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=f"{title} {facts.report.enterprise_name}",
        author="zhizao",
        subject=f"{facts.report.model_version} {facts.report.diagnosis_date.isoformat()}",
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN,
    )
    seen: list[int] = []

    def footer(page: int) -> str:
        seen.append(page)
        return text("page", language, page=page, pages=total_pages or "?")

    frame = page_frame(running_title=f"{facts.report.enterprise_name} · {title}", footer=footer, lang=language)
    document.build(_story(facts, document.width), onFirstPage=frame, onLaterPages=frame)
    return buffer.getvalue(), seen


def _story(facts: ReportFacts, width: float) -> list[Flowable]:
    style = styles(facts.lang)
    return [
        *cover(facts, style, width),
        *radar_section(facts, style, width),
        *level_table(facts, style, width),
        *strengths_section(facts, style, width),
        *gaps_section(facts, style, width),
        *roadmap_section(facts, style, width),
        *benchmark_section(facts, style, width),
        *experts_section(facts, style, width),
        *signatures(facts, style, width),
    ]
