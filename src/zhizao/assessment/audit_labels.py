"""Readable names of the assessment context's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "assessment_profile.update": N_("Changed assessment profile of enterprise"),
    "expert.create": N_("Added expert to the pool"),
    "expert.update": N_("Changed expert"),
    "integrator_capability.update": N_("Changed integrator capabilities"),
    "integrator_capability.delete": N_("Removed integrator capabilities"),
    "assessment.create": N_("Started self-assessment"),
    "assessment.submit": N_("Submitted self-assessment"),
    "assessment.open": N_("Opened on-site diagnosis"),
    "assessment.team_propose": N_("Proposed diagnosis team"),
    "assessment.team_adjust": N_("Adjusted diagnosis team"),
    "assessment.team_accept": N_("Accepted diagnosis invitation"),
    "assessment.team_decline": N_("Declined diagnosis invitation"),
    "assessment.consensus": N_("Started consensus of diagnosis"),
    "assessment.close": N_("Closed diagnosis"),
    "assessment.cancel": N_("Cancelled diagnosis"),
    "assessment.rating": N_("Changed assessment rating"),
    "assessment.evidence": N_("Uploaded assessment evidence"),
}
