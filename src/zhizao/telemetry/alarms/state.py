"""What the alarm engine reads, keeps and emits: samples and ticks, operator actions, the per-rule state (a
serialisable Pydantic model a caller may store and hand back), and the transitions it emits. Pure data.

Times are integer microseconds since the Unix epoch, UTC (``ts_us``), as in the telemetry store.
"""

from __future__ import annotations

from typing import Annotated, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from zhizao.telemetry.alarms.lifecycle import AlarmState, LifecycleEvent
from zhizao.telemetry.alarms.rules import Priority, Severity

US_PER_S = 1_000_000
MAX_SHELVE_S = 24 * 3600.0  # ISA-18.2: shelving is time-limited; anything longer is taking it out of service

SampleValue = bool | int | float | str | None


class Sample(NamedTuple):
    """One sample from the ingest stream. ``None`` (and NaN, ±inf) is bad quality."""

    signal_id: int
    ts_us: int
    value: SampleValue


class Tick(NamedTuple):
    """The stream's clock (a watermark): time has reached ``ts_us``, and a sample older than it that comes later
    is late. Ticks let on/off delays, stale data and shelf expiry fire when no sample arrives."""

    ts_us: int


# Operator actions. ``user`` is who acted, as the caller identifies them (a user name or id).
User = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(min_length=1, max_length=500)]


class _Action(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)

    user: User


class Acknowledge(_Action):
    action: Literal["acknowledge"] = "acknowledge"
    comment: Text | None = None


class Shelve(_Action):
    action: Literal["shelve"] = "shelve"
    duration_s: float = Field(gt=0, le=MAX_SHELVE_S, allow_inf_nan=False)
    reason: Text


class Unshelve(_Action):
    action: Literal["unshelve"] = "unshelve"
    comment: Text | None = None


class RemoveFromService(_Action):
    action: Literal["remove_from_service"] = "remove_from_service"
    reason: Text


class ReturnToService(_Action):
    action: Literal["return_to_service"] = "return_to_service"
    comment: Text | None = None


OperatorAction = Annotated[
    Acknowledge | Shelve | Unshelve | RemoveFromService | ReturnToService,
    Field(discriminator="action"),
]

ACTION_EVENT: dict[type[_Action], LifecycleEvent] = {
    Acknowledge: LifecycleEvent.ACKNOWLEDGE,
    Shelve: LifecycleEvent.SHELVE,
    Unshelve: LifecycleEvent.UNSHELVE,
    RemoveFromService: LifecycleEvent.REMOVE_FROM_SERVICE,
    ReturnToService: LifecycleEvent.RETURN_TO_SERVICE,
}


def action_text(action: _Action) -> str | None:
    """The comment or reason an action carries."""
    return getattr(action, "reason", None) or getattr(action, "comment", None)


class RuleState(BaseModel):
    """Everything the engine remembers about one rule between samples.

    ``raw`` is the condition after the deadband, before the delays; ``active`` is the condition after the delays,
    which drives the lifecycle. While they differ, a delay runs from ``raw_since_us``.
    """

    model_config = ConfigDict(extra="forbid")

    state: AlarmState = AlarmState.NORMAL
    clock_us: int | None = None  # the latest time evaluated (sample or tick); older samples are late
    last_sample_us: int | None = None  # a sample at exactly this time again is a duplicate
    last_seen_us: int | None = None  # stale rules: the newest sample, or when the engine first saw the rule
    last_value: bool | int | float | str | None = None  # the newest good-quality value
    raw: bool = False
    raw_since_us: int | None = None
    active: bool = False
    shelved_until_us: int | None = None
    window: list[tuple[int, float]] = Field(default_factory=list)  # rate of change: (ts_us, value), oldest first
    late_samples: int = 0  # older than the clock: out of order, or replayed after newer data
    duplicate_samples: int = 0  # same time as the last evaluated sample: an at-least-once replay
    bad_quality_samples: int = 0  # None, NaN, ±inf, or text where a number is needed


class EngineState(BaseModel):
    """The state of every rule, by rule id: ``model_dump_json()`` to store, ``model_validate_json()`` to load."""

    model_config = ConfigDict(extra="forbid")

    rules: dict[str, RuleState] = Field(default_factory=dict)


class AlarmTransition(BaseModel):
    """One step of one alarm's lifecycle, as emitted by the engine (for history, notification, the flood count)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rule_id: str
    signal_id: int
    equipment_id: int | None
    event: LifecycleEvent
    from_state: AlarmState
    to_state: AlarmState
    ts_us: int
    value: bool | int | float | str | None  # the newest good-quality value when it happened
    severity: Severity
    priority: Priority
    message: str
    user: str | None = None
    comment: str | None = None  # an acknowledgement's comment, a shelving's or removal's reason
    shelved_until_us: int | None = None

    @property
    def is_activation(self) -> bool:
        """An alarm the operator is newly shown: it counts towards the alarm rate and the flood metric."""
        return self.to_state is AlarmState.ACTIVE_UNACKED
