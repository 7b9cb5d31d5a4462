"""What the programme publishes (plan §六(十六)): the list of recognised smart factories and benchmarks of an edition
(智能工厂名单) and the case collection (案例集) of their narratives with their verified KPI results. Pure content.

Only projects recognised as smart factories (or designated benchmarks) are published; their KPI results are the
project's stored verification, shown only where it verified a value (a Δ beside "insufficient data" is not shown).
The PDFs are in the language asked for (Chinese by default), whatever the reader's UI language, so a file reads
the same whoever downloads it; labels come from the UI catalogues of that language.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict

from zhizao.assessment.report_text import ReportLanguage
from zhizao.programme.cockpit_kpis import StoredKpis, cost_reduction_pct, productivity_gain_pct
from zhizao.programme.kinds import DISTRICT_LABELS, INDUSTRY_LABELS, District, Industry
from zhizao.ui.i18n import N_, translations

LOCALE_OF = {ReportLanguage.ZH: "zh_CN", ReportLanguage.EN: "en"}

# Headings and labels the PDFs share with the pages (English ids, translated into the file's language).
TEXT = {
    "list_title": N_("Published smart-factory list"),
    "cases_title": N_("Smart-factory case collection"),
    "enterprise": N_("Enterprise"),
    "industry": N_("Industry"),
    "district": N_("District"),
    "year": N_("Year recognised"),
    "benchmark": N_("Benchmark factory"),
    "smart_factory": N_("Smart factory"),
    "number": N_("No."),
    "yes": N_("Yes"),
    "productivity": N_("Productivity"),
    "cost": N_("Operating cost per unit"),
    "baseline": N_("Baseline"),
    "evaluation": N_("Evaluation"),
    "not_verified": N_("No verified result"),
    "no_summary": N_("The enterprise has not written its case yet."),
    "none_recognised": N_("No factory of this edition has been recognised yet."),
    "counts": N_("{factories} smart factories, of which {benchmarks} benchmark factories"),
    "kpi_note": N_(
        "Changes are verified from the factory's measured data: a baseline window before the upgrade against an "
        "evaluation window after it."
    ),
    "page": N_("Page {page}"),
    "unknown": N_("Not recorded"),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PublishedEdition(_Frozen):
    id: int
    code: str
    name: str


class ListedFactory(_Frozen):
    project_id: int
    enterprise_name: str
    industry: Industry
    district: District | None
    recognised_year: int | None
    benchmark: bool


class SmartFactoryList(_Frozen):
    edition: PublishedEdition
    factories: tuple[ListedFactory, ...]

    @property
    def benchmarks(self) -> int:
        return sum(1 for factory in self.factories if factory.benchmark)


class VerifiedResult(_Frozen):
    """A case's programme KPIs as its stored verification has them, with the windows they compare."""

    productivity_gain_pct: Decimal | None  # None: the verification could not verify it
    cost_reduction_pct: Decimal | None
    baseline_start: date
    baseline_end: date
    evaluation_start: date
    evaluation_end: date


class Case(_Frozen):
    project_id: int
    enterprise_name: str
    industry: Industry
    district: District | None
    benchmark: bool
    recognised_on: date | None
    title: str  # the case title, else the project's
    summary_zh: str | None
    summary_en: str | None
    result: VerifiedResult | None  # None: no stored verification


class CaseCollection(_Frozen):
    edition: PublishedEdition
    cases: tuple[Case, ...]


def listing_order(industry: Industry, benchmark: bool, name: str) -> tuple[int, bool, str]:
    """Industries in the plan's order; in each, benchmarks first, then by name."""
    return list(Industry).index(industry), not benchmark, name


def verified_result(kpis: StoredKpis, windows: tuple[date, date, date, date] | None) -> VerifiedResult | None:
    if kpis.verification_id is None or windows is None:
        return None
    return VerifiedResult(
        productivity_gain_pct=productivity_gain_pct(kpis),
        cost_reduction_pct=cost_reduction_pct(kpis),
        baseline_start=windows[0],
        baseline_end=windows[1],
        evaluation_start=windows[2],
        evaluation_end=windows[3],
    )


def summary(case: Case, lang: ReportLanguage) -> str | None:
    """The narrative in the language asked for, else in the other one (a case is written at least once)."""
    first, second = (
        (case.summary_zh, case.summary_en) if lang is ReportLanguage.ZH else (case.summary_en, case.summary_zh)
    )
    return first or second or None


def translator(lang: ReportLanguage) -> Callable[[str], str]:
    return translations(LOCALE_OF[lang]).ugettext


def industry_name(industry: Industry, lang: ReportLanguage) -> str:
    return translator(lang)(INDUSTRY_LABELS[industry])


def district_name(district: District | None, lang: ReportLanguage) -> str:
    return translator(lang)(TEXT["unknown"] if district is None else DISTRICT_LABELS[district])


def signed_percent(value: Decimal | None) -> str | None:
    """+25.00 % / −12.50 % with a true minus sign; None where there is no value."""
    if value is None:
        return None
    sign = "+" if value > 0 else "−" if value < 0 else "±"
    return f"{sign}{abs(value):.2f} %"


def productivity_text(result: VerifiedResult | None) -> str | None:
    return None if result is None else signed_percent(result.productivity_gain_pct)


def cost_text(result: VerifiedResult | None) -> str | None:
    """The change of operating cost per unit (a reduction is negative), as the verification states it."""
    if result is None or result.cost_reduction_pct is None:
        return None
    return signed_percent(-result.cost_reduction_pct)


def period(start: date, end: date) -> str:
    return f"{start.isoformat()} – {end.isoformat()}"
