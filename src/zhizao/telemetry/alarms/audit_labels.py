"""Readable names of alarm management's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "alarm_rule.create": N_("Created alarm rule"),
    "alarm_rule.update": N_("Changed alarm rule"),
    "alarm_rule.delete": N_("Removed alarm rule"),
    "alarm.acknowledge": N_("Acknowledged alarm"),
    "alarm.shelve": N_("Shelved alarm"),
    "alarm.unshelve": N_("Unshelved alarm"),
    "alarm.remove_from_service": N_("Removed alarm from service"),
    "alarm.return_to_service": N_("Returned alarm to service"),
    "alarm_webhook.create": N_("Added alarm webhook"),
    "alarm_webhook.update": N_("Changed alarm webhook"),
    "alarm_webhook.delete": N_("Removed alarm webhook"),
}
