"""The configuration of one OPC UA connector: where the server is, how to secure and authenticate the channel,
how to subscribe, and which nodes become which signals.

Example (as the connector API stores it)::

    {"endpoint_url": "opc.tcp://10.0.4.21:4840/plc",
     "security_policy": "Basic256Sha256", "security_mode": "SignAndEncrypt",
     "auth": "username", "username": "zhizao", "password": "…",
     "client_certificate": "-----BEGIN CERTIFICATE-----…", "client_private_key": "-----BEGIN PRIVATE KEY-----…",
     "nodes": [{"node_id": "ns=2;s=Machine1.Spindle.Speed", "device_code": "CNC-01", "signal": "spindle_speed_rpm"}]}

Secrets (the password, the private key) are ``SecretStr``: they print as ``**********`` in logs, reprs and error
messages, and ``model_dump(mode="json")`` masks them too unless asked with ``context={"reveal_secrets": True}`` —
the one place that must see them is the store of connector configurations.

Validation is strict (``"1000"`` is not 1000) and every problem is reported at its field, all at once, with the
paths the connector API shows beside its form fields: ``endpoint_url``, ``nodes[3].node_id``, ``nodes[4].signal``.
Refused besides wrong types: an endpoint that is not ``opc.tcp://host:port[/path]`` or carries credentials, a
secured policy without a client certificate and key (or with a key that is not the certificate's), a user name
without a password, a node id that does not parse, one node mapped twice, two nodes feeding one device's signal.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Annotated, Any, Self
from urllib.parse import urlsplit

from asyncua import ua
from asyncua.ua.uaerrors import UaStringParsingError
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    SerializationInfo,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from zhizao.connectors.base import ConnectorSettings, PointBinding
from zhizao.connectors.opcua import certificates
from zhizao.errors import FieldProblem, InputError, plain_message
from zhizao.telemetry.kinds import DataType

DEFAULT_PORT = 4840
MAX_NODES = 50_000
DEVICE_CODE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"  # the platform's device codes
SignalName = Annotated[str, Field(strict=True, min_length=1, max_length=200, pattern=r"^[^\x00-\x1F\x7F]+$")]
DeviceCode = Annotated[str, Field(strict=True, pattern=DEVICE_CODE_PATTERN)]
Seconds = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Int = Annotated[int, Field(strict=True)]
Text = Annotated[str, Field(strict=True)]
Flag = Annotated[bool, Field(strict=True)]


class SecurityPolicy(StrEnum):
    NONE = "None"
    BASIC256SHA256 = "Basic256Sha256"


class SecurityMode(StrEnum):
    SIGN = "Sign"
    SIGN_AND_ENCRYPT = "SignAndEncrypt"


class AuthMode(StrEnum):
    ANONYMOUS = "anonymous"
    USERNAME = "username"


def parse_node_id(text: str) -> ua.NodeId:
    """A node id in the OPC UA string form (Part 6 §5.3.1.10): ``ns=2;s=Machine1.Speed``, ``ns=2;i=1001``,
    ``i=2258``, ``ns=3;g=<guid>``, ``ns=3;b=<base64>``. ``nsu=`` (a namespace URI) is refused: the index is what
    the server is asked for, and the probe shows the namespace array to find it."""
    if text.startswith("nsu="):
        raise ValueError("give the namespace index (ns=<n>;…) rather than its URI; test connection lists them")
    try:
        node_id = ua.NodeId.from_string(text)
    except (UaStringParsingError, ValueError) as exc:
        raise ValueError("not a node id: write ns=<index>;s=<name> or ns=<index>;i=<number>") from exc
    if node_id.Identifier in ("", b"") or type(node_id) is not ua.NodeId:
        raise ValueError("not a node id: the identifier after s=, i=, g= or b= is empty")
    return node_id


class MappedNode(BaseModel):
    """One node read into one signal of one device. ``data_type``: what the values are stored as when the
    signal is first registered (left out: taken from the node's own data type)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node_id: Annotated[Text, Field(min_length=1, max_length=4096)]
    device_code: DeviceCode
    signal: SignalName
    writable: Flag = False
    data_type: DataType | None = None

    @field_validator("node_id")
    @classmethod
    def _node_id(cls, value: str) -> str:
        return str(parse_node_id(value.strip()).to_string())  # canonical: "ns=2;i=01" and "ns=2;i=1" are one node


class OpcUaSettings(ConnectorSettings):
    model_config = ConfigDict(frozen=True, extra="forbid")

    endpoint_url: Annotated[Text, Field(min_length=1, max_length=1000)]
    security_policy: SecurityPolicy = SecurityPolicy.NONE
    security_mode: SecurityMode = SecurityMode.SIGN_AND_ENCRYPT  # used with a policy other than None
    auth: AuthMode = AuthMode.ANONYMOUS
    username: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    password: SecretStr | None = None
    client_certificate: Annotated[Text, Field(max_length=20_000)] | None = None  # PEM
    client_private_key: SecretStr | None = None  # PEM, unencrypted
    trusted_server_certificate: Annotated[Text, Field(max_length=20_000)] | None = None  # PEM; None: the one offered
    publishing_interval_ms: Annotated[Int, Field(ge=50, le=600_000)] = 1000
    sampling_interval_ms: Annotated[Int, Field(ge=0, le=600_000)] = 1000  # 0: as fast as the server samples
    batch_size: Annotated[Int, Field(ge=1, le=10_000)] = 1000  # monitored items per CreateMonitoredItems call
    reconnect_min_s: Annotated[Seconds, Field(ge=0.05, le=300)] = 1.0
    reconnect_max_s: Annotated[Seconds, Field(ge=0.05, le=3600)] = 60.0
    request_timeout_s: Annotated[Seconds, Field(ge=0.5, le=300)] = 10.0
    watchdog_interval_s: Annotated[Seconds, Field(ge=0.1, le=300)] = 5.0  # how often a silent server is probed
    delivery_interval_s: Annotated[Seconds, Field(ge=0.01, le=10)] = 0.1  # how long readings gather per sink call
    nodes: Annotated[tuple[MappedNode, ...], Field(max_length=MAX_NODES)] = ()

    @field_validator("endpoint_url")
    @classmethod
    def _endpoint(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme != "opc.tcp":
            raise ValueError("must start with opc.tcp:// (e.g. opc.tcp://192.168.0.10:4840)")
        if "@" in parts.netloc:
            raise ValueError("must not carry a user name or password: use the username and password fields")
        try:
            port = parts.port
        except ValueError as exc:
            raise ValueError("the port must be a number from 1 to 65535") from exc
        if not parts.hostname:
            raise ValueError("names no host: opc.tcp://<host>:<port>[/path]")
        if port is not None and not 1 <= port <= 65535:
            raise ValueError("the port must be a number from 1 to 65535")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query (?…) or fragment (#…)")
        return value.strip()

    @field_serializer("password", "client_private_key")
    def _secret(self, value: SecretStr | None, info: SerializationInfo) -> str | None:
        if value is None:
            return None
        context = info.context if isinstance(info.context, dict) else {}
        return value.get_secret_value() if context.get("reveal_secrets") else str(value)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        errors: list[InitErrorDetails] = []
        if self.reconnect_max_s < self.reconnect_min_s:
            errors.append(
                _error("range", "must not be less than reconnect_min_s", self.reconnect_max_s, "reconnect_max_s")
            )
        if self.auth is AuthMode.USERNAME:
            if self.username is None:
                errors.append(_error("missing", "a user name is needed with auth username", None, "username"))
            if self.password is None:
                errors.append(_error("missing", "a password is needed with auth username", None, "password"))
        errors.extend(self._security_problems())
        errors.extend(_duplicates(self.nodes))
        if errors:
            raise ValidationError.from_exception_data("OpcUaSettings", errors)
        return self

    def _security_problems(self) -> list[InitErrorDetails]:
        errors: list[InitErrorDetails] = []
        if self.trusted_server_certificate is not None:
            try:
                certificates.load_certificate(self.trusted_server_certificate)
            except certificates.CertificateError as exc:
                errors.append(_error("certificate", str(exc), "…", "trusted_server_certificate"))
        if self.security_policy is SecurityPolicy.NONE:
            return errors
        needed = f"{self.security_policy.value} needs the client's certificate and private key"
        if self.client_certificate is None:
            errors.append(_error("missing", needed, None, "client_certificate"))
        if self.client_private_key is None:
            errors.append(_error("missing", needed, None, "client_private_key"))
        if self.client_certificate is None or self.client_private_key is None:
            return errors
        try:
            certificate = certificates.load_certificate(self.client_certificate)
        except certificates.CertificateError as exc:
            return [*errors, _error("certificate", str(exc), "…", "client_certificate")]
        if certificates.application_uri_of(certificate) is None:
            message = "has no application URI in its subjectAltName: make one with the platform's certificate tool"
            errors.append(_error("certificate", message, "…", "client_certificate"))
        try:
            matches = certificates.key_matches_certificate(
                self.client_certificate, self.client_private_key.get_secret_value()
            )
        except certificates.CertificateError as exc:  # never quotes the key
            return [*errors, _error("private_key", str(exc), "…", "client_private_key")]
        if not matches:
            errors.append(_error("private_key", "is not the key of client_certificate", "…", "client_private_key"))
        return errors

    # -- the connector contract ---------------------------------------------------------------------------------

    def bindings(self) -> Sequence[PointBinding]:
        return [PointBinding(node.node_id, node.device_code, node.signal, node.writable) for node in self.nodes]

    def endpoint_label(self) -> str:
        parts = urlsplit(self.endpoint_url)
        port = parts.port or DEFAULT_PORT
        return f"opc.tcp://{parts.hostname}:{port}{parts.path if parts.path not in ('', '/') else ''}"

    def node(self, node_id: str) -> MappedNode | None:
        try:
            canonical = parse_node_id(node_id.strip()).to_string()
        except ValueError:
            return None
        return next((node for node in self.nodes if node.node_id == canonical), None)


def _duplicates(nodes: Sequence[MappedNode]) -> list[InitErrorDetails]:
    errors: list[InitErrorDetails] = []
    first_node: dict[str, int] = {}
    first_signal: dict[tuple[str, str], int] = {}
    for index, node in enumerate(nodes):
        if node.node_id in first_node:
            message = f"nodes[{first_node[node.node_id]}] maps the same node"
            errors.append(_error("duplicate", message, node.node_id, "nodes", index, "node_id"))
        first_node.setdefault(node.node_id, index)
        target = (node.device_code, node.signal)
        if target in first_signal:
            message = f"nodes[{first_signal[target]}] already feeds {node.device_code}/{node.signal}"
            errors.append(_error("duplicate", message, node.signal, "nodes", index, "signal"))
        first_signal.setdefault(target, index)
    return errors


def _error(kind: str, message: str, value: object, *loc: str | int) -> InitErrorDetails:
    return InitErrorDetails(type=PydanticCustomError(kind, message), loc=loc, input=value)


def field_path(loc: Sequence[str | int]) -> str:
    """``("nodes", 3, "node_id")`` → ``nodes[3].node_id``."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "settings"


def parse_settings(data: Any) -> OpcUaSettings:
    """Settings from parsed JSON; every problem becomes a ``FieldProblem`` at its path (``nodes[3].node_id``).
    Secrets never appear in the messages: pydantic's messages do not quote inputs, and ours say what is wrong."""
    try:
        return OpcUaSettings.model_validate(data)
    except ValidationError as exc:
        fields = [
            FieldProblem(field_path(error["loc"]), plain_message(error["msg"]))
            for error in exc.errors(include_url=False, include_input=False)
        ]
        summary = "; ".join(f"{problem.field}: {problem.message}" for problem in fields[:5])
        more = f" (and {len(fields) - 5} more)" if len(fields) > 5 else ""
        raise InputError(f"invalid OPC UA settings — {summary}{more}", fields=fields) from exc
