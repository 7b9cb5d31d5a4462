"""Readable names of the audit actions of C2M mass customisation (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "c2m_model.create": N_("Uploaded product model version"),
    "c2m_model.release": N_("Released product model version"),
    "c2m_model.retire": N_("Retired product model version"),
    "c2m_order.place": N_("Placed customised order"),
}
