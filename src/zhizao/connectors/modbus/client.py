"""One connection to a Modbus TCP device, on pymodbus's ``AsyncModbusTcpClient``: reads of a plan, writes of a
point, and the two ways they fail told apart.

- ``DeviceException``: the device answered with a Modbus exception (V1.1b3 §7: 02 illegal data address, 04 server
  device failure, …). The connection is fine; only that request failed, and the connector goes on.
- ``LinkError``: no connection, or no answer (refused, timed out, closed by the device). The connection is useless;
  the connector reports it, drops it and reconnects.

pymodbus's own reconnecting is switched off (``reconnect_delay=0``): the connector reconnects with its own
backoff and jitter and reports each attempt, which pymodbus's silent retry loop would hide. pymodbus also only
logs why a connect failed, so a failed connect is tried once more with a plain socket to learn the reason
("connection refused", "no answer within 3 s", "unknown host"). A request in flight when the connection drops
would wait out its timeout and retries in pymodbus; it is abandoned as soon as pymodbus reports the loss.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Awaitable, Callable, Sequence

from pymodbus.client import AsyncModbusTcpClient
from pymodbus.exceptions import ModbusException
from pymodbus.pdu import ModbusPDU

from zhizao.connectors.modbus.plan import ReadRequest
from zhizao.connectors.modbus.registers import DataType, Point, Table
from zhizao.connectors.modbus.settings import ModbusSettings

# Modbus Application Protocol V1.1b3 §7, as devices' manuals name them.
EXCEPTION_NAMES = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "server device failure",
    5: "acknowledge",
    6: "server device busy",
    8: "memory parity error",
    10: "gateway path unavailable",
    11: "gateway target device failed to respond",
}

_Send = Callable[[], Awaitable[ModbusPDU]]


class DeviceException(Exception):
    """The device refused one request with a Modbus exception response."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(f"{EXCEPTION_NAMES.get(code, 'unknown exception')} (exception {code})")


class LinkError(Exception):
    """The connection failed or is gone; the message says why, for the status and the probe."""


class ModbusLink:
    """A connection to ``settings``'s device; ``open`` it, then ``read`` and ``write``, then ``close``."""

    def __init__(self, settings: ModbusSettings, *, timeout_s: float | None = None) -> None:
        self.settings = settings
        self.label = settings.endpoint_label()
        self.timeout_s = min(settings.timeout_s, timeout_s) if timeout_s is not None else settings.timeout_s
        self._client = AsyncModbusTcpClient(
            settings.host,
            port=settings.port,
            timeout=self.timeout_s,
            retries=settings.retries,
            reconnect_delay=0,
            trace_connect=self._on_connect,
        )
        self._lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._opened = False
        self.requests = 0  # sent, for the benchmark

    def _on_connect(self, connected: bool) -> None:
        if not connected and self._opened and not self._lost.done():
            self._lost.set_result(None)

    async def open(self) -> None:
        if not await self._client.connect():
            raise LinkError(f"could not reach {self.label}: {await _why_unreachable(self.settings, self.timeout_s)}")
        self._opened = True

    def close(self) -> None:
        self._opened = False
        self._client.close()

    async def read(self, read: ReadRequest) -> Sequence[int] | Sequence[bool]:
        """The registers (or bits, padded to a whole byte as they came) of one planned read."""
        count, unit = read.count, self.settings.unit_id
        client = self._client
        if read.table is Table.HOLDING:
            response = await self._execute(
                lambda: client.read_holding_registers(read.address, count=count, device_id=unit)
            )
        elif read.table is Table.INPUT:
            response = await self._execute(
                lambda: client.read_input_registers(read.address, count=count, device_id=unit)
            )
        elif read.table is Table.COIL:
            response = await self._execute(lambda: client.read_coils(read.address, count=count, device_id=unit))
        else:
            response = await self._execute(
                lambda: client.read_discrete_inputs(read.address, count=count, device_id=unit)
            )
        return response.bits if read.table.is_bits else response.registers

    async def write(self, point: Point, raw: Sequence[int]) -> None:
        """Write a point's encoded registers (function 06 for one, 16 for more) or its bit (05)."""
        client, unit, address = self._client, self.settings.unit_id, point.address
        if point.data_type is DataType.BOOL:
            await self._execute(lambda: client.write_coil(address, bool(raw[0]), device_id=unit))
        elif len(raw) == 1:
            await self._execute(lambda: client.write_register(address, raw[0], device_id=unit))
        else:
            await self._execute(lambda: client.write_registers(address, list(raw), device_id=unit))

    async def _execute(self, send: _Send) -> ModbusPDU:
        if self._lost.done() or not self._client.connected:
            raise LinkError(f"connection to {self.label} lost")
        self.requests += 1
        try:
            request = asyncio.ensure_future(send())
        except ModbusException as exc:  # not connected: pymodbus raises before sending
            raise LinkError(f"connection to {self.label} lost: {exc}") from exc
        done, _ = await asyncio.wait((request, self._lost), return_when=asyncio.FIRST_COMPLETED)
        if request not in done:
            request.cancel()
            raise LinkError(f"connection to {self.label} closed by the device")
        try:
            response = request.result()
        except ModbusException as exc:
            # No answer after the retries (pymodbus: "No response received …"), or an answer to another request.
            raise LinkError(f"no answer from {self.label} within {self.timeout_s:g} s") from exc
        if response.isError():
            raise DeviceException(response.exception_code)
        return response


async def _why_unreachable(settings: ModbusSettings, timeout_s: float) -> str:
    """Why a TCP connection to the device fails, in words, found by trying once with a plain socket."""
    try:
        async with asyncio.timeout(timeout_s):
            _, writer = await asyncio.open_connection(settings.host, settings.port)
    except TimeoutError:
        return f"no answer within {timeout_s:g} s"
    except socket.gaierror:
        return f"unknown host {settings.host!r}"
    except ConnectionRefusedError:
        return "connection refused"
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return "no route to host"
        return exc.strerror or str(exc) or type(exc).__name__
    writer.close()
    return "the connection failed, then succeeded when tried again"
