"""Readable names of the cockpit area's audit actions (English ids, translated where shown).

The cockpit, its drill-downs and exports, and the publications only read: they record nothing in the audit log,
so there is no action to name. A state change added to this area names its action here.
"""

ACTION_LABELS: dict[str, str] = {}
