"""Readable names of telemetry's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_

ACTION_LABELS: dict[str, str] = {
    "asset_node.create": N_("Created asset node"),
    "asset_node.update": N_("Changed asset node"),
    "asset_node.delete": N_("Removed asset node"),
    "equipment.create": N_("Registered equipment"),
    "equipment.update": N_("Changed equipment"),
    "equipment.delete": N_("Removed equipment"),
    "assets.import": N_("Imported asset list"),
    "device.create": N_("Registered data source"),
    "device.update": N_("Changed data source"),
    "device.issue_credential": N_("Issued device credential"),
    "signal.create": N_("Created data point"),
    "signal.update": N_("Changed data point"),
    "ingest_policy.update": N_("Changed ingest and retention policy"),
}
