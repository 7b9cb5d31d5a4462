"""Which driver serves which protocol. The real drivers are imported when first asked for (``importlib`` at call
time), so the platform starts without a protocol's client library and tests can hand in fakes instead."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Mapping

from zhizao.connectors.base import Driver
from zhizao.errors import InputError
from zhizao.telemetry.kinds import Protocol

# The module of each polling protocol's driver; each exports ``DRIVER``.
DRIVER_MODULES: Mapping[Protocol, str] = {
    Protocol.OPCUA: "zhizao.connectors.opcua.driver",
    Protocol.MODBUS: "zhizao.connectors.modbus.driver",
}


class DriverUnavailable(InputError):
    """No driver for that protocol here (not a polling protocol, or its module or client library is missing)."""

    code = "driver_unavailable"


class DriverRegistry:
    """Protocol → driver. Given ``drivers``, exactly those (tests, embedding); else the modules, imported lazily."""

    def __init__(
        self, drivers: Mapping[Protocol, Driver] | None = None, *, modules: Mapping[Protocol, str] = DRIVER_MODULES
    ) -> None:
        self._fixed = dict(drivers) if drivers is not None else None
        self._modules = dict(modules)
        self._loaded: dict[Protocol, Driver] = {}
        self._lock = threading.Lock()

    @property
    def protocols(self) -> list[Protocol]:
        """The protocols a connector may be configured with (whether or not their driver imports)."""
        return list(self._fixed) if self._fixed is not None else list(self._modules)

    def get(self, protocol: Protocol, field: str = "body.protocol") -> Driver:
        """The driver of ``protocol``; ``DriverUnavailable`` (422 on ``field``) when there is none."""
        if self._fixed is not None:
            fixed = self._fixed.get(protocol)
            if fixed is None:
                raise DriverUnavailable.for_field(field, f"no connector driver for protocol {protocol.value!r}")
            return fixed
        with self._lock:
            loaded = self._loaded.get(protocol)
            if loaded is not None:
                return loaded
            module_name = self._modules.get(protocol)
            if module_name is None:
                raise DriverUnavailable.for_field(
                    field, f"{protocol.value!r} is not a polling protocol (choose {', '.join(self._names())})"
                )
            try:
                module = importlib.import_module(module_name)
            except ImportError as exc:
                raise DriverUnavailable.for_field(
                    field, f"the {protocol.value} driver is not available in this installation ({exc})"
                ) from exc
            driver: Driver = module.DRIVER
            self._loaded[protocol] = driver
            return driver

    def _names(self) -> list[str]:
        return [protocol.value for protocol in self.protocols]


def default_drivers() -> DriverRegistry:
    """The real drivers of every polling protocol, each imported on first use."""
    return DriverRegistry()
