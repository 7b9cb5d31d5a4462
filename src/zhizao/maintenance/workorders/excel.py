"""Work orders as an Excel workbook: one sheet of orders, one of spare parts used; zh-CN headers, times in
Asia/Shanghai, money as CNY to the fen (numbers, not text, so that Excel sums them)."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from zhizao.maintenance.models_workorders import WorkOrder, WorkOrderPart
from zhizao.maintenance.workorders import codes
from zhizao.telemetry.timeutil import from_us

ORDER_HEADERS = (
    "工单号", "设备", "标题", "类型", "来源", "报警事件", "维修案例", "优先级", "状态", "负责人", "计划开始",
    "计划结束", "实际开始", "实际结束", "故障模式", "故障原因", "处理措施", "工时（小时）", "备件费用（元）",
    "停机开始", "停机结束", "维修时长（小时）", "停机时间来源", "创建人", "创建时间", "备注",
)  # fmt: skip
PART_HEADERS = ("工单号", "设备", "备件编号", "备件名称", "数量", "单价（元）", "金额（元）")
KIND_NAMES = {"corrective": "故障维修", "preventive": "预防性维护", "predictive": "预测性维护"}
SOURCE_NAMES = {"manual": "手工创建", "alarm": "报警", "case": "维修案例", "plan": "预防性维护计划"}
STATUS_NAMES = {
    "open": "待派工", "assigned": "已派工", "in_progress": "维修中", "done": "已完工", "verified": "已验收",
    "cancelled": "已取消",
}  # fmt: skip
PRIORITY_NAMES = {1: "紧急", 2: "高", 3: "中", 4: "低"}
REPAIR_SOURCE_NAMES = {
    "ledger": "设备状态台账", "order_no_ledger": "工单时间（台账无数据）",
    "order_no_down_state": "工单时间（台账无停机）",
}  # fmt: skip
FEN = Decimal("0.01")
TIME_FORMAT = "%Y-%m-%d %H:%M"


def _time(value: datetime | None, zone: ZoneInfo) -> str:
    return "" if value is None else value.astimezone(zone).strftime(TIME_FORMAT)


def _us(value: int | None, zone: ZoneInfo) -> str:
    return "" if value is None else _time(from_us(value), zone)


def _cost(part: WorkOrderPart) -> Decimal:
    return (part.quantity * part.unit_cost).quantize(FEN)


def _order_row(order: WorkOrder, equipment: str, parts: Sequence[WorkOrderPart], zone: ZoneInfo) -> list[object]:
    hours = (
        round((order.repair_end_us - order.repair_start_us) / 3_600_000_000, 2)
        if order.repair_start_us is not None and order.repair_end_us is not None
        else ""
    )
    return [
        order.id, equipment, order.title, KIND_NAMES.get(order.kind.value, order.kind.value),
        SOURCE_NAMES.get(order.source.value, order.source.value), order.alarm_event_id or "", order.case_id or "",
        PRIORITY_NAMES.get(order.priority, str(order.priority)),
        STATUS_NAMES.get(order.status.value, order.status.value),
        order.assignee_name or "", _time(order.planned_start, zone), _time(order.planned_end, zone),
        _time(order.actual_start, zone), _time(order.actual_end, zone),
        codes.zh_of("failure_mode", order.failure_mode), codes.zh_of("failure_cause", order.failure_cause),
        codes.zh_of("remedy", order.remedy), order.labour_hours if order.labour_hours is not None else "",
        sum((_cost(part) for part in parts), Decimal("0.00")), _us(order.repair_start_us, zone),
        _us(order.repair_end_us, zone), hours,
        REPAIR_SOURCE_NAMES.get(order.repair_source.value, "") if order.repair_source else "",
        order.created_by_name, _time(order.created_at, zone), order.notes or "",
    ]  # fmt: skip


def _finish(sheet: Worksheet, money_columns: Sequence[int]) -> None:
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if cell.data_type == "f":  # text typed as "=…" stays text (formula injection)
                cell.data_type = "s"
            if cell.column in money_columns and isinstance(cell.value, Decimal | int | float):
                cell.number_format = "#,##0.00"
    sheet.freeze_panes = "A2"


def orders_workbook(
    orders: Sequence[WorkOrder],
    parts: Mapping[int, Sequence[WorkOrderPart]],
    equipment_names: Mapping[int, str],
    timezone: str,
) -> bytes:
    zone = ZoneInfo(timezone)
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "维修工单"
    sheet.append(list(ORDER_HEADERS))
    for order in orders:
        name = equipment_names.get(order.equipment_id, str(order.equipment_id))
        sheet.append(_order_row(order, name, parts.get(order.id, ()), zone))
    _finish(sheet, [ORDER_HEADERS.index("备件费用（元）") + 1])
    part_sheet = workbook.create_sheet("备件消耗")
    part_sheet.append(list(PART_HEADERS))
    for order in orders:
        for part in parts.get(order.id, ()):
            name = equipment_names.get(order.equipment_id, str(order.equipment_id))
            part_sheet.append([order.id, name, part.part_number, part.name, part.quantity, part.unit_cost, _cost(part)])
    _finish(part_sheet, [6, 7])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
