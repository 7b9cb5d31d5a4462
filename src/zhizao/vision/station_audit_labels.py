"""Readable names of the inspection stations' audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "vision_station.create": N_("Created inspection station"),
    "vision_station.update": N_("Changed inspection station"),
    "vision_station.deploy": N_("Deployed inspection model to station"),
    "vision_station.issue_token": N_("Issued station gateway token"),
    "vision_inspection.confirm": N_("Confirmed inspection verdict"),
    "vision_inspection.correct": N_("Corrected inspection verdict"),
}
