"""What the shift report's PDF and Excel files say, in Chinese (the default) or English, and how each figure is
turned into a cell. Pure.

The report is printed and signed on the shop floor, so its headings are written here in both languages rather
than through the UI catalogues: a file must read the same whoever downloads it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from zhizao.production.kpi import KpiFlag
from zhizao.production.shift_report import EquipmentFigures, PeriodStop, ShiftReport
from zhizao.production.timemodel import TimeCategory
from zhizao.telemetry.machinery import MachineryItemState

US_PER_MINUTE = 60_000_000


class ReportLanguage(StrEnum):
    ZH = "zh"
    EN = "en"


# key → (Chinese, English)
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("班次报告", "Shift report"),
    "enterprise": ("企业", "Enterprise"),
    "scope": ("产线 / 设备", "Line / equipment"),
    "date": ("日期", "Date"),
    "shift": ("班次", "Shift"),
    "whole_day": ("全天", "whole day"),
    "generated_at": ("生成时间", "Generated at"),
    "kpis": ("设备综合效率 (OEE) 与关键指标", "Overall equipment effectiveness (OEE) and KPIs"),
    "kpi_note": (
        "时间单位为分钟；合计由各设备的时间与数量相加后计算，不是百分比的平均。",
        "Times in minutes; the total is computed from the summed times and counts, never by averaging percentages.",
    ),
    "equipment": ("设备", "Equipment"),
    "code": ("编号", "Code"),
    "total": ("合计", "Total"),
    "losses": ("六大损失瀑布", "Six big losses (waterfall)"),
    "step": ("项目", "Step"),
    "minutes": ("分钟", "Minutes"),
    "share_of_pbt": ("占计划忙碌时间", "Share of PBT"),
    "stops": ("主要停机", "Top stops"),
    "stops_note": (
        "按计划忙碌时间内的损失时间排序；共 {count} 次停机，损失 {lost} 分钟，其中未分类 {unclassified} 分钟。",
        "Ranked by lost planned busy time; {count} stops lost {lost} min, of which {unclassified} min unclassified.",
    ),
    "no_stops": ("本时段无停机。", "No stops in this period."),
    "start": ("开始", "Start"),
    "end": ("结束", "End"),
    "lost_minutes": ("损失 (分钟)", "Lost (min)"),
    "state": ("状态", "State"),
    "loss_type": ("损失类型", "Loss"),
    "reason": ("停机原因", "Reason"),
    "unclassified": ("未分类", "unclassified"),
    "shift_leader": ("班长", "Shift leader"),
    "workshop_director": ("车间主任", "Workshop director"),
    "signature_date": ("签字日期", "Date signed"),
    "signatures": ("签字", "Signatures"),
}

_STATES = {
    MachineryItemState.NOT_AVAILABLE: ("不可用", "not available"),
    MachineryItemState.OUT_OF_SERVICE: ("停用 / 故障", "out of service"),
    MachineryItemState.NOT_EXECUTING: ("未执行", "not executing"),
    MachineryItemState.EXECUTING: ("执行中", "executing"),
}
_CATEGORIES = {
    TimeCategory.DOWN: ("故障停机", "breakdown"),
    TimeCategory.SETUP: ("换型调整", "setup"),
    TimeCategory.DELAY: ("等待 / 空转", "delay"),
    TimeCategory.MICRO_STOP: ("短暂停机", "minor stop"),
}
_FLAGS = {
    KpiFlag.EFFECTIVENESS_ABOVE_110: ("性能率>110%", "effectiveness > 110 %"),
    KpiFlag.INCOMPLETE_DATA: ("数据不完整", "incomplete data"),
    KpiFlag.NO_PRODUCTION: ("无产出", "no production"),
    KpiFlag.PRODUCTS_WITHOUT_PRU: ("产品缺少节拍", "product without PRU"),
}


def _pick(pair: tuple[str, str], lang: ReportLanguage) -> str:
    return pair[0] if lang is ReportLanguage.ZH else pair[1]


def text(key: str, lang: ReportLanguage) -> str:
    return _pick(_TEXT[key], lang)


def state_label(state: MachineryItemState, lang: ReportLanguage) -> str:
    return _pick(_STATES[state], lang)


def category_label(category: TimeCategory, lang: ReportLanguage) -> str:
    return _pick(_CATEGORIES.get(category, (category.name.lower(), category.name.lower())), lang)


def flags_label(flags: list[KpiFlag], lang: ReportLanguage) -> str:
    return "; ".join(_pick(_FLAGS[flag], lang) for flag in flags)


def reason_label(stop: PeriodStop, lang: ReportLanguage) -> str:
    if stop.reason is None:
        return text("unclassified", lang)
    return f"{stop.reason.name} ({stop.reason.code})"


def minutes(microseconds: int | None) -> float | None:
    return None if microseconds is None else microseconds / US_PER_MINUTE


class CellKind(StrEnum):
    RATIO = "ratio"  # a fraction, shown as a percentage
    MINUTES = "minutes"
    COUNT = "count"
    TEXT = "text"


Cell = float | int | str | None


@dataclass(frozen=True, slots=True)
class Column:
    zh: str
    en: str
    kind: CellKind
    value: Callable[[EquipmentFigures, ReportLanguage], Cell]

    def label(self, lang: ReportLanguage) -> str:
        return self.zh if lang is ReportLanguage.ZH else self.en


KPI_COLUMNS: tuple[Column, ...] = (
    Column("OEE", "OEE", CellKind.RATIO, lambda row, _: row.kpis.oee),
    Column("可用率 A", "Availability", CellKind.RATIO, lambda row, _: row.kpis.availability),
    Column("性能率 E", "Effectiveness", CellKind.RATIO, lambda row, _: row.kpis.effectiveness),
    Column("质量率 Q", "Quality", CellKind.RATIO, lambda row, _: row.kpis.quality_ratio),
    Column("计划忙碌 PBT", "PBT", CellKind.MINUTES, lambda row, _: minutes(row.totals.pbt_us)),
    Column("实际生产 APT", "APT", CellKind.MINUTES, lambda row, _: minutes(row.totals.apt_us)),
    Column("故障停机 ADOT", "ADOT", CellKind.MINUTES, lambda row, _: minutes(row.totals.adot_us)),
    Column("等待延迟 ADET", "ADET", CellKind.MINUTES, lambda row, _: minutes(row.totals.adet_us)),
    Column("产量 PQ", "PQ", CellKind.COUNT, lambda row, _: row.totals.pq),
    Column("良品 GQ", "GQ", CellKind.COUNT, lambda row, _: row.totals.gq),
    Column("废品", "Scrap", CellKind.COUNT, lambda row, _: row.totals.sq),
    Column("标记", "Flags", CellKind.TEXT, lambda row, lang: flags_label(row.kpis.flags, lang)),
)


def total_figures(report: ShiftReport, lang: ReportLanguage) -> EquipmentFigures:
    return EquipmentFigures("", text("total", lang), report.total, report.total_kpis)


def waterfall_rows(report: ShiftReport, lang: ReportLanguage) -> list[tuple[str, float | None]]:
    """The steps from planned busy time to fully productive time; losses are negative minutes, so each running
    total is the sum of the rows above it."""
    steps = report.losses
    zh = ReportLanguage.ZH is lang

    def negative(value: int | None) -> float | None:
        return None if value is None else -value / US_PER_MINUTE

    return [
        ("计划忙碌时间 PBT" if zh else "Planned busy time (PBT)", minutes(steps.pbt_us)),
        ("故障停机" if zh else "breakdowns", negative(steps.breakdown_loss_us)),
        ("换型调整" if zh else "setup and adjustment", negative(steps.setup_loss_us)),
        ("短暂停机与空转" if zh else "minor stops and idling", negative(steps.minor_stop_loss_us)),
        ("无数据时间" if zh else "time without data", negative(steps.unknown_us)),
        ("= 实际生产时间 APT" if zh else "= actual production time (APT)", minutes(steps.apt_us)),
        ("速度损失" if zh else "reduced speed", negative(steps.speed_loss_us)),
        ("质量损失" if zh else "quality losses", negative(steps.quality_loss_us)),
        ("= 完全有效生产时间" if zh else "= fully productive time", minutes(steps.fully_productive_us)),
    ]


def local(moment: datetime, timezone: str) -> datetime:
    return moment.astimezone(ZoneInfo(timezone))


def shift_label(report: ShiftReport, lang: ReportLanguage) -> str:
    name = report.period.shift or text("whole_day", lang)
    if report.shift_bounds is None:
        return name
    start, end = (local(moment, report.timezone) for moment in report.shift_bounds)
    return f"{name} ({start:%H:%M}–{end:%H:%M})"


def stop_time(moment: datetime, report: ShiftReport) -> str:
    """Local time of day, with the date when it is not the report's day (a stop begun the night before)."""
    shown = local(moment, report.timezone)
    return f"{shown:%H:%M:%S}" if shown.date() == report.period.day else f"{shown:%m-%d %H:%M:%S}"


def stops_note(report: ShiftReport, lang: ReportLanguage) -> str:
    lost, unclassified = minutes(report.lost_us) or 0.0, minutes(report.unclassified_us) or 0.0
    return text("stops_note", lang).format(
        count=report.stop_count, lost=f"{lost:,.1f}", unclassified=f"{unclassified:,.1f}"
    )
