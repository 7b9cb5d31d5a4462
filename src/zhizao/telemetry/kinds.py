"""Enumerations of the asset model and of telemetry. Pure data."""

from __future__ import annotations

from enum import StrEnum

from zhizao.ui.i18n import N_


class NodeLevel(StrEnum):
    """ISA-95 levels above equipment (the enterprise is the organisation itself)."""

    SITE = "site"
    AREA = "area"
    LINE = "line"
    CELL = "cell"


# Which level may sit directly under which (None: at the top, under the enterprise).
PARENT_LEVEL: dict[NodeLevel, NodeLevel | None] = {
    NodeLevel.SITE: None,
    NodeLevel.AREA: NodeLevel.SITE,
    NodeLevel.LINE: NodeLevel.AREA,
    NodeLevel.CELL: NodeLevel.LINE,
}


LEVEL_LABELS: dict[str, str] = {
    NodeLevel.SITE: N_("Site"),
    NodeLevel.AREA: N_("Workshop"),
    NodeLevel.LINE: N_("Line"),
    NodeLevel.CELL: N_("Cell"),
}


class EquipmentType(StrEnum):
    CNC_MACHINE_TOOL = "cnc_machine_tool"
    INDUSTRIAL_ROBOT = "industrial_robot"
    PRESS = "press"
    INJECTION_MOULDING_MACHINE = "injection_moulding_machine"
    PACKAGING_MACHINE = "packaging_machine"
    AGV = "agv"
    COMPRESSOR = "compressor"
    CONVEYOR = "conveyor"
    ENERGY_METER = "energy_meter"
    INSPECTION_STATION = "inspection_station"
    OTHER = "other"


EQUIPMENT_TYPE_LABELS: dict[str, str] = {
    EquipmentType.CNC_MACHINE_TOOL: N_("CNC machine tool"),
    EquipmentType.INDUSTRIAL_ROBOT: N_("Industrial robot"),
    EquipmentType.PRESS: N_("Press"),
    EquipmentType.INJECTION_MOULDING_MACHINE: N_("Injection moulding machine"),
    EquipmentType.PACKAGING_MACHINE: N_("Packaging machine"),
    EquipmentType.AGV: N_("AGV"),
    EquipmentType.COMPRESSOR: N_("Compressor"),
    EquipmentType.CONVEYOR: N_("Conveyor"),
    EquipmentType.ENERGY_METER: N_("Energy meter"),
    EquipmentType.INSPECTION_STATION: N_("Inspection station"),
    EquipmentType.OTHER: N_("Other equipment"),
}


class Protocol(StrEnum):
    MQTT_JSON = "mqtt_json"
    SPARKPLUG_B = "sparkplug_b"
    HTTP = "http"
    OPCUA = "opcua"
    MODBUS = "modbus"


class SignalKind(StrEnum):
    MEASUREMENT = "measurement"  # sampled physical value: temperature, spindle load
    STATE = "state"  # enumerated machine state, e.g. OPC 40001 MachineryItemState as its integer code
    COUNTER = "counter"  # monotonically increasing count: good parts, kWh
    TEXT = "text"  # free text: program name, alarm text


class DataType(StrEnum):
    FLOAT = "float"
    INT = "int"
    BOOL = "bool"
    STRING = "string"


class RejectReason(StrEnum):
    """Why an incoming message (or part of one) was not stored; counted and kept in the dead-letter table."""

    MALFORMED_JSON = "malformed_json"
    MALFORMED_PROTOBUF = "malformed_protobuf"
    SCHEMA = "schema"  # parseable, but not the documented payload shape
    BAD_TOPIC = "bad_topic"
    UNKNOWN_TENANT = "unknown_tenant"
    UNKNOWN_DEVICE = "unknown_device"
    UNKNOWN_SIGNAL = "unknown_signal"
    DEVICE_DISABLED = "device_disabled"
    NOT_FINITE = "not_finite"  # NaN or infinity
    TIMESTAMP_OUT_OF_RANGE = "timestamp_out_of_range"
    OVERSIZE = "oversize"
    WRONG_TYPE = "wrong_type"
    SEQUENCE_GAP = "sequence_gap"  # Sparkplug seq out of order: a rebirth was requested
    ALIAS_NOT_BORN = "alias_not_born"  # Sparkplug metric alias never announced in a birth
    NOT_BORN = "not_born"  # Sparkplug data before any birth
