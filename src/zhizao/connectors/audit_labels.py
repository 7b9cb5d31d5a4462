"""Readable names of the connectors' audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "connector.create": N_("Created connector"),
    "connector.update": N_("Changed connector"),
    "connector.enable": N_("Enabled connector"),
    "connector.disable": N_("Disabled connector"),
    "connector.delete": N_("Removed connector"),
}
