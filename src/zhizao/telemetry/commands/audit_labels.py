"""Readable names of the audit actions of remote commands and consents (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "command.request": N_("Prepared remote command"),
    "command.confirm": N_("Confirmed remote command"),
    "command.cancel": N_("Cancelled remote command"),
    "command.expire": N_("Remote command expired unconfirmed"),
    "command.result": N_("Remote command result"),
    "consent.grant": N_("Granted equipment consent"),
    "consent.revoke": N_("Revoked equipment consent"),
    "sparkplug_edge.set": N_("Set Sparkplug edge node of data source"),
}
