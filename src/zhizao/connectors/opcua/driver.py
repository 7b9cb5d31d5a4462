"""The OPC UA driver: ``DRIVER`` runs a connector, tests a configuration, browses a server, writes a node.

- ``run`` — ``subscription.run``: one subscription, monitored items in batches, readings in batches, reconnect.
- ``probe`` — connect within the timeout, read the server's status, build info and namespace array, and check
  every mapped node in a few Read requests (node class, data type, access level, value): a node that does not
  exist, is not a variable, cannot be read, holds a value with no signal form, is mapped writable but does not
  allow writing, or whose type contradicts its ``data_type`` hint is a ``BadPoint``. ``ok`` says whether the
  connection (security and user included) worked; the message counts the bad nodes.
- ``browse`` — a node's children (the Objects folder for None), at most ``MAX_CHILDREN``: node class, data type
  of variables, whether a child has children of its own, whether it can be written. ``Unavailable`` when the
  server cannot be reached.
- ``write`` — only a mapped node marked ``writable`` (else ``InputError`` on ``key``); the value is converted to
  the node's own built-in type (else ``InputError`` on ``value``, nothing sent), the old value read, the new one
  written, read back. A refused write is ``Unavailable`` with the server's status name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from asyncua import ua
from asyncua.client.client import Client
from asyncua.ua.attribute_ids import AttributeIds
from asyncua.ua.object_ids import ObjectIdNames, ObjectIds
from asyncua.ua.uaerrors import UaStatusCodeError

from zhizao.connectors.base import (
    BadPoint,
    BrowseNode,
    ConnectorSettings,
    ProbeResult,
    RunContext,
    WriteOutcome,
)
from zhizao.connectors.opcua import client as opcua_client
from zhizao.connectors.opcua import subscription
from zhizao.connectors.opcua.conversions import Unconvertible, to_value, variant_for
from zhizao.connectors.opcua.settings import MappedNode, OpcUaSettings
from zhizao.errors import InputError, Unavailable
from zhizao.telemetry.ingest.decoding import Value
from zhizao.telemetry.kinds import DataType
from zhizao.telemetry.kinds import Protocol as SourceProtocol

MAX_CHILDREN = 1000
READ_CHUNK = 1000  # nodes per Read request when checking mapped nodes (four attributes each)
_CURRENT_READ = 1 << ua.AccessLevel.CurrentRead
_CURRENT_WRITE = 1 << ua.AccessLevel.CurrentWrite
_PROBED = (AttributeIds.NodeClass, AttributeIds.DataType, AttributeIds.AccessLevel, AttributeIds.Value)


def _settings(settings: ConnectorSettings) -> OpcUaSettings:
    if not isinstance(settings, OpcUaSettings):
        raise TypeError(f"the OPC UA driver needs OpcUaSettings, not {type(settings).__name__}")
    return settings


def _read_request(node_ids: Sequence[ua.NodeId], attributes: Sequence[AttributeIds]) -> ua.ReadParameters:
    parameters = ua.ReadParameters()
    for node_id in node_ids:
        for attribute in attributes:
            item = ua.ReadValueId()
            item.NodeId = node_id
            item.AttributeId = attribute
            parameters.NodesToRead.append(item)
    return parameters


def _good(value: ua.DataValue) -> bool:
    return value.StatusCode is None or value.StatusCode.is_good()


def _value_of(value: ua.DataValue) -> Any:
    return value.Value.Value if value.Value is not None else None


def check_node(node: MappedNode, node_class: ua.DataValue, access: ua.DataValue, value: ua.DataValue) -> str | None:
    """Why a mapped node cannot be read as configured, from its attributes as read; None when it can."""
    if not _good(node_class):
        if node_class.StatusCode is not None and node_class.StatusCode.name == "BadNodeIdUnknown":
            return "BadNodeIdUnknown: the node does not exist on the server"
        return subscription.reason_of(node_class.StatusCode) if node_class.StatusCode else "unreadable"
    klass = _value_of(node_class)
    if klass != ua.NodeClass.Variable:
        name = ua.NodeClass(klass).name if isinstance(klass, int) else str(klass)
        return f"a {name} node, not a variable: it has no value"
    level = int(_value_of(access) or 0) if _good(access) else 0
    if not level & _CURRENT_READ:
        return "the server does not allow reading it (AccessLevel lacks CurrentRead)"
    if node.writable and not level & _CURRENT_WRITE:
        return "mapped writable, but the server does not allow writing it (AccessLevel lacks CurrentWrite)"
    if not _good(value):
        return subscription.reason_of(value.StatusCode) if value.StatusCode else "unreadable"
    if value.Value is not None and value.Value.Value is not None:
        try:
            _, data_type = to_value(value.Value.Value, value.Value.VariantType)
        except Unconvertible as exc:
            return str(exc)
        if node.data_type is not None and not _compatible(data_type, node.data_type):
            return f"holds a {value.Value.VariantType.name}, but the signal is mapped as {node.data_type.value}"
    return None


def _compatible(actual: DataType, hint: DataType) -> bool:
    numeric = {DataType.INT, DataType.FLOAT}
    return actual is hint or hint is DataType.STRING or (actual in numeric and hint in numeric)


async def _check_nodes(client: Client, nodes: Sequence[MappedNode]) -> list[BadPoint]:
    bad: list[BadPoint] = []
    for start in range(0, len(nodes), READ_CHUNK):
        chunk = nodes[start : start + READ_CHUNK]
        results = await client.uaclient.read(
            _read_request([ua.NodeId.from_string(node.node_id) for node in chunk], _PROBED)
        )
        for index, node in enumerate(chunk):
            node_class, _, access, value = results[4 * index : 4 * index + 4]
            reason = check_node(node, node_class, access, value)
            if reason is not None:
                bad.append(BadPoint(node.node_id, reason))
    return bad


async def _server_details(client: Client) -> list[str]:
    details = []
    build_node = await client.nodes.server.get_child(["0:ServerStatus", "0:BuildInfo"])
    build = await build_node.read_value()
    state = await client.nodes.server_state.read_value()
    details.append(
        f"server: {build.ProductName} {build.SoftwareVersion} by {build.ManufacturerName}, "
        f"state {ua.ServerState(state).name}"
    )
    namespaces = await client.get_namespace_array()
    details.append("namespaces: " + ", ".join(f"ns={index} {uri}" for index, uri in enumerate(namespaces)))
    return details


async def probe(settings: ConnectorSettings, timeout_s: float) -> ProbeResult:
    opcua = _settings(settings)
    try:
        async with opcua_client.connected(opcua, timeout_s) as client:
            details = await _server_details(client)
            security = opcua.security_policy.value + (
                f" {opcua.security_mode.value}" if opcua.security_policy.value != "None" else ""
            )
            details.insert(0, f"connected to {opcua.endpoint_label()} with security {security}, auth {opcua.auth}")
            bad = await _check_nodes(client, opcua.nodes)
    except opcua_client.OpcUaFailure as exc:
        return ProbeResult(False, str(exc))
    except (UaStatusCodeError, OSError, TimeoutError) as exc:
        return ProbeResult(False, opcua_client.describe(exc, opcua, timeout_s))
    total = len(opcua.nodes)
    message = f"connected to {opcua.endpoint_label()}: {total - len(bad)} of {total} nodes readable"
    if bad:
        message += f", {len(bad)} not (see the list)"
    return ProbeResult(True, message, details, bad)


def _browse_request(node_ids: Sequence[ua.NodeId], limit: int) -> ua.BrowseParameters:
    parameters = ua.BrowseParameters()
    parameters.RequestedMaxReferencesPerNode = limit
    for node_id in node_ids:
        description = ua.BrowseDescription()
        description.NodeId = node_id
        description.BrowseDirection = ua.BrowseDirection.Forward
        description.ReferenceTypeId = ua.NodeId.from_string(f"i={ObjectIds.HierarchicalReferences}")
        description.IncludeSubtypes = True
        description.NodeClassMask = 0
        description.ResultMask = ua.BrowseResultMask.All
        parameters.NodesToBrowse.append(description)
    return parameters


async def _type_names(client: Client, data_types: set[ua.NodeId]) -> dict[ua.NodeId, str]:
    names: dict[ua.NodeId, str] = {}
    others = []
    for data_type in data_types:
        if data_type.NamespaceIndex == 0 and isinstance(data_type.Identifier, int):
            names[data_type] = ObjectIdNames.get(data_type.Identifier, str(data_type.to_string()))
        else:
            others.append(data_type)
    if others:
        results = await client.uaclient.read(_read_request(others, [AttributeIds.BrowseName]))
        for data_type, result in zip(others, results, strict=True):
            value = _value_of(result)
            names[data_type] = value.Name if isinstance(value, ua.QualifiedName) else str(data_type.to_string())
    return names


async def browse(settings: ConnectorSettings, node_id: str | None, timeout_s: float) -> list[BrowseNode]:
    opcua = _settings(settings)
    try:
        start = ua.NodeId.from_string(node_id) if node_id else ua.NodeId.from_string(f"i={ObjectIds.ObjectsFolder}")
    except Exception as exc:
        raise InputError.for_field("node_id", "not a node id: write ns=<index>;s=<name> or ns=<index>;i=<n>") from exc
    try:
        async with opcua_client.connected(opcua, timeout_s) as client:
            results = await client.uaclient.browse(_browse_request([start], MAX_CHILDREN))
            result = results[0]
            if not result.StatusCode.is_good():
                raise Unavailable(f"the server cannot browse {node_id}: {result.StatusCode.name}")
            local = [ref for ref in result.References if getattr(ref.NodeId, "ServerIndex", None) in (0, None)]
            references = local[:MAX_CHILDREN]
            children = [ua.NodeId(ref.NodeId.Identifier, ref.NodeId.NamespaceIndex) for ref in references]
            if not children:
                return []
            grandchildren = await client.uaclient.browse(_browse_request(children, 1))
            variables = [child for child, ref in zip(children, references, strict=True) if _is_variable(ref)]
            attributes = await client.uaclient.read(
                _read_request(variables, [AttributeIds.DataType, AttributeIds.AccessLevel])
            )
            types: dict[ua.NodeId, ua.NodeId] = {}
            levels: dict[ua.NodeId, int] = {}
            for index, variable in enumerate(variables):
                data_type, access = attributes[2 * index], attributes[2 * index + 1]
                if _good(data_type) and isinstance(_value_of(data_type), ua.NodeId):
                    types[variable] = _value_of(data_type)
                levels[variable] = int(_value_of(access) or 0) if _good(access) else 0
            names = await _type_names(client, set(types.values()))
    except opcua_client.OpcUaFailure as exc:
        raise Unavailable(str(exc)) from exc
    except (UaStatusCodeError, OSError, TimeoutError) as exc:
        raise Unavailable(opcua_client.describe(exc, opcua, timeout_s)) from exc
    nodes = []
    for child, ref, below in zip(children, references, grandchildren, strict=True):
        type_id = types.get(child)
        nodes.append(
            BrowseNode(
                node_id=str(child.to_string()),
                browse_name=f"{ref.BrowseName.NamespaceIndex}:{ref.BrowseName.Name}",
                display_name=ref.DisplayName.Text or ref.BrowseName.Name or "",
                node_class=ref.NodeClass.name,
                data_type=names.get(type_id) if type_id is not None else None,
                has_children=bool(below.References),
                writable=bool(levels.get(child, 0) & _CURRENT_WRITE),
            )
        )
    return nodes


def _is_variable(reference: ua.ReferenceDescription) -> bool:
    return bool(reference.NodeClass == ua.NodeClass.Variable)


def _plain(value: ua.DataValue) -> Value | None:
    if not _good(value) or value.Value is None or value.Value.Value is None:
        return None
    try:
        return to_value(value.Value.Value, value.Value.VariantType)[0]
    except Unconvertible:
        return None


async def write(settings: ConnectorSettings, key: str, value: Value, timeout_s: float) -> WriteOutcome:
    opcua = _settings(settings)
    node = opcua.node(key)
    if node is None:
        raise InputError.for_field("key", f"{key} is not a node of this connector")
    if not node.writable:
        raise InputError.for_field("key", f"{node.node_id} is mapped read-only: mark it writable to send values")
    node_id = ua.NodeId.from_string(node.node_id)
    try:
        async with opcua_client.connected(opcua, timeout_s) as client:
            target = client.get_node(node_id)
            before = await target.read_data_value(raise_on_bad_status=False)
            if not _good(before) or before.Value is None:
                status = before.StatusCode.name if before.StatusCode else "no value"
                raise Unavailable(f"cannot read {node.node_id} before writing it: {status}")
            variant_type = before.Value.VariantType
            if variant_type in (ua.VariantType.Null, ua.VariantType.Variant, ua.VariantType.ExtensionObject):
                variant_type = await target.read_data_type_as_variant_type()
            variant = variant_for(value, variant_type)  # InputError on value: nothing is sent
            try:
                await target.write_attribute(AttributeIds.Value, ua.DataValue(variant))
            except UaStatusCodeError as exc:
                name = ua.StatusCode(exc.code).name
                raise Unavailable(f"the server refused to write {node.node_id}: {name}") from exc
            after = await target.read_data_value(raise_on_bad_status=False)
    except opcua_client.OpcUaFailure as exc:
        raise Unavailable(str(exc)) from exc
    except (OSError, TimeoutError) as exc:
        raise Unavailable(opcua_client.describe(exc, opcua, timeout_s)) from exc
    return WriteOutcome(_plain(before), value, _plain(after))


class OpcUaDriver:
    """The ``Driver`` of OPC UA (``zhizao.connectors.base.Driver``)."""

    @property
    def protocol(self) -> SourceProtocol:
        return SourceProtocol.OPCUA

    @property
    def settings_model(self) -> type[ConnectorSettings]:
        return OpcUaSettings

    async def run(self, settings: ConnectorSettings, context: RunContext) -> None:
        await subscription.run(_settings(settings), context)

    async def probe(self, settings: ConnectorSettings, timeout_s: float) -> ProbeResult:
        return await probe(settings, timeout_s)

    async def browse(self, settings: ConnectorSettings, node_id: str | None, timeout_s: float) -> list[BrowseNode]:
        return await browse(settings, node_id, timeout_s)

    async def write(self, settings: ConnectorSettings, key: str, value: Value, timeout_s: float) -> WriteOutcome:
        return await write(settings, key, value, timeout_s)


DRIVER = OpcUaDriver()
