"""Virtual factory: lines of CNC machines, robots and packaging machines, deterministic from a seed.

The model (``model``, ``machine``, ``calendar``, ``catalogue``, ``states``) is pure: simulated time is passed
in, randomness comes from seeded streams. Publishers sit on top of its readings: ``mqtt_json`` (the
platform's JSON payload); a Sparkplug B publisher can use the same :class:`Reading` stream, the device
catalogue for births and :meth:`FactoryRun.snapshot` for birth values.
"""

from zhizao.simulator.calendar import CalendarStatus, Shift, ShiftCalendar, segment_at
from zhizao.simulator.catalogue import PROFILES, Cadence, Profile, Program, Reading, SignalSpec, Value, signal_catalogue
from zhizao.simulator.model import (
    DeviceInfo,
    FactoryRun,
    FactorySpec,
    LineSpec,
    MachineSpec,
    default_factory,
    device_catalogue,
)
from zhizao.simulator.states import (
    ACTIVITY_STATES,
    Activity,
    FailureEvent,
    MachineryItemState,
    OperationMode,
    StateInterval,
    Truth,
    activity_of,
)

__all__ = [
    "ACTIVITY_STATES",
    "PROFILES",
    "Activity",
    "Cadence",
    "CalendarStatus",
    "DeviceInfo",
    "FactoryRun",
    "FactorySpec",
    "FailureEvent",
    "LineSpec",
    "MachineSpec",
    "MachineryItemState",
    "OperationMode",
    "Profile",
    "Program",
    "Reading",
    "Shift",
    "ShiftCalendar",
    "SignalSpec",
    "StateInterval",
    "Truth",
    "Value",
    "activity_of",
    "default_factory",
    "device_catalogue",
    "segment_at",
    "signal_catalogue",
]
