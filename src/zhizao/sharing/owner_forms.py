"""The owner pages' forms as the API's schemas read them: posted strings → ``ListingCreate`` / ``ListingUpdate`` /
``TariffRates`` / ``WindowCreate`` input, and stored values → the strings a form shows.

Text the page cannot read as a number is passed on as it is, so that the schema names the field that is wrong
instead of the form guessing. Problems are keyed by field (``body.`` dropped) for the template to show each one
beside its input.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from zhizao.errors import FieldProblem, InputError
from zhizao.sharing.tariffs import IncidentKind
from zhizao.telemetry.alarms.models import AlarmRuleRow

WEAR_SLOTS = 4  # spindle rows a listing form shows (one spare for a new component)
BAND_SLOTS = 5  # cancellation bands a tariff form shows
LISTING_TEXT = ("title", "description", "location")
LISTING_NUMBERS = ("axes", "envelope_x_mm", "envelope_y_mm", "envelope_z_mm")
WEAR_INPUTS = ("id", "bearing", "speed", "load", "l10h", "coverage")
DEFAULT_BANDS = [{"min_notice_h": "0", "share": "0"}]
# Form input → the spindle spec's field (``wear.SpindleSpec``).
WEAR_KEYS = {
    "id": "component_id", "bearing": "bearing", "speed": "speed_ref_rpm", "load": "load_ref", "l10h": "l10h_ref",
    "coverage": "min_coverage",
}  # fmt: skip


def _plain(value: str | None) -> str:
    return (value or "").strip()


def _integer(text: str) -> int | str | None:
    if not text:
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else text


def _real(text: str) -> float | str:
    """A float where the text is one (the strict wear specs refuse strings, which then name the field)."""
    try:
        value = float(text)
    except ValueError:
        return text
    return value if math.isfinite(value) else text


def materials(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[,，、;；\n]", text) if part.strip()]


def listing_input(form: Mapping[str, str], rules: Sequence[AlarmRuleRow] | None) -> dict[str, Any]:
    """The listing fields of a posted form (``rules``: the machine's alarm rules, whose incident kinds the form
    sets; None on the create form, which has none yet)."""
    values: dict[str, Any] = {name: _plain(form.get(name)) or None for name in LISTING_TEXT}
    values.update({name: _integer(_plain(form.get(name))) for name in LISTING_NUMBERS})
    values["precision_mm"] = _plain(form.get("precision_mm")) or None
    values["materials"] = materials(form.get("materials") or "")
    values["published"] = form.get("published") == "on"
    values["wear_components"] = wear_input(form)
    if rules is not None:
        values["incident_alarms"] = incident_input(form, rules)
    return values


def wear_slots(form: Mapping[str, str]) -> list[int]:
    """The form rows that hold a component (a row whose bearing is left blank is no component), in order."""
    return [slot for slot in range(WEAR_SLOTS) if _plain(form.get(f"wear_bearing_{slot}"))]


def wear_input(form: Mapping[str, str]) -> list[dict[str, Any]]:
    """Spindle components from the rows that hold one (``wear_slots``)."""
    components: list[dict[str, Any]] = []
    for slot in wear_slots(form):
        row = {name: _plain(form.get(f"wear_{name}_{slot}")) for name in WEAR_INPUTS}
        component: dict[str, Any] = {
            "kind": "spindle", "component_id": row["id"] or ("spindle" if not components else f"spindle-{slot + 1}"),
            "bearing": row["bearing"], "speed_ref_rpm": _real(row["speed"]), "load_ref": _real(row["load"]),
            "l10h_ref": _real(row["l10h"]),
        }  # fmt: skip
        if row["coverage"]:
            component["min_coverage"] = _real(row["coverage"])
        components.append(component)
    return components


def incident_input(form: Mapping[str, str], rules: Iterable[AlarmRuleRow]) -> dict[str, str]:
    """``incident:<rule pk>`` selects of the machine's own rules → {rule_id: kind}; other names are not read."""
    chosen: dict[str, str] = {}
    kinds = {kind.value for kind in IncidentKind}
    for rule in rules:
        value = _plain(form.get(f"incident:{rule.id}"))
        if not value:
            continue
        if value not in kinds:
            raise InputError.for_field(f"body.incident_alarms.{rule.rule_id}", f"not an incident kind: {value!r}")
        chosen[rule.rule_id] = value
    return chosen


def listing_values(listing: Any) -> dict[str, str]:
    """A stored listing (or ListingDetail) as the form's strings."""
    values = {name: "" if getattr(listing, name) is None else str(getattr(listing, name)) for name in LISTING_TEXT}
    values.update({name: str(getattr(listing, name) or "") for name in LISTING_NUMBERS})
    values["precision_mm"] = "" if listing.precision_mm is None else f"{Decimal(listing.precision_mm).normalize():f}"
    values["materials"] = "、".join(listing.materials)
    values["published"] = "on" if listing.published else ""
    for slot, component in enumerate(listing.wear_components[:WEAR_SLOTS]):
        for name, key in WEAR_KEYS.items():
            values[f"wear_{name}_{slot}"] = str(component.get(key, ""))
    return values


def tariff_input(form: Mapping[str, str], components: Sequence[str]) -> dict[str, Any]:
    """The rates of a posted tariff form; ``components``: the listing's wear components, one rate input each."""
    rates: dict[str, Any] = {
        name: _plain(form.get(name)) or None
        for name in ("hourly_rate", "setup_rate", "sla_credit_rate", "no_show_share")
    }
    rates = {name: value for name, value in rates.items() if value is not None or name == "hourly_rate"}
    rates["wear_rates"] = {
        component: _plain(form.get(f"wear_rate_{index}")) for index, component in enumerate(components)
        if _plain(form.get(f"wear_rate_{index}"))
    }  # fmt: skip
    rates["incident_rates"] = {
        kind.value: _plain(form.get(f"incident_rate_{kind.value}"))
        for kind in IncidentKind
        if _plain(form.get(f"incident_rate_{kind.value}"))
    }
    bands = []
    for slot in range(BAND_SLOTS):
        notice, share = _plain(form.get(f"band_notice_{slot}")), _plain(form.get(f"band_share_{slot}"))
        if notice or share:
            bands.append({"min_notice_h": notice or None, "share": share or None})
    rates["cancellation"] = bands
    return rates


def tariff_values(rates: Mapping[str, Any] | None, components: Sequence[str]) -> dict[str, str]:
    """A stored version's rates (the latest, to start the next one from) as the form's strings."""
    rates = rates or {}
    values = {name: str(rates.get(name, "")) for name in ("hourly_rate", "setup_rate", "sla_credit_rate")}
    values["no_show_share"] = str(rates.get("no_show_share", "1"))
    wear = rates.get("wear_rates", {})
    values.update({f"wear_rate_{index}": str(wear.get(component, "")) for index, component in enumerate(components)})
    incidents = rates.get("incident_rates", {})
    values.update({f"incident_rate_{kind.value}": str(incidents.get(kind.value, "")) for kind in IncidentKind})
    for slot, band in enumerate(rates.get("cancellation", DEFAULT_BANDS)[:BAND_SLOTS]):
        values[f"band_notice_{slot}"] = str(band.get("min_notice_h", ""))
        values[f"band_share_{slot}"] = str(band.get("share", ""))
    return values


def moment(text: str | None, field: str, zone: ZoneInfo) -> datetime:
    """A local time typed into a form (YYYY-MM-DD HH:MM, the platform's time zone unless it names an offset)."""
    try:
        value = datetime.fromisoformat(_plain(text).replace(" ", "T"))
    except ValueError as exc:
        raise InputError.for_field(field, f"not a time (YYYY-MM-DD HH:MM): {text!r}") from exc
    return value if value.tzinfo else value.replace(tzinfo=zone)


def by_field(problems: Sequence[FieldProblem], slots: Sequence[int] = ()) -> dict[str, list[str]]:
    """Problems keyed by their field without the ``body.`` prefix (``wear_rates.spindle``); the template shows a
    field's own and its children's (``cancellation.0.share`` beside band 0) next to the input. A wear component's
    problems (``wear_components[i]…``) are keyed by the form row it came from (``wear_<slot>``)."""
    keyed: dict[str, list[str]] = {}
    for problem in problems:
        key = re.sub(r"^(body|query)\.", "", problem.field)
        component = re.match(r"^wear_components(?:\[(\d+)\]|\.(\d+))", key)
        if component is not None:
            index = int(component.group(1) or component.group(2))
            key = f"wear_{slots[index]}" if index < len(slots) else "wear_components"
        keyed.setdefault(key, []).append(problem.message)
    return keyed


def _covers(key: str, field: str) -> bool:
    return key == field or key.startswith((field + ".", field + "["))


def split_problems(
    problems: Sequence[FieldProblem], shown: Iterable[str], slots: Sequence[int] = ()
) -> tuple[dict[str, list[str]], list[FieldProblem]]:
    """(problems keyed by field, for the inputs in ``shown``; the rest, for the form's header)."""
    fields = list(shown)
    keyed = by_field(problems, slots)
    inline = {key: messages for key, messages in keyed.items() if any(_covers(key, field) for field in fields)}
    rest = [FieldProblem(key, message) for key, messages in keyed.items() if key not in inline for message in messages]
    return inline, rest
