"""Machine states of OPC 40001-1 (OPC UA for Machinery), as the integer codes state signals carry. Pure data.

The integer codes are the ``StateNumber`` properties of the states in the OPC 40001-1 nodeset, so a value read
from a real machine's ``MachineryItemState`` / ``OperationMode`` state machine means the same as the simulator's:

=========================  ====  ==============================================================
MachineryItemState         code  meaning
=========================  ====  ==============================================================
NotAvailable                 0   switched off or in energy-saving mode
OutOfService                 1   not functional: failed, under repair
NotExecuting                 2   available and functional, waiting (idle, micro-stop, off shift)
Executing                    3   actively performing an activity (producing, setting up)
=========================  ====  ==============================================================

=========================  ====  ==============================================================
OperationMode              code  meaning
=========================  ====  ==============================================================
None                         0   no operation mode selected
Maintenance                  1   maintenance or repair
Setup                        2   setup, changeover to another program
Processing                   3   value-adding production
=========================  ====  ==============================================================

Production signals are published under the names in ``STATE_SIGNAL`` and ``MODE_SIGNAL``.
"""

from __future__ import annotations

from enum import IntEnum

STATE_SIGNAL = "machinery_item_state"
MODE_SIGNAL = "operation_mode"
PROGRAM_SIGNAL = "program_name"  # text: the NC / robot / packaging program loaded
GOOD_COUNTER = "good_parts"  # counters since commissioning
SCRAP_COUNTER = "scrap_parts"
REWORK_COUNTER = "rework_parts"
ENERGY_COUNTER = "energy_kwh"  # active energy meter reading


class MachineryItemState(IntEnum):
    NOT_AVAILABLE = 0
    OUT_OF_SERVICE = 1
    NOT_EXECUTING = 2
    EXECUTING = 3


class OperationMode(IntEnum):
    NONE = 0
    MAINTENANCE = 1
    SETUP = 2
    PROCESSING = 3
