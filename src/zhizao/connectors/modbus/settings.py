"""A Modbus TCP connector's configuration: where the device is, how patiently to talk to it, its register map, and
which device and signal of the enterprise each point's values are stored as.

A Modbus device has no names of its own, only addresses: the register map gives each point a name, and that name
is the signal it is stored as, on the connector's ``device_code``. ``targets`` overrides either per point, for a
gateway or PLC that serves several machines (the simulator's server is one)::

    {"host": "10.0.4.17", "port": 502, "unit_id": 1, "device_code": "L1-CNC-01",
     "register_map": {"points": [{"name": "spindle_speed_rpm", "table": "holding", "address": 0,
                                  "data_type": "float32"}]},
     "targets": {"spindle_speed_rpm": {"signal": "spindle_speed"}}}

``parse_modbus_settings`` refuses a bad configuration with one ``FieldProblem`` per field at fault, at its dotted
path as pydantic and the web layer name it: ``register_map.points.3.address``, ``targets.speed.device_code``,
``reconnect_max_s``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from zhizao.connectors.base import ConnectorSettings, PointBinding
from zhizao.connectors.modbus.registers import Point, RegisterMap, SignalName
from zhizao.errors import FieldProblem, InputError, plain_message

DeviceCode = Annotated[str, Field(strict=True, pattern=r"^[A-Za-z0-9_-]{1,64}$")]  # the platform's device codes
# A host name or an IP address (IPv6 without brackets); no scheme, port or spaces: those go in their own fields.
Host = Annotated[str, Field(strict=True, min_length=1, max_length=253, pattern=r"^[A-Za-z0-9._:%-]+$")]


class PointTarget(BaseModel):
    """Where one point's values are stored, when not on the connector's device under the point's own name."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    device_code: DeviceCode | None = None
    signal: SignalName | None = None


class ModbusSettings(ConnectorSettings):
    """One Modbus TCP device (or gateway unit). ``timeout_s`` bounds connecting and each request; ``retries``
    resends a request that got no answer before the connection counts as lost; after a loss the connector waits
    ``reconnect_min_s``, doubling up to ``reconnect_max_s`` (with jitter), before it tries again."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: Host
    port: Annotated[int, Field(strict=True, ge=1, le=65535)] = 502
    # Modbus TCP's unit identifier: 1 (the common default) or 255 for a device addressed directly; a gateway's
    # serial device's address (1–247) behind it.
    unit_id: Annotated[int, Field(strict=True, ge=0, le=255)] = 1
    timeout_s: Annotated[float, Field(strict=True, ge=0.1, le=60)] = 3.0
    retries: Annotated[int, Field(strict=True, ge=0, le=10)] = 1
    reconnect_min_s: Annotated[float, Field(strict=True, ge=0.05, le=600)] = 1.0
    reconnect_max_s: Annotated[float, Field(strict=True, ge=0.05, le=3600)] = 60.0
    device_code: DeviceCode | None = None
    register_map: RegisterMap
    targets: dict[Annotated[str, Field(strict=True)], PointTarget] = Field(default_factory=dict)

    def target(self, point: Point) -> tuple[str, str]:
        """(device code, signal) the point's values are stored as; validation made sure there is a device."""
        override = self.targets.get(point.name)
        device = (override.device_code if override else None) or self.device_code
        assert device is not None  # checked by _consistent
        return device, (override.signal if override else None) or point.name

    def bindings(self) -> Sequence[PointBinding]:
        """Every point, keyed by its name; writable where the map says so (only holding registers and coils can
        be: the map refuses ``writable`` elsewhere)."""
        return [
            PointBinding(point.name, *self.target(point), writable=point.writable and point.table.writable)
            for point in self.register_map.points
        ]

    def endpoint_label(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[InitErrorDetails] = []
        if self.reconnect_max_s < self.reconnect_min_s:
            message = f"must not be below reconnect_min_s ({self.reconnect_min_s:g})"
            errors.append(_error("order", message, self.reconnect_max_s, "reconnect_max_s"))
        names = {point.name: index for index, point in enumerate(self.register_map.points)}
        for name in self.targets:
            if name not in names:
                errors.append(_error("unknown_point", "no point of this name in register_map", name, "targets", name))
        homeless = [point.name for point in self.register_map.points if not self._device_of(point)]
        if homeless:
            shown = ", ".join(repr(name) for name in homeless[:5]) + (" …" if len(homeless) > 5 else "")
            message = f"points {shown} have no device: set device_code, or targets.<point>.device_code for each"
            errors.append(_error("no_device", message, self.device_code, "device_code"))
        elif not errors:
            first: dict[tuple[str, str], str] = {}
            for point in self.register_map.points:
                target = self.target(point)
                if target in first:
                    message = f"stored as {target[0]}/{target[1]}, as point {first[target]!r} already is"
                    index = names[point.name]
                    errors.append(_error("duplicate_target", message, point.name, "register_map", "points", index))
                first.setdefault(target, point.name)
        if errors:
            raise ValidationError.from_exception_data("ModbusSettings", errors)
        return self

    def _device_of(self, point: Point) -> str | None:
        override = self.targets.get(point.name)
        return (override.device_code if override else None) or self.device_code


def _error(kind: str, message: str, value: object, *loc: str | int) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)


def parse_modbus_settings(data: object) -> ModbusSettings:
    """Settings from parsed JSON; every problem becomes a ``FieldProblem`` at its dotted path."""
    try:
        return ModbusSettings.model_validate(data)
    except ValidationError as exc:
        raise input_error(exc, "invalid Modbus connector settings") from exc


def input_error(exc: ValidationError, title: str) -> InputError:
    """Pydantic's errors as one ``InputError``: a ``FieldProblem`` each, and a summary of the first five."""
    errors = exc.errors(include_url=False)
    failed = [error["loc"] for error in errors]
    fields = [
        FieldProblem(".".join(str(part) for part in error["loc"]) or "settings", plain_message(error["msg"]))
        for error in errors
        # A list with a failed item is also reported as too short (only valid items count): say it once, as
        # parse_register_map does.
        if not (
            error["type"] == "too_short"
            and any(loc[: len(error["loc"])] == error["loc"] and loc != error["loc"] for loc in failed)
        )
    ]
    summary = "; ".join(f"{field.field}: {field.message}" for field in fields[:5])
    more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
    return InputError(f"{title} — {summary}{more}", fields=fields)
