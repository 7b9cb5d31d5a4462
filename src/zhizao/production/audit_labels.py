"""Readable names of the audit actions of production plans and reasons (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "work_calendar.create": N_("Created work calendar"),
    "work_calendar.update": N_("Changed work calendar"),
    "work_calendar.change_day": N_("Changed holidays of work calendar"),
    "work_calendar.delete": N_("Removed work calendar"),
    "equipment_setting.update": N_("Changed production settings of equipment"),
    "equipment_setting.assign_calendar": N_("Assigned work calendar to equipment"),
    "planned_downtime.create": N_("Planned downtime"),
    "planned_downtime.update": N_("Changed planned downtime"),
    "planned_downtime.delete": N_("Removed planned downtime"),
    "product.create": N_("Created product"),
    "product.update": N_("Changed product"),
    "product.delete": N_("Removed product"),
    "operation.create": N_("Created operation"),
    "operation.update": N_("Changed operation"),
    "operation.delete": N_("Removed operation"),
    "production_order.create": N_("Created production order"),
    "production_order.update": N_("Changed production order"),
    "production_order.status": N_("Changed production order status"),
    "production_order.delete": N_("Removed production order"),
    "production_orders.import": N_("Imported production orders"),
    "reason_tree.create": N_("Published downtime reason tree"),
    "reason_tree.seed": N_("Seeded default downtime reason tree"),
    "stop.classify": N_("Classified stop"),
}
