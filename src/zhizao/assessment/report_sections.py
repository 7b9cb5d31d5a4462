"""The report's sections, each a list of platypus flowables, in the order the report prints them. A self-assessment's
report differs in its title, date label, confidence note, team section and signatures (``ReportFacts.self_assessed``).
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from zhizao.assessment.benchmark import Distribution
from zhizao.assessment.model import MaturityModel
from zhizao.assessment.report_input import ReportInput, Strength, radar_level
from zhizao.assessment.report_layout import Styles, base_font, grid_table, markup, para
from zhizao.assessment.report_radar import RadarAxis, radar_chart
from zhizao.assessment.report_text import (
    ReportLanguage,
    enterprise_type_label,
    level_label,
    model_text,
    percent_text,
    score_text,
    text,
)
from zhizao.assessment.scoring import LevelScore
from zhizao.ui.pdf import GRID, HEADER_FILL


@dataclass(frozen=True, slots=True)
class ReportFacts:
    report: ReportInput
    model: MaturityModel
    lang: ReportLanguage
    strengths: list[Strength]

    @property
    def self_assessed(self) -> bool:
        return self.report.self_assessed

    def title(self) -> str:
        return self.t("title_self" if self.self_assessed else "title")

    def t(self, key: str, **values: object) -> str:
        return text(key, self.lang, **values)

    def domain_name(self, key: str) -> str:
        return model_text(next(domain.name for domain in self.model.domains if domain.key == key), self.lang)

    def subdomain_name(self, key: str) -> str:
        """The sub-domain's name, after its domain's when the domain has several (``生产 / 计划与调度``)."""
        domain = next(domain for domain in self.model.domains if any(sub.key == key for sub in domain.subdomains))
        sub = next(sub for sub in domain.subdomains if sub.key == key)
        if len(domain.subdomains) == 1:
            return model_text(sub.name, self.lang)
        return f"{model_text(domain.name, self.lang)} / {model_text(sub.name, self.lang)}"

    def level(self, level: int) -> str:
        return level_label(self.model, level, self.lang)

    def level_score(self, level: int) -> LevelScore | None:
        return next((entry for entry in self.report.score.levels if entry.level == level), None)

    def threshold(self) -> str:
        return f"{self.report.score.threshold:.2f}"


def _cells(facts: ReportFacts, values: list[str], style: Styles, *, header: bool = False) -> list[Paragraph]:
    """One table row of paragraphs (they wrap in their column); a newline in a value starts a new line."""
    chosen = style.small if header else style.cell
    return [Paragraph("<br/>".join(markup(line, facts.lang) for line in value.split("\n")), chosen) for value in values]


def _heading(facts: ReportFacts, key: str, style: Styles) -> Paragraph:
    return para(facts.t(key), style.heading, facts.lang)


def cover(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    report, lang = facts.report, facts.lang
    particulars = [
        ("enterprise", report.enterprise_name),
        ("industry", report.industry),
        ("enterprise_type", enterprise_type_label(report.enterprise_type, lang)),
        ("model_version", f"{model_text(facts.model.title, lang)} ({facts.model.version})"),
        ("assessment_date" if facts.self_assessed else "diagnosis_date", report.diagnosis_date.isoformat()),
    ]
    info = Table(
        [[para(facts.t(key), style.body, lang), para(value, style.body, lang)] for key, value in particulars],
        colWidths=[34 * mm, width - 34 * mm],
        hAlign="LEFT",
    )
    info.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, -1), 0.4, GRID), ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    score = report.score
    result = Table(
        [
            [para(facts.t("overall_score"), style.body, lang), para(f"{score.overall:.2f}", style.big, lang)],
            [para(facts.t("level"), style.body, lang), para(facts.level(score.level), style.big, lang)],
            [para(facts.t("confidence"), style.body, lang), para(percent_text(score.confidence), style.big, lang)],
        ],
        colWidths=[34 * mm, width - 34 * mm],
        hAlign="LEFT",
    )
    result.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), HEADER_FILL),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    notes = [facts.t("score_note", threshold=facts.threshold()), facts.t("confidence_note", rated=score.rated_items)]
    if facts.self_assessed:
        notes.append(facts.t("self_declared_note"))
    if score.provisional:
        notes.append(facts.t("provisional", count=len(score.unrated_items)))
    # A self-assessment says so right under the title, so nobody takes it for an expert diagnosis.
    subtitle = [para(facts.t("subtitle_self"), style.body, lang), Spacer(1, 3 * mm)] if facts.self_assessed else []
    return [
        para(facts.title(), style.title, lang),
        *subtitle,
        info,
        _heading(facts, "result", style),
        result,
        Spacer(1, 2 * mm),
        *(para(note, style.small, lang) for note in notes),
    ]


def radar_section(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    level = radar_level(facts.report.score)
    found = facts.level_score(level)
    parts: list[Flowable] = [_heading(facts, "radar", style)]
    if found is None or not found.domains:
        return [*parts, para(facts.t("not_scored"), style.body, facts.lang)]
    axes = [RadarAxis(facts.domain_name(domain.key), domain.score) for domain in found.domains]
    chart = radar_chart(
        axes,
        width=width,
        caption=facts.t("radar_caption", level=facts.level(level)),
        threshold=facts.report.score.threshold,
        legend=facts.t("radar_threshold", threshold=facts.threshold()),
        font=base_font(facts.lang),
    )
    return [KeepTogether([*parts, chart])]


def level_table(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    header = [facts.t(key) for key in ("col_level", "col_score", "col_reached", "col_rated")]
    rows = [_cells(facts, header, style, header=True)]
    for entry in facts.report.score.levels:
        reached = facts.t("not_scored") if entry.score is None else facts.t("yes" if entry.reached else "no")
        values = [facts.level(entry.level), score_text(entry.score), reached, str(entry.rated_items)]
        rows.append(_cells(facts, values, style))
    widths = [width * share for share in (0.4, 0.2, 0.2, 0.2)]
    return [KeepTogether([_heading(facts, "level_scores", style), grid_table(rows, widths)])]


def strengths_section(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    parts: list[Flowable] = [_heading(facts, "strengths", style)]
    if not facts.strengths:
        return [*parts, para(facts.t("strengths_none"), style.body, facts.lang)]
    rows = [_cells(facts, [facts.t("col_subdomain"), facts.t("col_level"), facts.t("col_score")], style, header=True)]
    for strength in facts.strengths:
        values = [facts.subdomain_name(strength.subdomain), facts.level(strength.level), score_text(strength.score)]
        rows.append(_cells(facts, values, style))
    return [*parts, grid_table(rows, [width * 0.5, width * 0.3, width * 0.2])]


def gaps_section(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    plan, lang = facts.report.gaps, facts.lang
    parts: list[Flowable] = [_heading(facts, "gaps", style)]
    if plan.next_level is None:
        return [*parts, para(facts.t("gaps_top"), style.body, lang)]
    summary = facts.t(
        "gaps_summary",
        level=facts.level(plan.next_level),
        score=score_text(plan.next_level_score),
        threshold=facts.threshold(),
        deficit=f"{plan.deficit:.2f}",
        count=len(plan.items),
        after=facts.level(plan.level_after),
    )
    parts += [para(summary, style.body, lang), Spacer(1, 2 * mm), para(facts.t("gaps_domains"), style.body, lang)]
    found = facts.level_score(plan.next_level)
    threshold = facts.report.score.threshold
    below = sorted(
        (domain for domain in (found.domains if found else []) if domain.score < threshold),
        key=lambda domain: (domain.score, domain.key),
    )
    if not below:
        return [*parts, para(facts.t("gaps_domains_none"), style.body, lang)]
    rows = [_cells(facts, [facts.t("col_domain"), facts.t("col_score"), facts.t("col_shortfall")], style, header=True)]
    for domain in below:
        values = [facts.domain_name(domain.key), score_text(domain.score), f"{threshold - domain.score:.2f}"]
        rows.append(_cells(facts, values, style))
    return [*parts, Spacer(1, 1 * mm), grid_table(rows, [width * 0.5, width * 0.25, width * 0.25])]


def roadmap_section(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    plan, lang = facts.report.gaps, facts.lang
    if plan.next_level is None or not plan.items:
        return []
    keys = ("col_order", "col_item", "col_requirement", "col_rating", "col_gain", "col_impact", "col_integrators")
    rows = [_cells(facts, [facts.t(key) for key in keys], style, header=True)]
    for order, item in enumerate(plan.items, start=1):
        impact = item.impact
        integrators = ", ".join(match.name for match in item.integrators) or facts.t("no_integrator")
        values = [
            str(order),
            f"{item.item}\n{facts.subdomain_name(item.subdomain)}",
            model_text(item.text, lang),
            f"{item.rating:g}",
            f"{item.gain:.3f}",
            f"{item.impact_score} ({impact.productivity}/{impact.cost}/{impact.quality})",
            integrators,
        ]
        rows.append(_cells(facts, values, style))
    shares = (0.06, 0.21, 0.32, 0.08, 0.08, 0.1, 0.15)
    return [
        _heading(facts, "roadmap", style),
        para(facts.t("roadmap_note"), style.small, lang),
        Spacer(1, 1.5 * mm),
        grid_table(rows, [width * share for share in shares]),
    ]


def benchmark_section(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    found, lang = facts.report.benchmark, facts.lang
    if found is None:
        return []
    parts: list[Flowable] = [_heading(facts, "benchmark", style)]
    if found.distribution is None:
        note = facts.t("benchmark_suppressed", industry=found.industry, minimum=found.minimum_peers)
        return [*parts, para(note, style.body, lang)]
    spread: Distribution = found.distribution
    note = facts.t(
        "benchmark_note",
        industry=found.industry,
        count=spread.count,
        overall=f"{facts.report.score.overall:.2f}",
        rank=f"{found.percentile_rank:.0f}",
    )
    keys = ("col_minimum", "col_lower_quartile", "col_median", "col_upper_quartile", "col_maximum")
    figures = (spread.minimum, spread.lower_quartile, spread.median, spread.upper_quartile, spread.maximum)
    rows = [
        _cells(facts, [facts.t(key) for key in keys], style, header=True),
        _cells(facts, [score_text(value) for value in figures], style),
    ]
    return [*parts, para(note, style.body, lang), Spacer(1, 1.5 * mm), grid_table(rows, [width / 5] * 5)]


def experts_section(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    """The expert team, lead first; a self-assessment, which has none, says who assessed instead."""
    if facts.self_assessed:
        return [_heading(facts, "assessed_by", style), para(facts.t("assessed_by_self"), style.body, facts.lang)]
    keys = ("col_name", "col_employer", "col_specialities", "col_role")
    rows = [_cells(facts, [facts.t(key) for key in keys], style, header=True)]
    joiner = "、" if facts.lang is ReportLanguage.ZH else ", "
    for expert in sorted(facts.report.experts, key=lambda expert: not expert.lead):
        role = facts.t("lead" if expert.lead else "member")
        rows.append(_cells(facts, [expert.name, expert.employer, joiner.join(expert.specialities), role], style))
    shares = (0.2, 0.35, 0.33, 0.12)
    return [_heading(facts, "experts", style), grid_table(rows, [width * share for share in shares])]


def signatures(facts: ReportFacts, style: Styles, width: float) -> list[Flowable]:
    """One line per signer — the lead expert, each other expert, the enterprise's representative — with a blank
    for the signature and one for the date; the experts' names are printed so nobody signs the wrong line.
    A self-assessment is signed by the enterprise alone."""
    colon = "：" if facts.lang is ReportLanguage.ZH else ": "
    blank = "_" * 20
    signers: list[tuple[str, str]] = []
    if not facts.self_assessed:
        lead = next(expert for expert in facts.report.experts if expert.lead)
        signers += [
            (facts.t("sign_lead"), lead.name),
            *((facts.t("sign_expert"), expert.name) for expert in facts.report.experts if not expert.lead),
        ]
    signers.append((facts.t("sign_enterprise"), ""))
    rows = [
        _cells(
            facts,
            [role, name, f"{facts.t('sign_signature')}{colon}{blank}", f"{facts.t('sign_date')}{colon}{blank}"],
            style,
        )
        for role, name in signers
    ]
    table = Table(rows, colWidths=[width * share for share in (0.22, 0.2, 0.3, 0.28)], hAlign="LEFT")
    table.setStyle(TableStyle([("TOPPADDING", (0, 0), (-1, -1), 9), ("VALIGN", (0, 0), (-1, -1), "BOTTOM")]))
    return [KeepTogether([_heading(facts, "signatures", style), table])]
