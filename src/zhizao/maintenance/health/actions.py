"""Recommended actions: a table from (equipment type, the pattern of signals that drove the case) to the likely
failure mode and what to do about it. Pure data; the first row that matches wins. English message ids, translated
where shown.

Signals are matched by what they measure, read from their names (``vibration_rms_mm_s`` → vibration), so the table
does not depend on one vendor's naming.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from zhizao.maintenance.health.kinds import CaseTrigger, HealthStatus
from zhizao.telemetry.kinds import EquipmentType
from zhizao.ui.i18n import N_

# What a signal measures, by words in its name (checked in this order).
MEASURES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("vibration", ("vib", "acceleration", "velocity_rms")),
    ("temperature", ("temp", "thermal")),
    ("load", ("load", "torque", "current")),
    ("power", ("power", "_kw")),
    ("speed", ("speed", "rpm", "rate")),
    ("pressure", ("pressure", "bar")),
)


def measure_of(signal: str) -> str | None:
    name = signal.lower()
    for measure, words in MEASURES:
        if any(word in name for word in words):
            return measure
    return None


@dataclass(frozen=True, slots=True)
class ActionRule:
    equipment_types: frozenset[EquipmentType] | None  # None: any
    needs: frozenset[str]  # measures that must all be among the drivers
    failure_mode: str
    action: str
    trigger: CaseTrigger | None = None  # None: any
    status: HealthStatus | None = None  # None: any


CNC = frozenset({EquipmentType.CNC_MACHINE_TOOL})
ROBOT = frozenset({EquipmentType.INDUSTRIAL_ROBOT})
PACKAGING = frozenset({EquipmentType.PACKAGING_MACHINE})
ROTATING = frozenset({EquipmentType.COMPRESSOR, EquipmentType.CONVEYOR})

RULES: tuple[ActionRule, ...] = (
    ActionRule(None, frozenset(), N_("Breakdown"), N_("The machine is out of service: confirm the repair, record "
               "the failure cause, and learn a new baseline if parts were replaced."), status=HealthStatus.FAILURE),
    ActionRule(None, frozenset(), N_("Wear-out"), N_("The remaining useful life is short: plan the replacement of the "
               "wearing part before the predicted failure and order the spare."), trigger=CaseTrigger.RUL),
    ActionRule(CNC, frozenset({"vibration", "temperature"}), N_("Spindle bearing wear"),
               N_("Inspect the spindle bearings and check the spindle lubrication.")),
    ActionRule(CNC, frozenset({"vibration"}), N_("Spindle bearing wear"),
               N_("Inspect the spindle bearings and the tool clamping; check the spindle for imbalance.")),
    ActionRule(CNC, frozenset({"load"}), N_("Tool wear or spindle overload"),
               N_("Check the cutting tool for wear and the spindle drive for overload.")),
    ActionRule(ROBOT, frozenset({"load"}), N_("Reducer wear"),
               N_("Inspect the axis reducer (gearbox) for wear and backlash, and check its lubricant.")),
    ActionRule(ROBOT, frozenset({"temperature"}), N_("Reducer wear"),
               N_("Check the axis motor and reducer for overheating; check the lubricant and the payload.")),
    ActionRule(PACKAGING, frozenset(), N_("Sealing-jaw drive wear"),
               N_("Inspect the sealing-jaw drive (cam, bearings, belt) for wear and adjust its tension.")),
    ActionRule(ROTATING, frozenset({"vibration"}), N_("Bearing wear or misalignment"),
               N_("Check the alignment and the bearings of the drive train; measure the vibration spectrum.")),
    ActionRule(None, frozenset({"vibration", "temperature"}), N_("Bearing wear"),
               N_("Inspect the bearings and the lubrication of the main drive.")),
    ActionRule(None, frozenset({"vibration"}), N_("Imbalance or looseness"),
               N_("Check the balancing, alignment and fastening of the drive; measure the vibration spectrum.")),
    ActionRule(None, frozenset({"temperature"}), N_("Overheating"),
               N_("Check the cooling and the lubrication; look for friction or overload.")),
    ActionRule(None, frozenset({"load"}), N_("Mechanical overload"),
               N_("Check for mechanical friction, jamming or overload against the process parameters.")),
    ActionRule(None, frozenset({"power"}), N_("Efficiency loss"),
               N_("Check for friction or leaks that raise the energy drawn; compare with the process parameters.")),
    ActionRule(None, frozenset(), N_("Unclassified deviation"),
               N_("Inspect the equipment and compare the driving signals with their baseline.")),
)  # fmt: skip


def recommend(
    equipment_type: EquipmentType | str,
    drivers: Iterable[str],
    *,
    status: HealthStatus | None = None,
    trigger: CaseTrigger = CaseTrigger.HEALTH,
) -> tuple[str, str]:
    """(failure mode, recommended action) for a case with these driving signals."""
    measures = {m for m in (measure_of(d) for d in drivers) if m is not None}
    for rule in RULES:
        if rule.status is not None and rule.status != status:
            continue
        if rule.trigger is not None and rule.trigger != trigger:
            continue
        if rule.equipment_types is not None and equipment_type not in rule.equipment_types:
            continue
        if rule.needs <= measures:
            return rule.failure_mode, rule.action
    raise AssertionError("the last rule matches everything")  # pragma: no cover
