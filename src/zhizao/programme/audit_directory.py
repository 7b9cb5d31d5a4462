"""Readable names of the directory area's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "programme_integrator.apply": N_("Applied to the integrator directory"),
    "programme_integrator.update": N_("Updated an integrator directory application"),
    "programme_integrator.list": N_("Listed an integrator in the directory"),
    "programme_integrator.reject": N_("Rejected an integrator directory application"),
    "programme_integrator.suspend": N_("Suspended an integrator from the directory"),
    "programme_platform.create": N_("Registered a vertical platform"),
    "programme_platform.update": N_("Updated a vertical platform"),
    "programme_platform.delete": N_("Removed a vertical platform"),
    "programme_platform_client.link": N_("Linked an enterprise to a platform"),
    "programme_platform_client.unlink": N_("Unlinked an enterprise from a platform"),
}
