"""Modbus TCP: register maps, value codec and read planning (pure modules, tested against fixtures), and the
connector that polls devices with them.

- ``registers`` — the register map a device is read with: points (a signal each) in the four Modbus tables
  (holding registers, input registers, coils, discrete inputs) with their data type, word and byte order,
  scale and offset, grouped into polling groups that each have their own interval. Pydantic models that refuse a
  bad map with one error per field at fault (``points.3.address: overlaps points[1] …``).
- ``codec`` — 16-bit words and bits ↔ values: every data type (bool, int16 … uint64, float32, float64) in every
  word and byte order (ABCD, CDAB, BADC, DCBA and their 64-bit forms), scaling, and the inverse for writes with
  range checks. The order conventions, with references, are in its docstring.
- ``plan`` — which reads to send: the points of a polling group merged into the fewest reads the protocol allows
  (125 registers, 2000 bits a request) and a response split back into each point's words or bits.
- ``errors`` — a value that cannot be written, a response that cannot be decoded.

The connector runtime, on pymodbus, builds on them:

- ``settings`` — ``ModbusSettings``: host, port, unit id, timeouts, reconnect backoff, the register map and which
  device and signal each point is stored as; ``parse_modbus_settings`` refuses a bad one field by field.
- ``client`` — one pymodbus connection: planned reads and point writes, Modbus exception responses
  (``DeviceException``) told apart from a failed connection (``LinkError``).
- ``poller`` — the running connector: a drift-free poller per polling group, bad points, reconnecting with backoff.
- ``driver`` — ``DRIVER``, the ``connectors.base.Driver`` of the platform's connector runtime: run, probe, write.

The package itself imports only the pure modules (no pymodbus): import ``driver`` for the runtime. The simulator's
Modbus server (``zhizao.simulator.modbus_server``) and ``zhizao bench modbus`` (``zhizao.bench.modbus``) use both.
The tests of each protocol detail live in ``tests/connectors/modbus/``; the user guide is ``docs/modbus.md``.
"""

from zhizao.connectors.modbus.codec import Value, decode_point, encode_point
from zhizao.connectors.modbus.errors import ModbusResponseError, ModbusValueError
from zhizao.connectors.modbus.plan import GroupPlan, ReadRequest, Slot, decode_response, plan_map, plan_reads
from zhizao.connectors.modbus.registers import (
    DataType,
    Endian,
    Point,
    PollingGroup,
    RegisterMap,
    Table,
    ValueKind,
    parse_register_map,
)

__all__ = [
    "DataType",
    "Endian",
    "GroupPlan",
    "ModbusResponseError",
    "ModbusValueError",
    "Point",
    "PollingGroup",
    "ReadRequest",
    "RegisterMap",
    "Slot",
    "Table",
    "Value",
    "ValueKind",
    "decode_point",
    "decode_response",
    "encode_point",
    "parse_register_map",
    "plan_map",
    "plan_reads",
]
