"""The words of the invoice documents (PDF and Excel), in Chinese: a Chinese lessee's accounts department files
them. The pages use the English message ids of ``invoice_views`` and the translation catalogue instead."""

from __future__ import annotations

from zhizao.sharing.invoice_views import InvoiceView

KIND = {
    "time": "机时",
    "wear": "磨损",
    "wear_not_metered": "磨损未计量",
    "setup": "换型",
    "incident": "事件",
    "sla_credit": "出租方停机抵扣",
    "cancellation": "取消费",
    "no_show": "未到场费",
    "usage": "机时",  # meter record kinds besides the line kinds
    "owner_downtime": "出租方停机",
}
UNIT = {"h": "小时", "damage": "寿命损耗", "setup": "次", "incident": "次"}
STATUS = {"issued": "已开具", "disputed": "有异议", "settled": "已结清"}
DISPUTE_STATUS = {"open": "待答复", "accepted": "已接受", "rejected": "已驳回"}

TITLE = "设备共享账单"
LINE_COLUMNS = (
    "类别",
    "价目版本",
    "部件",
    "数量",
    "单位",
    "单价（元）",
    "金额（元）",
    "计量区间（当地时间）",
    "计量记录",
    "备注",
)
# Every field a record's hash covers is a column of its own, as hashed (µs, exact decimal text, JSON intervals).
RECORD_COLUMNS = (
    "序号", "记录编号", "预约", "设备", "类别", "类别代码", "开始（当地时间）", "结束（当地时间）", "数量",
    "计量区间（当地时间）", "部件", "事件时刻 µs", "备注", "开始 µs", "结束 µs", "计量区间 µs", "前一哈希", "哈希",
)  # fmt: skip
TARIFF_COLUMNS = ("价目编号", "设备共享编号", "版本", "生效时间（当地时间）", "费率")


def kind_label(kind: str, component: str | None = None) -> str:
    label = KIND.get(kind, kind)
    return f"{label}（{component}）" if component else label


def unit_label(unit: str) -> str:
    return UNIT.get(unit, unit)


def booking_heading(booking_id: int, title: str, window: str) -> str:
    return f"预约 #{booking_id} {title}（{window}）"


def recompute_help(view: InvoiceView) -> str:
    """How the lessee (or anyone) recomputes the invoice."""
    invoice = view.invoice
    return "".join(
        [
            f"如何复算：本账单按所列价目版本，由出租方计量日志第 0–{invoice.head_seq} 条记录",
            f"（链头哈希 {invoice.head_hash}）中属于本账单的记录计算。",
            "每条计量记录的哈希 = SHA-256（记录字段、序号与前一哈希的规范 JSON），逐条相连；",
            "随附 Excel 的“计量记录”工作表列出每条记录的全部字段，可逐条校验。",
            "每行金额 = 数量 × 单价，只在最后四舍五入到分；",
            "机时、停机抵扣、取消费与未到场费的数量为计量区间总时长（微秒 ÷ 3 600 000 000 小时）。",
            f"出租方或平台运行 `zhizao sharing recompute {invoice.number}` 校验哈希链并逐行复算，不符即报告差异；",
            "计量与计价规则见 docs/sharing-billing.md。",
        ]
    )
