"""Readable names of the acceptance area's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "acceptance.open": N_("Opened acceptance"),
    "acceptance.reviewers": N_("Assigned acceptance reviewers"),
    "acceptance.checklist": N_("Marked acceptance checklist"),
    "acceptance.verification": N_("Attached KPI verification to acceptance"),
    "acceptance.review": N_("Submitted acceptance review"),
    "acceptance.decide": N_("Decided acceptance"),
    "benchmark.decide": N_("Decided on benchmark factory"),
}
