"""The alarm history as an Excel workbook: zh-CN headers, times in the programme's time zone (Asia/Shanghai)."""

from __future__ import annotations

import io
from collections.abc import Sequence
from zoneinfo import ZoneInfo

from openpyxl import Workbook

from zhizao.telemetry.alarms.models import AlarmEvent
from zhizao.telemetry.timeutil import from_us

HEADERS = (
    "时间", "报警规则", "设备", "数据点位", "事件", "原状态", "新状态", "数值", "严重程度", "优先级", "报警信息",
    "操作人", "备注",
)  # fmt: skip
EVENT_NAMES = {
    "condition_true": "报警触发", "condition_false": "报警恢复", "acknowledge": "确认", "shelve": "搁置",
    "unshelve": "解除搁置", "shelf_expired": "搁置到期", "remove_from_service": "停用", "return_to_service": "恢复投用",
}  # fmt: skip
STATE_NAMES = {
    "normal": "正常", "active_unacked": "报警未确认", "active_acked": "报警已确认", "cleared_unacked": "已恢复未确认",
    "shelved": "已搁置", "out_of_service": "已停用",
}  # fmt: skip
SEVERITY_NAMES = {"critical": "紧急", "high": "高", "medium": "中", "low": "低"}


def history_workbook(
    events: Sequence[AlarmEvent],
    timezone: str,
    equipment_names: dict[int, str] | None = None,
    signal_names: dict[int, str] | None = None,
) -> bytes:
    zone = ZoneInfo(timezone)
    equipment_names = equipment_names or {}
    signal_names = signal_names or {}
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "报警历史"
    sheet.append(list(HEADERS))
    for event in events:
        value = event.value
        sheet.append(
            [
                from_us(event.ts_us).astimezone(zone).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
                event.rule_id,
                equipment_names.get(event.equipment_id, "") if event.equipment_id is not None else "",
                signal_names.get(event.signal_id, "") if event.signal_id is not None else "",
                EVENT_NAMES.get(event.event, event.event),
                STATE_NAMES.get(event.from_state, event.from_state),
                STATE_NAMES.get(event.to_state, event.to_state),
                value if isinstance(value, int | float) and not isinstance(value, bool) else _text(value),
                SEVERITY_NAMES.get(event.severity, event.severity),
                event.priority,
                event.message,
                event.user or "",
                event.comment or "",
            ]
        )
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # text typed as "=…" stays text (formula injection)
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _text(value: object) -> str:
    return "" if value is None else str(value)
