"""Readable names of the audit actions of work orders and preventive plans (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "work_order.create": N_("Created work order"),
    "work_order.update": N_("Changed work order"),
    "work_order.delete": N_("Removed work order"),
    "work_order.assign": N_("Assigned work order"),
    "work_order.start": N_("Started work on work order"),
    "work_order.finish": N_("Finished work on work order"),
    "work_order.verify": N_("Verified work order"),
    "work_order.reopen": N_("Reopened work order"),
    "work_order.cancel": N_("Cancelled work order"),
    "work_order.add_part": N_("Added spare part to work order"),
    "work_order.remove_part": N_("Removed spare part from work order"),
    "maintenance_plan.create": N_("Created maintenance plan"),
    "maintenance_plan.update": N_("Changed maintenance plan"),
    "maintenance_plan.delete": N_("Removed maintenance plan"),
    "maintenance_plan.trigger": N_("Maintenance plan came due"),
}
