"""The kinds and sources of work orders, and their labels. Pure data."""

from __future__ import annotations

from enum import StrEnum

from zhizao.ui.i18n import N_


class OrderKind(StrEnum):
    CORRECTIVE = "corrective"  # after a failure
    PREVENTIVE = "preventive"  # from a plan, by calendar or counter
    PREDICTIVE = "predictive"  # from a condition: an alarm trend, a health or RUL case


class OrderSource(StrEnum):
    MANUAL = "manual"
    ALARM = "alarm"
    CASE = "case"
    PLAN = "plan"


KIND_LABELS: dict[str, str] = {
    OrderKind.CORRECTIVE: N_("Corrective"),
    OrderKind.PREVENTIVE: N_("Preventive"),
    OrderKind.PREDICTIVE: N_("Predictive"),
}
SOURCE_LABELS: dict[str, str] = {
    OrderSource.MANUAL: N_("By hand"),
    OrderSource.ALARM: N_("Alarm"),
    OrderSource.CASE: N_("Maintenance case"),
    OrderSource.PLAN: N_("Preventive plan"),
}
PRIORITY_LABELS: dict[int, str] = {1: N_("Urgent"), 2: N_("High"), 3: N_("Medium"), 4: N_("Low")}
