"""What the monthly optimisation report says, in Chinese (the default) or English, and its recommendations. Pure.

Like the shift report, the file's words live here rather than in the UI catalogues: a report reads the same
whoever downloads it.
"""

from __future__ import annotations

from enum import StrEnum

from zhizao.maintenance.optimisation.energy import EnergyUse
from zhizao.maintenance.optimisation.losses import LossKind
from zhizao.maintenance.optimisation.schemas import EnergyStatus, LineOptimisation, Status


class ReportLanguage(StrEnum):
    ZH = "zh"
    EN = "en"


# key → (Chinese, English)
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("产线月度优化报告", "Monthly line optimisation report"),
    "line": ("产线", "Line"),
    "month": ("月份", "Month"),
    "window": ("统计区间", "Window"),
    "generated_at": ("生成时间", "Generated at"),
    "not_enough_data": (
        "数据不足：本月没有状态台账数据，无法计算。",
        "Not enough data: no state ledger data this month.",
    ),
    "bottleneck": ("瓶颈分析（有效期间法）", "Bottleneck (active-period method)"),
    "bottleneck_note": (
        "有效期间：加工、换型、维修；等待、堵塞、缺料、关机为非有效。每一时刻有效期间最长的设备为瞬时瓶颈；"
        "瓶颈交替时两台设备有效期间的重叠为漂移瓶颈时间。比例均相对于整个统计区间。",
        "Active: producing, setting up, under repair; waiting, blocked, starved or off is inactive. At each instant "
        "the machine with the longest active period is the bottleneck; where it changes, the overlap of the two "
        "active periods is shifting time. Shares are of the whole window.",
    ),
    "one_machine": ("瓶颈分析需要至少两台有台账数据的设备。", "Bottleneck detection needs two machines with data."),
    "equipment": ("设备", "Equipment"),
    "active_ratio": ("有效率", "Active"),
    "sole": ("单独瓶颈", "Sole"),
    "shifting": ("漂移瓶颈", "Shifting"),
    "throughput": ("缓解瓶颈的产量提升", "Throughput gain from relieving the bottleneck"),
    "throughput_text": (
        "瓶颈 {b} 有效率 {ab}，次瓶颈 {n} 有效率 {an}；提升上限 = {ab} / {an} − 1 = {gain}，约 {units} 件合格品。",
        "Bottleneck {b} active {ab}, next {n} active {an}; gain at most {ab} / {an} − 1 = {gain}, "
        "about {units} good units.",
    ),
    "throughput_unclear": (
        "瓶颈 {b} 的有效率不高于 {n}：单独缓解它不会带来可测的产量提升。",
        "Bottleneck {b} is not more active than {n}: relieving it alone gains nothing measurable.",
    ),
    "energy": ("能耗与空闲浪费", "Energy and idle waste"),
    "energy_note": (
        "电价 {tariff} 元/kWh；空闲浪费 = 未执行（等待）与待机状态下的耗电。",
        "Tariff {tariff} CNY/kWh; idle waste = energy drawn while not executing (waiting) or on standby.",
    ),
    "kwh": ("总耗电 kWh", "Total kWh"),
    "producing_kwh": ("加工 kWh", "Producing kWh"),
    "waste_kwh": ("空闲浪费 kWh", "Idle waste kWh"),
    "waste_cny": ("浪费 (元)", "Waste (CNY)"),
    "per_unit": ("kWh/合格品", "kWh per good unit"),
    "not_metered": ("未计量", "not metered"),
    "no_energy_data": ("无数据", "no data"),
    "losses": ("主要 OEE 损失及改善收益", "Top OEE losses and the gain of fixing each"),
    "losses_note": (
        "收益按保持当前速度与质量估算；只有瓶颈设备的改善能提高产线产出（标 ★）。",
        "Gains assume the present speed and quality; only fixes at the bottleneck (★) raise the line's output.",
    ),
    "loss": ("损失", "Loss"),
    "lost_hours": ("损失 (h)", "Lost (h)"),
    "gain_units": ("增加合格品", "Good units"),
    "gain_points": ("产线 OEE 提升 (百分点)", "Line OEE (points)"),
    "no_losses": ("本月无计划忙碌时间，无损失数据。", "No planned busy time this month: no loss figures."),
    "recommendations": ("改进建议", "Recommendations"),
    "rec_bottleneck": (
        "优先缓解瓶颈 {b}（单独 {sole}，漂移 {shift}）：缩短其换型与故障时间、保证其前后缓存不空不满。",
        "Relieve bottleneck {b} first (sole {sole}, shifting {shift}): shorten its setups and breakdowns, keep its "
        "buffers neither empty nor full.",
    ),
    "rec_energy": (
        "{m} 空闲/待机耗电 {kwh} kWh（{share}，约 {cny} 元）：等待超过设定时间时切换到节能待机。",
        "{m} drew {kwh} kWh idle or on standby ({share}, about {cny} CNY): switch to energy saving after a set wait.",
    ),
    "rec_loss": (
        "{m} 的「{loss}」损失 {hours} 小时：消除后约增加 {units} 件合格品，产线 OEE 提升 {points} 个百分点。",
        "{m}: {loss} lost {hours} h; removing it gives about {units} good units, +{points} line OEE points.",
    ),
    "rec_none": ("数据不足，暂无建议。", "Not enough data for recommendations."),
}

_LOSS: dict[LossKind, tuple[str, str]] = {
    LossKind.BREAKDOWN: ("故障停机", "breakdowns"),
    LossKind.SETUP: ("换型调整", "setup and adjustment"),
    LossKind.MINOR_STOPS: ("小停机与空转", "minor stops and idling"),
    LossKind.SPEED: ("速度降低", "reduced speed"),
    LossKind.QUALITY: ("质量损失", "quality losses"),
}

_USE: dict[EnergyUse, tuple[str, str]] = {
    EnergyUse.PRODUCING: ("加工", "producing"),
    EnergyUse.SETUP: ("换型", "setup"),
    EnergyUse.IDLE: ("空闲", "idle"),
    EnergyUse.STANDBY: ("待机", "standby"),
    EnergyUse.DOWN: ("停机维修", "down"),
    EnergyUse.UNKNOWN: ("无台账", "no ledger"),
}


def text(key: str, lang: ReportLanguage) -> str:
    zh, en = _TEXT[key]
    return zh if lang is ReportLanguage.ZH else en


def loss_label(kind: LossKind, lang: ReportLanguage) -> str:
    return _LOSS[kind][0 if lang is ReportLanguage.ZH else 1]


def use_label(use: EnergyUse, lang: ReportLanguage) -> str:
    return _USE[use][0 if lang is ReportLanguage.ZH else 1]


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def names(result: LineOptimisation) -> dict[int, str]:
    return {row.equipment_id: f"{row.name} {row.code}" for row in result.machines}


def throughput_sentence(result: LineOptimisation, lang: ReportLanguage) -> str | None:
    gain = result.throughput
    if gain is None:
        return None
    label = names(result)
    b, n = label[gain.bottleneck_equipment_id], label[gain.next_equipment_id]
    if not gain.clear:
        return text("throughput_unclear", lang).format(b=b, n=n)
    return text("throughput_text", lang).format(
        b=b, n=n, ab=pct(gain.bottleneck_active_ratio), an=pct(gain.next_active_ratio), gain=pct(gain.gain_ratio),
        units=number(gain.gained_units, 0),
    )  # fmt: skip


def recommendations(result: LineOptimisation, lang: ReportLanguage, *, limit: int = 3) -> list[str]:
    """Plain sentences from the figures: the bottleneck, the largest idle waste, the largest losses."""
    label = names(result)
    found: list[str] = []
    primary = result.bottleneck.primary_equipment_id
    if primary is not None:
        share = next(row for row in result.bottleneck.machines if row.equipment_id == primary)
        found.append(
            text("rec_bottleneck", lang).format(
                b=label[primary], sole=pct(share.sole_share), shift=pct(share.shifting_share)
            )
        )
    metered = [row for row in result.energy.machines if row.status is EnergyStatus.OK and row.waste_kwh]
    if metered:
        worst = max(metered, key=lambda row: (row.waste_kwh or 0.0, -row.equipment_id))
        found.append(
            text("rec_energy", lang).format(
                m=label[worst.equipment_id], kwh=number(worst.waste_kwh), share=pct(worst.waste_share),
                cny=number(float(worst.waste_cny or 0), 2),
            )
        )  # fmt: skip
    for item in [row for row in result.losses.items if row.gained_good_units is not None][:limit]:
        found.append(
            text("rec_loss", lang).format(
                m=label[item.equipment_id], loss=loss_label(item.kind, lang), hours=number(item.lost_s / 3600),
                units=number(item.gained_good_units, 0), points=number(item.line_oee_points, 2),
            )
        )  # fmt: skip
    if not found or result.status is Status.NOT_ENOUGH_DATA:
        return [text("rec_none", lang)]
    return found
