"""The one exception the Sparkplug modules raise for bad input: it carries the reason the message is rejected."""

from __future__ import annotations

from zhizao.errors import ZhizaoError
from zhizao.telemetry.kinds import RejectReason


class SparkplugRejected(ZhizaoError):
    """A topic or payload that cannot be accepted; ``reason`` is counted and kept with the dead letter."""

    code = "sparkplug_rejected"

    def __init__(self, reason: RejectReason, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
