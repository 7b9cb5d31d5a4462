"""A connector's settings between the database, the API and its driver: validated by the protocol's model (field
errors under ``body.settings.…``), stored with their secrets, shown with the secrets masked, and merged on update
so that a secret sent back masked (or left out) keeps its stored value. Pure functions, no I/O."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel, SecretBytes, SecretStr, ValidationError
from pydantic_core import to_jsonable_python

from zhizao.connectors.base import ConnectorSettings, PointBinding
from zhizao.errors import FieldProblem, InputError, plain_message
from zhizao.telemetry.kinds import Protocol

MASK = "**********"  # what a secret reads as; sent back unchanged, it means "keep the stored one"
SETTINGS_FIELD = "body.settings"

# Where an OPC UA settings model keeps its client certificate (PEM) and private key (a secret), and its policy.
OPCUA_POLICY_FIELD = "security_policy"
OPCUA_CERTIFICATE_FIELD = "client_certificate"
OPCUA_KEY_FIELD = "client_private_key"

Path = tuple[str | int, ...]


def parse_settings(
    model: type[ConnectorSettings], raw: Mapping[str, Any], field: str = SETTINGS_FIELD
) -> ConnectorSettings:
    """``raw`` validated by the protocol's model; ``InputError`` naming each wrong field (``body.settings.x[3].y``)."""
    try:
        return model.model_validate(dict(raw))
    except ValidationError as exc:
        problems = [
            FieldProblem(field + _dotted(tuple(error["loc"])), plain_message(str(error["msg"])))
            for error in exc.errors()
        ]
        raise InputError("the connector settings are not valid", fields=problems) from exc


def _dotted(path: Sequence[str | int]) -> str:
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path)


def stored_form(settings: ConnectorSettings) -> dict[str, Any]:
    """The JSON kept in the database: secrets revealed (the database is the platform's own)."""
    return _with_secrets(settings, reveal=True)


def masked_form(settings: ConnectorSettings) -> dict[str, Any]:
    """The JSON shown to users and written to the audit log: every secret that is set reads ``MASK``."""
    return _with_secrets(settings, reveal=False)


def _with_secrets(settings: ConnectorSettings, *, reveal: bool) -> dict[str, Any]:
    # A model may serialise its secrets itself (masked unless asked): each is put in place from the attribute.
    dumped = settings.model_dump(mode="python", context={"reveal_secrets": reveal})
    data: dict[str, Any] = to_jsonable_python(_mask(dumped), fallback=str)
    for path, secret in secret_paths(settings):
        parent = _container(data, path[:-1])
        _put(parent, path[-1], secret if reveal else MASK)
    return data


def _put(parent: Any, key: str | int, value: Any) -> None:
    if isinstance(parent, dict) and isinstance(key, str):
        parent[key] = value
        return
    if isinstance(parent, list) and isinstance(key, int) and key < len(parent):
        parent[key] = value


def _mask(value: Any) -> Any:
    if isinstance(value, SecretStr | SecretBytes):
        return MASK
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_mask(item) for item in value]
    return value


def secret_paths(model: BaseModel, prefix: Path = ()) -> Iterator[tuple[Path, str]]:
    """Where the secrets of a settings object are, with their values."""
    for name in type(model).model_fields:
        yield from _secrets_in(getattr(model, name), (*prefix, name))


def _secrets_in(value: Any, path: Path) -> Iterator[tuple[Path, str]]:
    if isinstance(value, SecretStr):
        yield path, value.get_secret_value()
    elif isinstance(value, SecretBytes):
        yield path, value.get_secret_value().decode()
    elif isinstance(value, BaseModel):
        yield from secret_paths(value, path)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _secrets_in(item, (*path, index))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _secrets_in(item, (*path, str(key)))


def keep_secrets(incoming: Mapping[str, Any], stored: ConnectorSettings) -> dict[str, Any]:
    """``incoming`` with each secret of ``stored`` put back where the client left it out or sent it masked (an
    explicit null clears it)."""
    merged: dict[str, Any] = _deep_copy(dict(incoming))
    for path, secret in secret_paths(stored):
        parent = _container(merged, path[:-1])
        last = path[-1]
        if isinstance(parent, dict) and isinstance(last, str):
            if last not in parent or parent[last] == MASK:
                parent[last] = secret
        elif isinstance(parent, list) and isinstance(last, int) and last < len(parent) and parent[last] == MASK:
            parent[last] = secret
    return merged


def _container(root: Any, path: Path) -> Any:
    """The dict or list at ``path`` in ``root``, or None when the client's data has none there."""
    node = root
    for part in path:
        if isinstance(node, dict) and isinstance(part, str):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return None
    return node if isinstance(node, dict | list) else None


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _deep_copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_deep_copy(item) for item in value]
    return value


def contains_mask(value: Any) -> bool:
    """True when a masked secret is left in new settings (nothing stored to put back: the client must send it)."""
    if isinstance(value, dict):
        return any(contains_mask(item) for item in value.values())
    if isinstance(value, list):
        return any(contains_mask(item) for item in value)
    return isinstance(value, str) and value == MASK


def binding_fields(settings: ConnectorSettings) -> dict[tuple[str, str], str]:
    """(device code, signal) → the dotted field of the point that binds it (``body.settings.nodes[3]``), found
    by walking the settings for objects with ``device_code`` and ``signal``: for field errors on bindings."""
    found: dict[tuple[str, str], str] = {}

    def walk(value: Any, path: Path) -> None:
        if isinstance(value, BaseModel):
            device_code, signal = getattr(value, "device_code", None), getattr(value, "signal", None)
            if isinstance(device_code, str) and isinstance(signal, str):
                found.setdefault((device_code, signal), SETTINGS_FIELD + _dotted(path))
            for name in type(value).model_fields:
                walk(getattr(value, name), (*path, name))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                walk(item, (*path, index))
        elif isinstance(value, dict):
            for key, item in value.items():
                walk(item, (*path, str(key)))

    walk(settings, ())
    return found


def binding_field(settings: ConnectorSettings, binding: PointBinding, attribute: str) -> str:
    where = binding_fields(settings).get((binding.device_code, binding.signal))
    if where:
        return f"{where}.{attribute}"
    if attribute == "device_code" and getattr(settings, "device_code", None) == binding.device_code:
        return f"{SETTINGS_FIELD}.device_code"  # a default device for every point (Modbus)
    return SETTINGS_FIELD


def needs_client_certificate(protocol: Protocol, raw: Mapping[str, Any]) -> bool:
    """An OPC UA configuration with a security policy other than None and neither certificate nor key of its own:
    the platform makes them (before validation, which asks for both)."""
    if protocol != Protocol.OPCUA:
        return False
    policy = str(raw.get(OPCUA_POLICY_FIELD) or "None")
    return policy.lower() != "none" and not raw.get(OPCUA_CERTIFICATE_FIELD) and not raw.get(OPCUA_KEY_FIELD)


def with_new_client_certificate(raw: Mapping[str, Any], connector_name: str) -> dict[str, Any]:
    """The raw settings with a freshly made key pair (``zhizao.connectors.opcua.certificates``)."""
    from zhizao.connectors.opcua.certificates import generate_client_certificate

    pair = generate_client_certificate(common_name=f"zhizao {connector_name}"[:64])
    return {**raw, OPCUA_CERTIFICATE_FIELD: pair.certificate_pem, OPCUA_KEY_FIELD: pair.private_key_pem}


def client_certificate(settings: ConnectorSettings) -> str | None:
    """The PEM of the connector's OPC UA client certificate (public: the user trusts it on the server)."""
    value = getattr(settings, OPCUA_CERTIFICATE_FIELD, None)
    return value if isinstance(value, str) and value.strip() else None


NODE_FIELDS = ("node_id", "device_code", "signal")


def node_list_field(model: type[ConnectorSettings]) -> str | None:
    """The settings' list of mapped nodes (items with ``node_id``, ``device_code`` and ``signal``), if any: where
    a node found by browsing is added."""
    for name, info in model.model_fields.items():
        if get_origin(info.annotation) is not list:
            continue
        (item,) = get_args(info.annotation) or (None,)
        if isinstance(item, type) and issubclass(item, BaseModel) and set(NODE_FIELDS) <= set(item.model_fields):
            return info.alias or name
    return None


def with_node(
    model: type[ConnectorSettings], raw: Mapping[str, Any], node_id: str, device_code: str, signal: str, writable: bool
) -> dict[str, Any]:
    """``raw`` settings with one more mapped node (``InputError`` when the protocol has no node list)."""
    list_field = node_list_field(model)
    if list_field is None:
        raise InputError.for_field(SETTINGS_FIELD, "this protocol's settings have no list of nodes")
    merged: dict[str, Any] = _deep_copy(dict(raw))
    node: dict[str, Any] = {"node_id": node_id, "device_code": device_code, "signal": signal}
    if writable:
        node["writable"] = True
    merged[list_field] = [*(merged.get(list_field) or []), node]
    return merged
