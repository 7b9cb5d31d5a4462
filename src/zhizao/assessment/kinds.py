"""The closed vocabularies of the maturity model and of ratings (enums, never strings, in code)."""

from __future__ import annotations

from enum import StrEnum


class EnterpriseType(StrEnum):
    DISCRETE = "discrete"  # 离散型制造
    PROCESS = "process"  # 流程型制造


class Applicability(StrEnum):
    DISCRETE = "discrete"
    PROCESS = "process"
    BOTH = "both"

    def covers(self, enterprise_type: EnterpriseType) -> bool:
        return self is Applicability.BOTH or self.value == enterprise_type.value


class EvidenceType(StrEnum):
    DOCUMENT = "document"
    RECORD = "record"
    SYSTEM_SCREENSHOT = "system_screenshot"
    TELEMETRY = "telemetry"
    SITE_OBSERVATION = "site_observation"
    INTERVIEW = "interview"


class TelemetryCheck(StrEnum):
    """What the enterprise's own telemetry can confirm; such items can be marked data-verified."""

    EQUIPMENT_CONNECTIVITY = "equipment_connectivity"
    DATA_ACQUISITION = "data_acquisition"
    ENERGY_METERING = "energy_metering"
    EQUIPMENT_MANAGEMENT = "equipment_management"
    PRODUCTION_MONITORING = "production_monitoring"


class EvidenceGrade(StrEnum):
    """How well a rating is backed, weakest first (自我声明, 有文件, 数据验证, 现场核查)."""

    SELF_DECLARED = "self_declared"
    DOCUMENTED = "documented"
    DATA_VERIFIED = "data_verified"
    SITE_CHECKED = "site_checked"

    @property
    def confirms(self) -> bool:
        """Backed by the enterprise's measured data or seen on site: counts towards a result's confidence."""
        return self in (EvidenceGrade.DATA_VERIFIED, EvidenceGrade.SITE_CHECKED)
