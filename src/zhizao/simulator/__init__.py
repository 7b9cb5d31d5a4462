"""Virtual factory: lines of CNC machines, robots and packaging machines, deterministic from a seed.

The model (``model``, ``machine``, ``calendar``, ``catalogue``, ``states``) is pure: simulated time is passed
in, randomness comes from seeded streams. Publishers sit on top of its readings: ``mqtt_json`` (the
platform's JSON payload); a Sparkplug B publisher can use the same :class:`Reading` stream, the device
catalogue for births and :meth:`FactoryRun.snapshot` for birth values.

``FactorySpec.upgrade_at_ms`` makes a plant that runs conventionally until its smart-factory upgrade (``upgrade``),
the baseline that programme KPIs are verified against; ``FactoryRun(…, signals=PRODUCTION_SIGNALS)`` with
:func:`with_reporting` generates months of production history quickly.
"""

from zhizao.simulator.calendar import CalendarStatus, Shift, ShiftCalendar, segment_at
from zhizao.simulator.catalogue import PROFILES, Cadence, Profile, Program, Reading, SignalSpec, Value, signal_catalogue
from zhizao.simulator.model import (
    PRODUCTION_SIGNALS,
    DeviceInfo,
    FactoryRun,
    FactorySpec,
    LineSpec,
    MachineSpec,
    default_factory,
    device_catalogue,
    with_reporting,
)
from zhizao.simulator.states import (
    ACTIVITY_STATES,
    Activity,
    Era,
    FailureEvent,
    StateInterval,
    Truth,
    activity_of,
)
from zhizao.simulator.upgrade import ConventionalPractice, conventional_profile
from zhizao.telemetry.machinery import MachineryItemState, OperationMode

__all__ = [
    "ACTIVITY_STATES",
    "PRODUCTION_SIGNALS",
    "PROFILES",
    "Activity",
    "Cadence",
    "CalendarStatus",
    "ConventionalPractice",
    "DeviceInfo",
    "Era",
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
    "conventional_profile",
    "default_factory",
    "device_catalogue",
    "segment_at",
    "signal_catalogue",
    "with_reporting",
]
