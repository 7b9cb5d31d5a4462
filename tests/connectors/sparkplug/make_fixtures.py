"""Write the binary fixtures in ``fixtures/``: ``python -m tests.connectors.sparkplug.make_fixtures`` (repo root).

Run once; the files are committed and the tests decode them, so a change to the encoder cannot quietly change what the
decoder is tested against. ``edge_*`` files come from ``EdgeNode``; ``raw_*`` files are built directly with the
generated protobuf classes, independently of ``codec``, the way other implementations (Tahu's Java and Python) write
them.
"""

from __future__ import annotations

import struct
from pathlib import Path

from zhizao.connectors.sparkplug import sparkplug_b_pb2 as pb
from zhizao.connectors.sparkplug.codec import SparkplugDataType, Value, rebirth_request
from zhizao.connectors.sparkplug.edge import EdgeNode

FIXTURES = Path(__file__).parent / "fixtures"

GROUP = "plant-1"
NODE = "press-3"
DEVICE = "spindle"
T0 = 1_700_000_000_000  # ms

# Every scalar datatype, with a value that exercises its encoding (sign, width, non-ASCII text).
SCALARS: list[tuple[str, SparkplugDataType, Value]] = [
    ("Int8", SparkplugDataType.INT8, -5),
    ("Int16", SparkplugDataType.INT16, -300),
    ("Int32", SparkplugDataType.INT32, -70_000),
    ("Int64", SparkplugDataType.INT64, -(2**40)),
    ("UInt8", SparkplugDataType.UINT8, 200),
    ("UInt16", SparkplugDataType.UINT16, 60_000),
    ("UInt32", SparkplugDataType.UINT32, 4_000_000_000),
    ("UInt64", SparkplugDataType.UINT64, 2**63 + 5),
    ("Float", SparkplugDataType.FLOAT, 1.5),
    ("Double", SparkplugDataType.DOUBLE, 3.141592653589793),
    ("Boolean", SparkplugDataType.BOOLEAN, True),
    ("String", SparkplugDataType.STRING, "RUNNING"),
    ("DateTime", SparkplugDataType.DATETIME, T0 - 60_000),
    ("Text", SparkplugDataType.TEXT, "程序 O1234 / 冲压"),
]
DEVICE_METRICS: list[tuple[str, SparkplugDataType, Value]] = [
    ("speed", SparkplugDataType.DOUBLE, 1200.0),
    ("load", SparkplugDataType.FLOAT, 0.25),
    ("running", SparkplugDataType.BOOLEAN, True),
]


def press_node() -> EdgeNode:
    """The edge node of the fixtures: every scalar type on the node, three metrics on one device."""
    node = EdgeNode(GROUP, NODE, bd_seq=7)
    for name, datatype, value in SCALARS:
        node.add_metric(name, datatype, value)
    for name, datatype, value in DEVICE_METRICS:
        node.add_metric(name, datatype, value, device_id=DEVICE)
    return node


def edge_fixtures() -> dict[str, bytes]:
    node = press_node()
    will = node.will()
    nbirth, dbirth = node.births(T0)
    ndata = node.data(T0 + 1_000, {"Int8": -128, "UInt64": 2**64 - 1, "Double": -0.5, "String": "IDLE"})
    ddata = node.data(T0 + 1_000, {"speed": 1250.5, "load": None}, device_id=DEVICE)
    ddeath = node.device_death(DEVICE, T0 + 2_000)
    return {
        "edge_ndeath.bin": will.payload,
        "edge_nbirth.bin": nbirth.payload,
        "edge_dbirth.bin": dbirth.payload,
        "edge_ndata.bin": ndata.payload,
        "edge_ddata.bin": ddata.payload,
        "edge_ddeath.bin": ddeath.payload,
        "edge_ncmd_rebirth.bin": rebirth_request(T0 + 3_000),
    }


def raw_dbirth_complex() -> bytes:
    """A DBIRTH (seq 1, device "vision") as another implementation might send it: a DataSet, a Template, Bytes, a
    FloatArray, an explicit null, Java-style integers (Int8 −1 sign-extended to 32 bits, UInt32 in long_value), a
    datatype code from the future, properties and metadata, a uuid and a body."""
    payload = pb.Payload(timestamp=T0 + 500, seq=1, uuid="zhizao-fixture", body=b"opaque")

    recipe = payload.metrics.add(name="recipe", alias=100, datatype=pb.DataSet)
    recipe.dataset_value.num_of_columns = 2
    recipe.dataset_value.columns.extend(["step", "temperature"])
    recipe.dataset_value.types.extend([pb.Int32, pb.Float])
    for step, temperature in ((1, 180.0), (2, 210.5)):
        row = recipe.dataset_value.rows.add()
        row.elements.add(int_value=step)
        row.elements.add(float_value=temperature)

    tool = payload.metrics.add(name="tool", alias=101, datatype=pb.Template)
    tool.template_value.template_ref = "CuttingTool"
    tool.template_value.is_definition = False
    tool.template_value.metrics.add(name="wear", datatype=pb.Float, float_value=0.3)
    tool.template_value.parameters.add(name="maker", type=pb.String, string_value="Sandvik")

    payload.metrics.add(name="image", alias=102, datatype=pb.Bytes, bytes_value=b"\x89PNG\r\n\x1a\n")
    temps = struct.pack("<3f", 20.5, 21.0, 21.5)
    payload.metrics.add(name="temperatures", alias=103, datatype=pb.FloatArray, bytes_value=temps)
    payload.metrics.add(name="pressure", alias=104, datatype=pb.Double, is_null=True)
    payload.metrics.add(name="offset", alias=105, datatype=pb.Int8, int_value=0xFFFF_FFFF)
    payload.metrics.add(name="count", alias=106, datatype=pb.UInt32, long_value=4_000_000_000, timestamp=T0 + 400)

    serial = payload.metrics.add(name="serial", alias=107, datatype=pb.String, string_value="SN-0042")
    serial.metadata.description = "nameplate"
    serial.properties.keys.append("engUnit")
    serial.properties.values.add(type=pb.String, string_value="none")

    payload.metrics.add(name="future", alias=108, datatype=99, int_value=1)
    return payload.SerializeToString()


def raw_fixtures() -> dict[str, bytes]:
    return {"raw_dbirth_complex.bin": raw_dbirth_complex()}


def main() -> None:
    FIXTURES.mkdir(exist_ok=True)
    for name, data in {**edge_fixtures(), **raw_fixtures()}.items():
        (FIXTURES / name).write_bytes(data)


if __name__ == "__main__":
    main()
