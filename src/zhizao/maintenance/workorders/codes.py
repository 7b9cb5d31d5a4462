"""Failure mode, failure cause and maintenance activity (remedy) codes, after ISO 14224:2016 Annex B. Pure data.

The codes follow the standard's short codes (failure modes as in Table B.6 for rotating and machining equipment,
causes as in Table B.4, maintenance activities as in Table B.5), so that a work-order history can be compared with
other sites and OREDA-style reliability data; the wording of the labels is our own. ``label`` is the English
message id (translated where shown), ``zh`` the Chinese label written into Excel exports.

The lists are data: a new code is a new line here, never a database change (orders store the code as text).
"""

from __future__ import annotations

from typing import NamedTuple

from zhizao.errors import InputError
from zhizao.ui.i18n import N_


class Code(NamedTuple):
    code: str
    label: str  # English msgid
    zh: str


FAILURE_MODES: tuple[Code, ...] = (
    Code("AIR", N_("Abnormal instrument reading"), "仪表读数异常"),
    Code("BRD", N_("Breakdown"), "故障停机"),
    Code("ELP", N_("External leakage of process medium"), "工艺介质外漏"),
    Code("ELU", N_("External leakage of utility medium"), "公用介质外漏（油、气、冷却液）"),
    Code("ERO", N_("Erratic output"), "输出不稳定"),
    Code("FTS", N_("Fail to start on demand"), "无法按指令启动"),
    Code("STP", N_("Fail to stop on demand"), "无法按指令停止"),
    Code("HIO", N_("High output"), "输出偏高"),
    Code("LOO", N_("Low output"), "输出偏低"),
    Code("INL", N_("Internal leakage"), "内漏"),
    Code("NOI", N_("Noise"), "异响"),
    Code("OHE", N_("Overheating"), "过热"),
    Code("PDE", N_("Parameter deviation"), "参数偏差"),
    Code("PLU", N_("Plugged or choked"), "堵塞"),
    Code("SER", N_("Minor in-service problems"), "运行中小问题"),
    Code("STD", N_("Structural deficiency"), "结构缺陷"),
    Code("UST", N_("Spurious stop"), "意外停机"),
    Code("VIB", N_("Vibration"), "振动"),
    Code("OTH", N_("Other"), "其他"),
    Code("UNK", N_("Unknown"), "未知"),
)

FAILURE_CAUSES: tuple[Code, ...] = (
    Code("1.0", N_("Design-related cause"), "设计原因"),
    Code("1.1", N_("Improper capacity"), "能力不足"),
    Code("1.2", N_("Improper material"), "材料不当"),
    Code("2.0", N_("Fabrication or installation error"), "制造或安装错误"),
    Code("2.1", N_("Fabrication error"), "制造缺陷"),
    Code("2.2", N_("Installation error"), "安装错误"),
    Code("3.0", N_("Failure related to operation or maintenance"), "运行或维护相关原因"),
    Code("3.1", N_("Off-design service"), "超设计工况运行"),
    Code("3.2", N_("Operating error"), "操作失误"),
    Code("3.3", N_("Maintenance error"), "维护失误"),
    Code("3.4", N_("Expected wear and tear"), "正常磨损老化"),
    Code("4.0", N_("Management-related cause"), "管理原因"),
    Code("4.1", N_("Documentation error"), "文件资料错误"),
    Code("4.2", N_("Management error"), "管理失误"),
    Code("5.0", N_("Miscellaneous cause"), "其他原因"),
    Code("5.1", N_("No cause found"), "未找到原因"),
    Code("5.2", N_("Common cause"), "共因"),
    Code("5.3", N_("Combined causes"), "多重原因"),
    Code("5.4", N_("Other cause"), "其他"),
    Code("5.5", N_("Unknown cause"), "原因不明"),
)

REMEDIES: tuple[Code, ...] = (
    Code("1", N_("Replace"), "更换"),
    Code("2", N_("Repair"), "修理"),
    Code("3", N_("Modify"), "改造"),
    Code("4", N_("Adjust"), "调整"),
    Code("5", N_("Refit"), "重新装配"),
    Code("6", N_("Check"), "检查"),
    Code("7", N_("Service"), "保养"),
    Code("8", N_("Test"), "测试"),
    Code("9", N_("Inspection"), "巡检"),
    Code("10", N_("Overhaul"), "大修"),
    Code("11", N_("Combination of activities"), "多项作业组合"),
    Code("12", N_("Other activity"), "其他作业"),
)

LISTS: dict[str, tuple[Code, ...]] = {
    "failure_mode": FAILURE_MODES,
    "failure_cause": FAILURE_CAUSES,
    "remedy": REMEDIES,
}
_BY_CODE: dict[str, dict[str, Code]] = {name: {c.code: c for c in codes} for name, codes in LISTS.items()}


def check_code(kind: str, value: str | None, field: str) -> str | None:
    """``value`` if it is a code of list ``kind`` (or None); otherwise an InputError naming ``field``."""
    if value is None:
        return None
    if value not in _BY_CODE[kind]:
        known = ", ".join(_BY_CODE[kind])
        raise InputError.for_field(field, f"unknown {kind.replace('_', ' ')} code {value!r}; one of {known}")
    return value


def label_of(kind: str, value: str | None) -> str:
    """The English label (msgid) of a code, or the code itself when it is no longer in the list."""
    if value is None:
        return ""
    found = _BY_CODE[kind].get(value)
    return found.label if found else value


def zh_of(kind: str, value: str | None) -> str:
    """``code 中文`` for Excel, or the bare code when it is no longer in the list."""
    if value is None:
        return ""
    found = _BY_CODE[kind].get(value)
    return f"{found.code} {found.zh}" if found else value
