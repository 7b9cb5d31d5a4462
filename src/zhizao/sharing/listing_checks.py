"""What a listing's billing configuration must agree with: the machine's signals, its alarm rules and the tariff.

- A wear component is accepted only where the meter can measure it (``meters.wear_signal_names``): spindle bearings
  need the machine's ``spindle_speed_rpm`` and ``spindle_load_pct`` signals, thermal cycles ``thermal_cycle_k``, a
  tool ``tool_life_<component id>``. A machine without them is still offered, with a
  time-only tariff (no wear components); its invoices then say "billed by time only".
- Incident alarms are alarm rules of the listed machine itself.
- A tariff version prices exactly what the listing meters: no wear rate for a component the listing does not
  configure (it could never be charged, and reads as if it were), and a rate for every configured component and
  incident kind (the invoice cannot price a record without one; a rate of 0.00 says "free" on purpose).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from zhizao.errors import FieldProblem, InputError
from zhizao.sharing.meters import wear_signal_names
from zhizao.sharing.schemas import TariffRates
from zhizao.sharing.tariffs import IncidentKind
from zhizao.sharing.wear import parse_specs
from zhizao.telemetry.alarms.models import AlarmRuleRow
from zhizao.telemetry.models import Signal

# Component ids appear in field names (``body.wear_rates.<id>``) and form names: plain ASCII only.
COMPONENT_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
FIELD = "body.wear_components"


def _raise(problems: list[FieldProblem], message: str) -> None:
    if problems:
        raise InputError(f"{message}: " + "; ".join(f"{p.field}: {p.message}" for p in problems), fields=problems)


def signal_names(session: Session, equipment_id: int) -> set[str]:
    rows = session.scalars(select(Signal.name).where(Signal.equipment_id == equipment_id))
    return {str(name) for name in rows}


def check_wear_components(
    session: Session, equipment_id: int, raw: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """The components as stored (normalised by ``wear.parse_specs``), or InputError naming
    ``body.wear_components[i]`` for a bad spec, an id that is not plain, or a machine lacking the signals."""
    specs = parse_specs(list(raw), FIELD)
    present = signal_names(session, equipment_id)
    problems: list[FieldProblem] = []
    for index, spec in enumerate(specs):
        field = f"{FIELD}[{index}]"
        if not COMPONENT_ID.match(spec.component_id):
            problems.append(FieldProblem(f"{field}.component_id", "use letters, digits, '_', '-' or '.' only"))
        missing = [name for name in wear_signal_names(spec) if name not in present]
        if missing:
            problems.append(
                FieldProblem(
                    field,
                    f"{spec.component_id}: the machine has no {' or '.join(missing)} signal, which {spec.kind} wear "
                    "metering needs; offer it with a time-only tariff (no wear components) instead",
                )
            )
    _raise(problems, "the wear components cannot be metered")
    return [spec.model_dump(mode="json") for spec in specs]


def equipment_rules(session: Session, equipment_id: int) -> list[AlarmRuleRow]:
    """The alarm rules of a machine: bound to it, or watching one of its signals."""
    own_signals = select(Signal.id).where(Signal.equipment_id == equipment_id)
    query = select(AlarmRuleRow).where(
        or_(AlarmRuleRow.equipment_id == equipment_id, AlarmRuleRow.signal_id.in_(own_signals))
    )
    return list(session.scalars(query.order_by(AlarmRuleRow.rule_id)))


def check_incident_alarms(session: Session, equipment_id: int, alarms: Mapping[str, IncidentKind]) -> dict[str, str]:
    """The incident alarms as stored, or InputError naming ``body.incident_alarms.<rule_id>`` for a rule that is
    not one of the machine's."""
    known = {rule.rule_id for rule in equipment_rules(session, equipment_id)}
    problems = [
        FieldProblem(f"body.incident_alarms.{rule_id}", f"{rule_id} is not an alarm rule of this machine")
        for rule_id in alarms
        if rule_id not in known
    ]
    _raise(problems, "the incident alarms are not the machine's")
    return {rule_id: IncidentKind(kind).value for rule_id, kind in alarms.items()}


def check_tariff(
    wear_components: Sequence[Mapping[str, Any]], incident_alarms: Mapping[str, str], rates: TariffRates
) -> None:
    """InputError naming ``body.wear_rates.<component>`` / ``body.incident_rates.<kind>`` unless the tariff prices
    exactly the configured components, and every configured incident kind."""
    configured = [str(component["component_id"]) for component in wear_components]
    problems = [
        FieldProblem(f"body.wear_rates.{component}", f"the listing has no wear component {component!r}")
        for component in rates.wear_rates
        if component not in configured
    ]
    problems += [
        FieldProblem(f"body.wear_rates.{component}", f"a rate is needed for wear component {component!r}")
        for component in configured
        if component not in rates.wear_rates
    ]
    kinds = sorted({IncidentKind(kind) for kind in incident_alarms.values()})
    problems += [
        FieldProblem(f"body.incident_rates.{kind.value}", f"a rate is needed for {kind.value} incidents")
        for kind in kinds
        if kind not in rates.incident_rates
    ]
    _raise(problems, "the tariff does not price what the listing meters")


def unpriced(
    wear_components: Sequence[Mapping[str, Any]], incident_alarms: Mapping[str, str], rates: Mapping[str, Any] | None
) -> list[str]:
    """What the listing meters that the stored tariff ``rates`` (JSON) has no rate for: shown to the owner, who adds
    a version that prices it (until then such records cannot be invoiced)."""
    wear_rates = (rates or {}).get("wear_rates", {})
    incident_rates = (rates or {}).get("incident_rates", {})
    missing = [str(c["component_id"]) for c in wear_components if str(c["component_id"]) not in wear_rates]
    missing += sorted({kind for kind in incident_alarms.values() if kind not in incident_rates})
    return missing
