"""Readable names of the audit actions of capacity sharing (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "share_listing.create": N_("Offered equipment for sharing"),
    "share_listing.update": N_("Changed shared equipment"),
    "share_listing.photo": N_("Uploaded shared equipment photo"),
    "share_tariff.create": N_("Added sharing tariff version"),
    "share_availability.create": N_("Added availability window"),
    "share_availability.delete": N_("Removed availability window"),
    "share_component.replace": N_("Recorded wear component replacement"),
    "share_booking.request": N_("Requested booking"),
    "share_booking.confirm": N_("Confirmed booking"),
    "share_booking.reject": N_("Rejected booking"),
    "share_booking.start": N_("Started booking"),
    "share_booking.complete": N_("Completed booking"),
    "share_booking.cancel": N_("Cancelled booking"),
    "share_booking.no_show": N_("Recorded booking no-show"),
    "share_booking.job_sent": N_("Sent job id to the machine"),
    "share_invoice.issue": N_("Issued sharing invoice"),
    "share_dispute.raise": N_("Disputed invoice line"),
    "share_dispute.accept": N_("Accepted dispute with a credit note"),
    "share_dispute.reject": N_("Rejected dispute"),
}
