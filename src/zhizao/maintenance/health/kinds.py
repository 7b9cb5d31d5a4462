"""Statuses and kinds of equipment health, the model registry and cases, with their labels. Pure data."""

from __future__ import annotations

from enum import StrEnum

from zhizao.ui.i18n import N_


class HealthStatus(StrEnum):
    """NAMUR NE107 status signals, plus the explicit absence of an assessment (never a made-up number)."""

    NORMAL = "normal"
    MAINTENANCE_REQUIRED = "maintenance_required"
    OUT_OF_SPECIFICATION = "out_of_specification"
    CHECK_FUNCTION = "check_function"
    FAILURE = "failure"
    NOT_ENOUGH_DATA = "not_enough_data"


HEALTH_STATUS_LABELS: dict[str, str] = {
    HealthStatus.NORMAL: N_("Normal"),
    HealthStatus.MAINTENANCE_REQUIRED: N_("Maintenance required"),
    HealthStatus.OUT_OF_SPECIFICATION: N_("Out of specification"),
    HealthStatus.CHECK_FUNCTION: N_("Check function"),
    HealthStatus.FAILURE: N_("Failure"),
    HealthStatus.NOT_ENOUGH_DATA: N_("Not enough data"),
}

# NE107's customary colours (green, blue, yellow, orange, red); grey for no assessment.
HEALTH_STATUS_COLOURS: dict[str, str] = {
    HealthStatus.NORMAL: "#2e7d32",
    HealthStatus.MAINTENANCE_REQUIRED: "#1565c0",
    HealthStatus.OUT_OF_SPECIFICATION: "#f9a825",
    HealthStatus.CHECK_FUNCTION: "#ef6c00",
    HealthStatus.FAILURE: "#c62828",
    HealthStatus.NOT_ENOUGH_DATA: "#757575",
}

# Statuses that say the equipment itself is degrading or down: these open a case (check function does not —
# it says the signal cannot be trusted right now, not that the machine is worse).
DEGRADED_STATUSES = frozenset(
    {HealthStatus.MAINTENANCE_REQUIRED, HealthStatus.OUT_OF_SPECIFICATION, HealthStatus.FAILURE}
)


class ModelKind(StrEnum):
    HEALTH_BASELINE = "health_baseline"
    RUL = "rul"
    BEARING = "bearing"


MODEL_KIND_LABELS: dict[str, str] = {
    ModelKind.HEALTH_BASELINE: N_("Health baseline"),
    ModelKind.RUL: N_("Remaining useful life"),
    ModelKind.BEARING: N_("Bearing diagnosis"),
}


class ModelStatus(StrEnum):
    REGISTERED = "registered"  # stored, applied nowhere
    DEPLOYED = "deployed"  # applied to at least one piece of equipment
    RETIRED = "retired"  # withdrawn for good; its history stays


MODEL_STATUS_LABELS: dict[str, str] = {
    ModelStatus.REGISTERED: N_("Registered"),
    ModelStatus.DEPLOYED: N_("Deployed"),
    ModelStatus.RETIRED: N_("Retired"),
}


class CaseState(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"


CASE_STATE_LABELS: dict[str, str] = {
    CaseState.OPEN: N_("Open"),
    CaseState.ACKNOWLEDGED: N_("Acknowledged"),
    CaseState.CLOSED: N_("Closed"),
}


class CaseTrigger(StrEnum):
    HEALTH = "health"  # the health status turned maintenance required or worse
    RUL = "rul"  # a remaining-useful-life prediction fell under its threshold
    DIAGNOSIS = "diagnosis"  # another predictor (bearing diagnosis) raised an alert


CASE_TRIGGER_LABELS: dict[str, str] = {
    CaseTrigger.HEALTH: N_("Health degraded"),
    CaseTrigger.RUL: N_("Short remaining useful life"),
    CaseTrigger.DIAGNOSIS: N_("Fault diagnosed"),
}
