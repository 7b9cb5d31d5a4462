"""Settings validation (field paths, secrets kept out of messages), the 40001 node helper, certificates."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from zhizao.connectors.opcua import certificates
from zhizao.connectors.opcua.machinery import machinery_nodes
from zhizao.connectors.opcua.settings import OpcUaSettings, parse_settings
from zhizao.errors import InputError
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.machinery import GOOD_COUNTER, MODE_SIGNAL, PROGRAM_SIGNAL, STATE_SIGNAL

NODE = {"node_id": "ns=2;s=Machine1.Spindle.Speed", "device_code": "CNC-01", "signal": "spindle_speed_rpm"}
KEYS = certificates.generate_client_certificate(application_uri="urn:test:client")


def _fields(data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        parse_settings(data)
    return {problem.field: problem.message for problem in caught.value.fields}


def test_a_valid_configuration_and_its_bindings() -> None:
    settings = parse_settings(
        {
            "endpoint_url": "opc.tcp://plc.local/line1",
            "nodes": [NODE, {"node_id": "ns=2;i=0001001", "device_code": "CNC-01", "signal": "x", "writable": True}],
        }
    )
    assert settings.batch_size == 1000
    assert settings.endpoint_label() == "opc.tcp://plc.local:4840/line1"
    bindings = settings.bindings()
    assert [(b.key, b.device_code, b.signal, b.writable) for b in bindings] == [
        ("ns=2;s=Machine1.Spindle.Speed", "CNC-01", "spindle_speed_rpm", False),
        ("ns=2;i=1001", "CNC-01", "x", True),  # canonical form
    ]
    assert settings.node("ns=2;i=1001") is settings.nodes[1]


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://plc:4840", "opc.tcp://"),
        ("opc.tcp://user:pw@plc:4840", "user name or password"),
        ("opc.tcp://:4840", "names no host"),
        ("opc.tcp://plc:99999", "port"),
    ],
)
def test_bad_endpoints_are_refused_at_endpoint_url(url: str, words: str) -> None:
    fields = _fields({"endpoint_url": url})
    assert words in fields["endpoint_url"]
    assert "pw" not in fields["endpoint_url"]


def test_node_problems_name_the_node_and_field() -> None:
    fields = _fields(
        {
            "endpoint_url": "opc.tcp://plc:4840",
            "nodes": [NODE, NODE | {"node_id": "Machine1"}, NODE | {"device_code": "CNC 01"}, NODE | {"writable": 1}],
        }
    )
    assert set(fields) == {"nodes[1].node_id", "nodes[2].device_code", "nodes[3].writable"}
    assert "not a node id" in fields["nodes[1].node_id"]


def test_duplicates_name_the_first_one() -> None:
    fields = _fields(
        {
            "endpoint_url": "opc.tcp://plc:4840",
            "nodes": [NODE, NODE | {"signal": "other"}, NODE | {"node_id": "ns=2;i=5"}],
        }
    )
    assert fields == {
        "nodes[1].node_id": "nodes[0] maps the same node",
        "nodes[2].signal": "nodes[0] already feeds CNC-01/spindle_speed_rpm",
    }


def test_strict_numbers_ranges_and_cross_field_rules() -> None:
    assert set(_fields({"endpoint_url": "opc.tcp://plc:4840", "batch_size": "100"})) == {"batch_size"}
    assert set(_fields({"endpoint_url": "opc.tcp://plc:4840", "batch_size": 0})) == {"batch_size"}
    fields = _fields(
        {"endpoint_url": "opc.tcp://plc:4840", "reconnect_min_s": 10.0, "reconnect_max_s": 1.0, "auth": "username"}
    )
    assert set(fields) == {"reconnect_max_s", "username", "password"}


def test_security_needs_a_certificate_and_its_own_key_and_never_shows_the_key() -> None:
    fields = _fields({"endpoint_url": "opc.tcp://plc:4840", "security_policy": "Basic256Sha256"})
    assert set(fields) == {"client_certificate", "client_private_key"}
    other = certificates.generate_client_certificate()
    fields = _fields(
        {
            "endpoint_url": "opc.tcp://plc:4840",
            "security_policy": "Basic256Sha256",
            "client_certificate": KEYS.certificate_pem,
            "client_private_key": other.private_key_pem,
        }
    )
    assert fields == {"client_private_key": "is not the key of client_certificate"}
    fields = _fields(
        {
            "endpoint_url": "opc.tcp://plc:4840",
            "security_policy": "Basic256Sha256",
            "client_certificate": KEYS.certificate_pem,
            "client_private_key": "-----BEGIN PRIVATE KEY-----secret-stuff",
            "trusted_server_certificate": "garbage",
        }
    )
    assert set(fields) == {"client_private_key", "trusted_server_certificate"}
    assert all("secret-stuff" not in message for message in fields.values())


def test_secrets_are_masked_unless_revealed() -> None:
    settings = OpcUaSettings.model_validate(
        {"endpoint_url": "opc.tcp://plc:4840", "auth": "username", "username": "u", "password": "hunter2"}
    )
    assert "hunter2" not in repr(settings)
    assert settings.model_dump(mode="json")["password"] == "**********"
    stored = settings.model_dump(mode="json", context={"reveal_secrets": True})
    assert stored["password"] == "hunter2"
    assert OpcUaSettings.model_validate(stored) == settings


def test_machinery_nodes_follow_40001_and_40501() -> None:
    nodes = machinery_nodes("CNC-01", signals={STATE_SIGNAL, MODE_SIGNAL, PROGRAM_SIGNAL, GOOD_COUNTER})
    by_signal = {node.signal: node for node in nodes}
    assert by_signal[STATE_SIGNAL].node_id == (
        "ns=2;s=Machines.CNC-01.MachineryBuildingBlocks.MachineryItemState.CurrentState.Number"
    )
    assert by_signal[MODE_SIGNAL].data_type is DataType.INT
    assert by_signal[PROGRAM_SIGNAL].node_id == "ns=2;s=Machines.CNC-01.Production.ActiveProgram.Name"
    assert by_signal[GOOD_COUNTER].node_id.endswith("Production.ProductionJob.GoodParts")
    everything = machinery_nodes("R1", namespace=4, prefix="Robots.R1", extra=[("power_kw", DataType.FLOAT)])
    assert "ns=4;s=Robots.R1.Monitoring.power_kw" in {node.node_id for node in everything}
    assert [n.signal for n in everything if n.writable] == ["feed_override_pct", "spindle_override_pct"]


def test_generated_certificates_carry_the_application_uri() -> None:
    info = certificates.describe_certificate(KEYS.certificate_pem)
    assert info.application_uri == "urn:test:client"
    assert len(info.thumbprint_sha1) == 40 and len(info.fingerprint_sha256) == 64
    assert "CN=zhizao OPC UA client" in info.subject
    assert not info.expired(datetime.now(UTC))
    assert certificates.key_matches_certificate(KEYS.certificate_pem, KEYS.private_key_pem)
    fresh = certificates.generate_client_certificate()
    assert fresh.application_uri.startswith("urn:zhizao:opcua:client:")
    assert fresh.application_uri != certificates.generate_client_certificate().application_uri
    with pytest.raises(certificates.CertificateError):
        certificates.describe_certificate("not a certificate")
