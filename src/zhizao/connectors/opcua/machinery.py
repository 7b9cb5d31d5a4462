"""Which nodes of an OPC 40001 (Machinery) / OPC 40501 (machine tools) machine become which signals.

A companion-specification machine has the same browse paths on every vendor's server; what differs is its node
ids. Many servers (and the platform's simulator) give their nodes string ids made of the browse path, dotted::

    ns=2;s=Machines.CNC-01.MachineryBuildingBlocks.MachineryItemState.CurrentState.Number

``machinery_nodes`` builds the node list for such a machine, so that a 40001 machine's states arrive as the same
signals, with the same integer codes, as the simulator's (``zhizao.telemetry.machinery``):

=================================================================  ====================  ==========================
relative browse path                                               signal                notes
=================================================================  ====================  ==========================
MachineryBuildingBlocks.MachineryItemState.CurrentState.Number     machinery_item_state  40001 StateNumber 0–3
MachineryBuildingBlocks.MachineryOperationMode.CurrentState.Number operation_mode        40001 StateNumber 0–3
MachineryBuildingBlocks.OperationCounters.PowerOnDuration          power_on_duration_h   40001 counter, hours
MachineryBuildingBlocks.OperationCounters.OperationDuration        operation_duration_h  40001 counter, hours
MachineryBuildingBlocks.OperationCounters.OperationCycleCounter    operation_cycles      40001 counter
Production.ActiveProgram.Name                                      program_name          40501 ActiveProgram
Production.ProductionJob.GoodParts                                 good_parts            40501 job's part counters
Production.ProductionJob.ScrapParts                                scrap_parts
Monitoring.MachineTool.FeedOverride                                feed_override_pct     40501, writable
Monitoring.Spindle.Override                                        spindle_override_pct  40501, writable
Monitoring.Spindle.ActualSpeed                                     spindle_speed_rpm     40501 spindle
Monitoring.Spindle.ActualLoad                                      spindle_load_pct
Monitoring.<signal>                                                any other signal      e.g. Monitoring.power_kw
=================================================================  ====================  ==========================

The state machines' ``CurrentState`` itself (a LocalizedText such as "Executing") may be mapped instead of its
``Number`` property: the connector turns the state's name into the same code (``conversions.state_code``).
A server whose node ids follow another scheme is mapped by browsing it (``DRIVER.browse``) and picking nodes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NamedTuple

from zhizao.connectors.opcua.settings import MappedNode
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.machinery import (
    GOOD_COUNTER,
    MODE_SIGNAL,
    PROGRAM_SIGNAL,
    SCRAP_COUNTER,
    STATE_SIGNAL,
)

MACHINES_FOLDER = "Machines"  # 40001-1 §8: the folder every machine instance is found under
FEED_OVERRIDE_SIGNAL = "feed_override_pct"
SPINDLE_OVERRIDE_SIGNAL = "spindle_override_pct"


class MachineryNode(NamedTuple):
    """A variable of a companion-specification machine: its browse path below the machine, dotted."""

    path: str
    signal: str
    data_type: DataType
    writable: bool = False


STATE_NODES = (
    MachineryNode("MachineryBuildingBlocks.MachineryItemState.CurrentState.Number", STATE_SIGNAL, DataType.INT),
    MachineryNode("MachineryBuildingBlocks.MachineryOperationMode.CurrentState.Number", MODE_SIGNAL, DataType.INT),
)
COUNTER_NODES = (
    MachineryNode("MachineryBuildingBlocks.OperationCounters.PowerOnDuration", "power_on_duration_h", DataType.FLOAT),
    MachineryNode(
        "MachineryBuildingBlocks.OperationCounters.OperationDuration", "operation_duration_h", DataType.FLOAT
    ),
    MachineryNode("MachineryBuildingBlocks.OperationCounters.OperationCycleCounter", "operation_cycles", DataType.INT),
)
MACHINE_TOOL_NODES = (
    MachineryNode("Production.ActiveProgram.Name", PROGRAM_SIGNAL, DataType.STRING),
    MachineryNode("Production.ProductionJob.GoodParts", GOOD_COUNTER, DataType.INT),
    MachineryNode("Production.ProductionJob.ScrapParts", SCRAP_COUNTER, DataType.INT),
    MachineryNode("Monitoring.MachineTool.FeedOverride", FEED_OVERRIDE_SIGNAL, DataType.FLOAT, writable=True),
    MachineryNode("Monitoring.Spindle.Override", SPINDLE_OVERRIDE_SIGNAL, DataType.FLOAT, writable=True),
    MachineryNode("Monitoring.Spindle.ActualSpeed", "spindle_speed_rpm", DataType.FLOAT),
    MachineryNode("Monitoring.Spindle.ActualLoad", "spindle_load_pct", DataType.FLOAT),
)
STANDARD_NODES = STATE_NODES + COUNTER_NODES + MACHINE_TOOL_NODES
_BY_SIGNAL = {node.signal: node for node in STANDARD_NODES}


def path_for(signal: str, data_type: DataType = DataType.FLOAT) -> MachineryNode:
    """Where a signal lives on a machine: its standard node, else ``Monitoring.<signal>``."""
    return _BY_SIGNAL.get(signal) or MachineryNode(f"Monitoring.{signal}", signal, data_type)


def machine_prefix(device_code: str) -> str:
    return f"{MACHINES_FOLDER}.{device_code}"


def node_id_for(namespace: int, prefix: str, path: str) -> str:
    return f"ns={namespace};s={prefix}.{path}"


def machinery_nodes(
    device_code: str,
    *,
    namespace: int = 2,
    prefix: str | None = None,
    signals: Collection[str] | None = None,
    extra: Collection[tuple[str, DataType]] = (),
    counters: bool = True,
    machine_tool: bool = True,
) -> list[MappedNode]:
    """The mapped nodes of one machine whose string node ids are its dotted browse paths below ``prefix``
    (default ``Machines.<device_code>``): the 40001 states always, the 40001 operation counters if ``counters``,
    the 40501 machine-tool nodes if ``machine_tool``, and ``extra`` signals (name, type) under ``Monitoring``.
    ``signals`` keeps only those signals (e.g. the ones a machine really has)."""
    base = prefix or machine_prefix(device_code)
    chosen = (
        list(STATE_NODES)
        + (list(COUNTER_NODES) if counters else [])
        + (list(MACHINE_TOOL_NODES) if machine_tool else [])
    )
    known = {node.signal for node in chosen}
    chosen += [path_for(name, data_type) for name, data_type in extra if name not in known]
    return [
        MappedNode(
            node_id=node_id_for(namespace, base, node.path),
            device_code=device_code,
            signal=node.signal,
            writable=node.writable,
            data_type=node.data_type,
        )
        for node in chosen
        if signals is None or node.signal in signals
    ]
