"""Readable names of the editions, enterprises and parks audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "programme_edition.create": N_("Added programme edition"),
    "programme_edition.update": N_("Changed programme edition targets"),
    "programme_edition.make_current": N_("Made programme edition current"),
    "programme_enterprise.register": N_("Registered enterprise in the programme"),
    "programme_enterprise.put_record": N_("Recorded enterprise in the programme"),
    "programme_enterprise.update": N_("Changed programme enterprise"),
    "programme_enterprise.import": N_("Imported enterprises"),
    "programme_park.create": N_("Added park"),
    "programme_park.update": N_("Changed park"),
    "programme_park.delete": N_("Removed park"),
}
