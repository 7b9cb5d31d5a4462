"""The cockpit as an Excel workbook: one sheet per section, each headed by the edition and the time the figures were
read, numbers as numbers (shares as fractions with a percentage format) so a reader can sum and chart them.
Labels are in the language of the page it was downloaded from."""

from __future__ import annotations

import io
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet.worksheet import Worksheet

from zhizao.programme.cockpit import TARGET_LABELS, Cockpit
from zhizao.programme.cockpit_kpis import KPI_OUTCOME_LABELS, Histogram, KpiOutcome, bucket_label
from zhizao.programme.kinds import DISTRICT_LABELS, INDUSTRY_LABELS, PROJECT_STAGE_LABELS
from zhizao.programme.models_community import SUPPORT_KIND_LABELS
from zhizao.ui.i18n import N_, gettext

PERCENT = "0.0%"
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="EEF2F6")
Cell = str | int | Decimal | None


class _Book:
    def __init__(self, cockpit: Cockpit, zone: ZoneInfo) -> None:
        self.workbook = Workbook()
        self.cockpit = cockpit
        local = cockpit.generated_at.astimezone(zone)
        self.heading = [
            [gettext(N_("Programme edition")), f"{cockpit.edition.code} {cockpit.edition.name}"],
            [gettext(N_("Generated at")), local.strftime("%Y-%m-%d %H:%M:%S %Z")],
        ]

    def sheet(
        self, title: str, header: Sequence[str], rows: Sequence[Sequence[Cell]], percent: Sequence[int] = ()
    ) -> Worksheet:
        sheet = self.workbook.create_sheet(gettext(title)[:31])
        for line in self.heading:
            sheet.append(line)
        sheet.append([])
        sheet.append([gettext(label) for label in header])
        for cell in sheet[sheet.max_row]:
            cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        for row in rows:
            sheet.append(list(row))
            for column in percent:
                sheet.cell(sheet.max_row, column + 1).number_format = PERCENT
        sheet.column_dimensions["A"].width = 36
        return sheet

    def save(self) -> bytes:
        default = self.workbook.worksheets[0]
        self.workbook.remove(default)
        buffer = io.BytesIO()
        self.workbook.save(buffer)
        return buffer.getvalue()


def _histogram_rows(kpi: str, histogram: Histogram) -> list[list[Cell]]:
    rows: list[list[Cell]] = [[kpi, bucket_label(b.lower, b.upper), b.count] for b in histogram.buckets]
    rows.append([kpi, gettext(KPI_OUTCOME_LABELS[KpiOutcome.INSUFFICIENT_DATA]), histogram.insufficient_data])
    return rows


def render_xlsx(cockpit: Cockpit, zone: ZoneInfo) -> bytes:
    book = _Book(cockpit, zone)
    book.sheet(
        N_("Targets"),
        [N_("Target"), N_("Measured"), N_("Target value"), N_("Progress")],
        [[gettext(TARGET_LABELS[row.key]), row.progress.measured, row.progress.target, row.progress.share]
         for row in cockpit.targets],
        percent=[3],
    )  # fmt: skip
    book.sheet(
        N_("Industries"),
        [N_("Industry"), N_("Recognised"), N_("In pipeline"), N_("Quota"), N_("Progress"), N_("Benchmarks"),
         N_("Benchmark quota"), N_("Benchmark progress")],
        [[gettext(INDUSTRY_LABELS[r.industry]), r.recognised, r.in_pipeline, r.quota, r.share, r.benchmarks,
          r.benchmark_quota, r.benchmark_share] for r in cockpit.industries],
        percent=[4, 7],
    )  # fmt: skip
    funnel: list[list[Cell]] = [[gettext(PROJECT_STAGE_LABELS[s.stage]), s.at_stage, s.reached] for s in cockpit.funnel]
    funnel += [[gettext(PROJECT_STAGE_LABELS[stage]), count, None] for stage, count in cockpit.closed.items()]
    book.sheet(N_("Funnel"), [N_("Stage"), N_("At this stage"), N_("Reached this stage")], funnel)
    book.sheet(
        N_("Districts"),
        [N_("District"), N_("Smart factories"), N_("In pipeline"), N_("Rejected or withdrawn")],
        [[gettext(DISTRICT_LABELS[r.district]) if r.district else gettext(N_("Not recorded")), r.smart_factories,
          r.in_pipeline, r.closed] for r in cockpit.districts],
    )  # fmt: skip
    kpis = cockpit.kpis
    results: list[list[Cell]] = [[gettext(N_("Accepted factories")), kpis.accepted]]
    results += [[gettext(KPI_OUTCOME_LABELS[outcome]), count] for outcome, count in kpis.outcomes.items()]
    results += [
        [gettext(N_("Productivity target met")), kpis.meeting_productivity],
        [gettext(N_("Cost target met")), kpis.meeting_cost],
        [gettext(N_("Mean productivity gain (per cent)")), kpis.mean_productivity_gain_pct],
        [gettext(N_("Mean operating cost reduction (per cent)")), kpis.mean_cost_reduction_pct],
    ]
    book.sheet(N_("KPI results"), [N_("Figure"), N_("Value")], results)
    book.sheet(
        N_("KPI distribution"),
        [N_("KPI"), N_("Range"), N_("Factories")],
        [*_histogram_rows(gettext(N_("Productivity gain")), kpis.productivity_gain),
         *_histogram_rows(gettext(N_("Operating cost reduction")), kpis.cost_reduction)],
    )  # fmt: skip
    talent = cockpit.talent
    others: list[list[Cell]] = [
        [gettext(N_("Trainees enrolled")), talent.enrolled, None],
        [gettext(N_("Trainees completed")), talent.completed, None],
        [gettext(N_("Trainees certified")), talent.certified, None],
        [gettext(N_("Excellent consultants")), talent.excellent, None],
        [gettext(N_("Integrators listed")), cockpit.integrators_listed, None],
        [gettext(N_("Robots planned")), cockpit.robots_planned, None],
    ]
    others += [[gettext(SUPPORT_KIND_LABELS[r.kind]), r.measures, r.amount_cny] for r in cockpit.support]
    book.sheet(N_("Talent and support"), [N_("Figure"), N_("Count"), N_("Amount (CNY)")], others)
    return book.save()
