"""Readable names of equipment health's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "maintenance_model.register": N_("Registered maintenance model"),
    "maintenance_model.deploy": N_("Deployed maintenance model"),
    "maintenance_model.retire": N_("Retired maintenance model"),
    "maintenance_case.open": N_("Opened maintenance case"),
    "maintenance_case.acknowledge": N_("Acknowledged maintenance case"),
    "maintenance_case.close": N_("Closed maintenance case"),
    "maintenance_recording.diagnose": N_("Diagnosed vibration recording"),
}
