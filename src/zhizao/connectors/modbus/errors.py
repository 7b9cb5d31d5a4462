"""The exceptions of the Modbus modules: a value that cannot be written, a response that cannot be decoded.

A bad register map is not among them: ``RegisterMap`` raises pydantic's ``ValidationError`` with one error per
field at fault (``points.3.address``), and ``parse_register_map`` turns that into an ``InputError`` with
``FieldProblem``s, as every other configuration does.
"""

from __future__ import annotations

from zhizao.errors import FieldProblem, InputError, ZhizaoError


class ModbusValueError(InputError):
    """A value to write that the point cannot hold: wrong kind, not finite, off the point's resolution, or outside
    its data type once unscaled. The caller's mistake (422); nothing is sent to the device."""

    code = "modbus_value_rejected"

    def __init__(self, message: str) -> None:
        super().__init__(message, fields=[FieldProblem("value", message)])


class ModbusResponseError(ZhizaoError):
    """Words or bits that do not fit what was asked for: a short or long response, a word outside 0–65535.

    The device's (or the transport's) fault, never the caller's; the connector reports it for the read it
    belongs to and goes on with the others."""

    code = "modbus_bad_response"
