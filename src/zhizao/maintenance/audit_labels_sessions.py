"""Readable names of the audit actions of remote maintenance sessions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "maintenance_session.open": N_("Opened remote maintenance session"),
    "maintenance_session.close": N_("Closed remote maintenance session"),
    "maintenance_session.end": N_("Owner ended remote maintenance session"),
    "maintenance_session.lapse": N_("Remote maintenance session lapsed (consent revoked or expired)"),
    "maintenance_session.finding": N_("Recorded maintenance finding"),
    "maintenance_session.test_connection": N_("Tested connector in maintenance session"),
}
