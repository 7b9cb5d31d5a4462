"""Readable names of the community area's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "talent_cohort.create": N_("Created training cohort"),
    "talent_cohort.update": N_("Changed training cohort"),
    "talent_cohort.delete": N_("Deleted training cohort"),
    "talent_trainee.create": N_("Enrolled trainee"),
    "talent_trainee.update": N_("Changed trainee"),
    "talent_trainee.import": N_("Imported trainees"),
    "talent_trainee.certify": N_("Certified trainee"),
    "talent_trainee.excellent": N_("Selected excellent consultant"),
    "talent_trainee.excellent_withdraw": N_("Withdrew excellent consultant selection"),
    "programme_event.create": N_("Created programme event"),
    "programme_event.update": N_("Changed programme event"),
    "programme_event.delete": N_("Deleted programme event"),
    "match_request.create": N_("Posted supply–demand request"),
    "match_request.update": N_("Changed supply–demand request"),
    "match_request.close": N_("Closed supply–demand request"),
    "match_request.match": N_("Matched supply and demand"),
    "support_measure.create": N_("Recorded support measure"),
    "support_measure.update": N_("Changed support measure"),
    "support_measure.delete": N_("Deleted support measure"),
    "work_task.create": N_("Added work-plan task"),
    "work_task.update": N_("Changed work-plan task"),
    "work_task.delete": N_("Deleted work-plan task"),
}
