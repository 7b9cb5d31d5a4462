"""What the session report's PDF says, in Chinese (the default) or English. Pure.

The report is handed to the owner and kept with the equipment's records, so its wording is written here in both
languages rather than through the UI catalogues: a file reads the same whoever downloads it.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from zhizao.telemetry.alarms.excel import EVENT_NAMES, SEVERITY_NAMES, STATE_NAMES


class ReportLanguage(StrEnum):
    ZH = "zh"
    EN = "en"


def report_language(value: str | None) -> ReportLanguage:
    """``en…`` → English; anything else (zh, zh-CN, nothing) → Chinese, the platform's first language."""
    return ReportLanguage.EN if value and value.lower().startswith("en") else ReportLanguage.ZH


# key → (Chinese, English)
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("远程运维报告", "Remote maintenance report"),
    "session": ("会话编号", "Session"),
    "equipment": ("设备", "Equipment"),
    "owner": ("设备所属企业", "Owner"),
    "operator": ("运维人员", "Operator"),
    "operator_org": ("平台服务商", "Platform operator"),
    "own_staff": ("企业自有人员", "the owner's own staff"),
    "consent": ("企业授权", "Consent"),
    "consent_line": ("授权编号 {id}，授予于 {granted}，{until}", "consent {id}, granted {granted}, {until}"),
    "until": ("有效至 {at}", "valid until {at}"),
    "until_revoked": ("长期有效（可随时撤销）", "until revoked"),
    "revoked": ("已于 {at} 撤销", "revoked {at}"),
    "no_consent": ("无需授权（企业自有设备）", "none needed (the owner's own equipment)"),
    "purpose": ("运维目的", "Purpose"),
    "period": ("会话时段", "Period"),
    "still_open": ("进行中", "still open"),
    "status": ("状态", "Status"),
    "summary": ("结论", "Summary"),
    "generated_at": ("生成时间", "Generated at"),
    "findings": ("运维记录", "Findings"),
    "no_findings": ("本次会话未记录任何发现。", "No findings were recorded in this session."),
    "time": ("时间", "Time"),
    "category": ("类别", "Category"),
    "text": ("内容", "Text"),
    "author": ("记录人", "Author"),
    "commands": ("会话期间下发的远程指令", "Remote commands sent during the session"),
    "no_commands": ("本次会话未下发远程指令。", "No remote commands were sent in this session."),
    "signal": ("数据点位", "Data point"),
    "old_new": ("原值 → 新值", "Old → new"),
    "result": ("结果", "Result"),
    "read_back": ("回读", "read back"),
    "alarms": ("会话期间的报警事件", "Alarm events during the session"),
    "no_alarms": ("会话期间该设备无报警事件。", "The equipment had no alarm events during the session."),
    "event": ("事件", "Event"),
    "state": ("状态变化", "State change"),
    "severity": ("严重度", "Severity"),
    "message": ("报警信息", "Message"),
    "page": ("第 {page} 页", "Page {page}"),
    "signatures": ("签字", "Signatures"),
    "sign_operator": ("运维人员", "Operator"),
    "sign_owner": ("设备所属企业", "Owner"),
}

STATUSES: dict[str, tuple[str, str]] = {
    "open": ("进行中", "open"),
    "closed": ("已关闭", "closed"),
    "ended": ("已由企业终止", "ended by the owner"),
    "lapsed": ("已失效", "lapsed"),
}
END_REASONS: dict[str, tuple[str, str]] = {
    "closed": ("运维人员关闭", "closed by the operator"),
    "ended_by_owner": ("企业终止", "ended by the owner"),
    "consent_revoked": ("授权已撤销，会话结束", "ended: consent revoked"),
    "consent_expired": ("授权已到期，会话结束", "ended: consent expired"),
}
CATEGORIES: dict[str, tuple[str, str]] = {
    "observation": ("现象", "Observation"),
    "cause": ("原因", "Cause"),
    "action_taken": ("已采取措施", "Action taken"),
    "recommendation": ("建议", "Recommendation"),
}
COMMAND_STATUSES: dict[str, tuple[str, str]] = {
    "pending": ("待确认", "awaiting confirmation"),
    "cancelled": ("已取消", "cancelled"),
    "expired": ("已过期", "expired"),
    "sent": ("已发送", "sent"),
    "succeeded": ("成功", "succeeded"),
    "failed": ("失败", "failed"),
    "unconfirmed": ("设备未确认", "not confirmed by the equipment"),
}


def _pick(pair: tuple[str, str], lang: ReportLanguage) -> str:
    return pair[0] if lang is ReportLanguage.ZH else pair[1]


def text(key: str, lang: ReportLanguage, **values: object) -> str:
    return _pick(_TEXT[key], lang).format(**values)


def label(table: dict[str, tuple[str, str]], key: str | None, lang: ReportLanguage) -> str:
    if key is None:
        return ""
    return _pick(table[key], lang) if key in table else key


def alarm_word(kind: str, key: str, lang: ReportLanguage) -> str:
    """An alarm event, state or severity: the alarm module's Chinese names, or the identifier in English."""
    names = {"event": EVENT_NAMES, "state": STATE_NAMES, "severity": SEVERITY_NAMES}[kind]
    return names.get(key, key) if lang is ReportLanguage.ZH else key.replace("_", " ")


def local(moment: datetime | None, timezone: str, pattern: str = "%Y-%m-%d %H:%M:%S") -> str:
    return "" if moment is None else moment.astimezone(ZoneInfo(timezone)).strftime(pattern)


def shown(value: object) -> str:
    """A command's value as printed: none as a dash, floats without trailing noise."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
