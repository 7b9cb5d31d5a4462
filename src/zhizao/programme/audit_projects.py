"""Readable names of the projects area's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "programme_project.apply": N_("Applied for a factory project"),
    "programme_project.record_diagnosis": N_("Recorded the diagnosis of a factory project"),
    "programme_project.approve_plan": N_("Approved the upgrade plan of a factory project"),
    "programme_project.start_construction": N_("Started construction of a factory project"),
    "programme_project.accept": N_("Accepted a factory project"),
    "programme_project.recognise": N_("Recognised a smart factory"),
    "programme_project.designate_benchmark": N_("Designated a benchmark factory"),
    "programme_project.reject": N_("Rejected a factory project"),
    "programme_project.withdraw": N_("Withdrew a factory project"),
    "programme_project.robots": N_("Recorded robots deployed by a factory project"),
    "programme_project.case": N_("Changed the case narrative of a factory project"),
    "upgrade_plan.save": N_("Saved an upgrade plan"),
    "upgrade_plan.submit": N_("Submitted an upgrade plan"),
    "upgrade_plan.return": N_("Returned an upgrade plan for revision"),
}
