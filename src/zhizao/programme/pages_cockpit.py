"""Pages of the programme cockpit («项目驾驶舱»), the programme office's home: every target of an edition against its
measured progress, with charts and the tables beside them, each number linking to the records behind it — the
project list where it filters for them, else the cockpit's own drill-down table — and the Excel export.

The public publications' pages (``pages_publications``) are included here, as only this router is wired.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from zhizao.accounts.deps import SessionDep, SettingsDep
from zhizao.fields import IdQuery
from zhizao.programme import pages_publications, service_cockpit
from zhizao.programme.cockpit import TARGET_LABELS, Cockpit, TargetKey
from zhizao.programme.cockpit_excel import render_xlsx
from zhizao.programme.cockpit_kpis import (
    KPI_OUTCOME_LABELS,
    Histogram,
    KpiMeasure,
    KpiOutcome,
    bucket_label,
    cost_reduction_pct,
    productivity_gain_pct,
)
from zhizao.programme.deps import OVERSEERS, Overseer
from zhizao.programme.downloads import xlsx_download
from zhizao.programme.kinds import (
    DISTRICT_LABELS,
    INDUSTRY_LABELS,
    PROJECT_STAGE_LABELS,
    District,
    Industry,
    ProjectStage,
)
from zhizao.programme.models_community import SUPPORT_KIND_LABELS
from zhizao.programme.service_cockpit import DrillMetric, DrillQuery
from zhizao.ui.i18n import N_, gettext
from zhizao.ui.nav import NavItem
from zhizao.ui.templating import render

router = APIRouter(include_in_schema=False)
router.include_router(pages_publications.router)

HOME = "/programme/cockpit"
NAV = (NavItem(N_("Programme cockpit"), HOME, roles=frozenset(OVERSEERS), order=600),)
PercentQuery = Annotated[Decimal | None, Query(ge=-1_000_000, le=1_000_000, allow_inf_nan=False)]

DRILL_TITLES = {
    DrillMetric.SMART_FACTORIES: N_("Recognised smart factories and benchmarks"),
    DrillMetric.PIPELINE: N_("Projects on their way to recognition"),
    DrillMetric.REACHED: N_("Projects that reached a stage"),
    DrillMetric.CLOSED: N_("Rejected and withdrawn projects"),
    DrillMetric.ROBOTS: N_("Robots deployed by project"),
    DrillMetric.KPIS: N_("Verified KPIs of accepted factories"),
}
# Targets counted by other areas link to their own pages.
AREA_PAGES = {
    TargetKey.INTEGRATORS_OVER_1BN: "/programme/integrators?status=listed",
    TargetKey.INTEGRATORS_OVER_10BN: "/programme/integrators?status=listed",
    TargetKey.PLATFORMS: "/programme/platforms",
    TargetKey.PLATFORM_ENTERPRISES: "/programme/platforms",
}
LABELS = {
    "target_labels": TARGET_LABELS,
    "outcome_labels": KPI_OUTCOME_LABELS,
    "support_labels": SUPPORT_KIND_LABELS,
    "drill_titles": DRILL_TITLES,
    "outcomes": list(KpiOutcome),
    "target_keys": TargetKey,
    "bucket_label": bucket_label,
    "productivity_of": productivity_gain_pct,
    "reduction_of": cost_reduction_pct,
}


class Links:
    """Where each number of one edition's cockpit leads."""

    def __init__(self, edition_id: int) -> None:
        self.edition_id = edition_id

    def _query(self, filters: dict[str, Any]) -> str:
        present = {key: str(value) for key, value in filters.items() if value is not None}
        return urlencode({"edition_id": self.edition_id, **present})

    def drill(self, metric: str, **filters: Any) -> str:
        return f"{HOME}/drill/{metric}?{self._query(filters)}"

    def projects(self, **filters: Any) -> str:
        """B1's project list, for numbers that are one stage (with an industry or a district)."""
        return f"/programme/projects?{self._query(filters)}"

    def target(self, key: TargetKey) -> str:
        if key is TargetKey.SMART_FACTORIES:
            return self.drill(DrillMetric.SMART_FACTORIES)
        if key is TargetKey.BENCHMARK_FACTORIES:
            return self.projects(stage=ProjectStage.BENCHMARK.value)
        if key is TargetKey.ROBOTS:
            return self.drill(DrillMetric.ROBOTS)
        if key is TargetKey.TRAINED_TALENT:
            return f"/programme/talent?edition_id={self.edition_id}"
        return AREA_PAGES[key]

    def support(self) -> str:
        return f"/programme/support?edition_id={self.edition_id}"

    def bucket(self, measure: KpiMeasure, lower: Decimal | None, upper: Decimal | None) -> str:
        return self.drill(DrillMetric.KPIS, measure=measure.value, lower=lower, upper=upper)


def _histogram_chart(histogram: Histogram) -> dict[str, list[Any]]:
    labels = [bucket_label(b.lower, b.upper) for b in histogram.buckets]
    return {
        "labels": [*labels, gettext(KPI_OUTCOME_LABELS[KpiOutcome.INSUFFICIENT_DATA])],
        "counts": [*(b.count for b in histogram.buckets), histogram.insufficient_data],
    }


def chart_data(cockpit: Cockpit) -> dict[str, Any]:
    """What the ECharts scripts draw, with the labels already translated (the tables beside show the same)."""
    industries = [gettext(INDUSTRY_LABELS[row.industry]) for row in cockpit.industries]
    return {
        "industries": industries,
        "recognised": [row.recognised for row in cockpit.industries],
        "pipeline": [row.in_pipeline for row in cockpit.industries],
        "quota": [row.quota for row in cockpit.industries],
        "benchmarks": [row.benchmarks for row in cockpit.industries],
        "benchmark_quota": [row.benchmark_quota for row in cockpit.industries],
        "stages": [gettext(PROJECT_STAGE_LABELS[step.stage]) for step in cockpit.funnel],
        "reached": [step.reached for step in cockpit.funnel],
        "districts": [gettext(DISTRICT_LABELS[row.district]) for row in cockpit.districts if row.district],
        "district_factories": [row.smart_factories for row in cockpit.districts if row.district],
        "district_pipeline": [row.in_pipeline for row in cockpit.districts if row.district],
        "gain": _histogram_chart(cockpit.kpis.productivity_gain),
        "reduction": _histogram_chart(cockpit.kpis.cost_reduction),
        "series": {
            "recognised": gettext(N_("Recognised")),
            "pipeline": gettext(N_("In pipeline")),
            "quota": gettext(N_("Quota")),
            "benchmarks": gettext(N_("Benchmarks")),
            "benchmark_quota": gettext(N_("Benchmark quota")),
            "reached": gettext(N_("Reached this stage")),
            "factories": gettext(N_("Factories")),
        },
    }


@router.get(HOME)
def cockpit_page(request: Request, principal: Overseer, session: SessionDep, edition_id: IdQuery = None) -> Response:
    cockpit = service_cockpit.read_cockpit(session, principal, edition_id)
    context = {
        **LABELS,
        "cockpit": cockpit,
        "editions": service_cockpit.editions(session),
        "links": Links(cockpit.edition.id),
        "charts": chart_data(cockpit),
        "measures": KpiMeasure,
    }
    return render(request, "programme/cockpit_home.html", context)


@router.get(HOME + ".xlsx")
def cockpit_workbook(
    principal: Overseer, session: SessionDep, settings: SettingsDep, edition_id: IdQuery = None
) -> Response:
    cockpit = service_cockpit.read_cockpit(session, principal, edition_id)
    filename = f"cockpit-{cockpit.edition.code}-{cockpit.generated_at:%Y%m%d-%H%M}.xlsx"
    content = render_xlsx(cockpit, ZoneInfo(settings.timezone))
    return xlsx_download(content, filename)


@router.get(HOME + "/drill/{metric}")
def drill_page(
    request: Request,
    principal: Overseer,
    session: SessionDep,
    metric: DrillMetric,
    edition_id: IdQuery = None,
    industry: Annotated[Industry | None, Query()] = None,
    district: Annotated[District | None, Query()] = None,
    no_district: bool = False,
    stage: Annotated[ProjectStage | None, Query()] = None,
    outcome: Annotated[KpiOutcome | None, Query()] = None,
    measure: Annotated[KpiMeasure | None, Query()] = None,
    lower: PercentQuery = None,
    upper: PercentQuery = None,
    insufficient: bool = False,
) -> Response:
    """The projects behind one number of the cockpit (see ``service_cockpit.DrillMetric``)."""
    query = DrillQuery(metric, industry, district, no_district, stage, outcome, measure, lower, upper, insufficient)
    drill = service_cockpit.read_drill(session, principal, edition_id, query)
    context = {**LABELS, "drill": drill, "links": Links(drill.edition.id), "metrics": DrillMetric}
    return render(request, "programme/cockpit_drill.html", context)
