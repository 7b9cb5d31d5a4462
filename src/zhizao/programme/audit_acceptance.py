"""Readable names of the acceptance area's audit actions (English ids, translated where shown)."""

from zhizao.ui.i18n import N_  # noqa: F401

ACTION_LABELS: dict[str, str] = {}
