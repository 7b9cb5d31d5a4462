"""Who may do what on the MQTT broker: device credentials, topic rules, and the files a Mosquitto broker needs.

Every device logs in to the broker as ``{enterprise_id}/{device_code}`` (``devices.mqtt_username``) with its own
token (``zzd_…``, issued by ``devices.issue_credential``) as the password. The ingest workers log in with one service
account (``SERVICE_USERNAME`` by default). What each may do — one set of rules, used by the embedded broker through
``may()`` and written out for Mosquitto by ``export_mosquitto_acl()``:

* a device may publish to its own data topic ``zhizao/v1/{enterprise_id}/{code}/data`` and, as a Sparkplug edge
  node (group id = its enterprise id, edge node id = its code), to ``spBv1.0/{enterprise_id}/{N…}/{code}`` and
  ``spBv1.0/{enterprise_id}/{D…}/{code}/+`` for the BIRTH, DEATH and DATA message types; it may subscribe to the
  commands addressed to it (``zhizao/v1/{enterprise_id}/{code}/cmd``, ``…/NCMD/{code}``, ``…/DCMD/{code}/+``) and
  to ``spBv1.0/STATE/+`` (the host application's state, which Sparkplug 3.0 edge nodes watch). A device may also
  announce images to its enterprise's inspection stations (``zhizao/v1/{enterprise_id}/vision/+/images``: a camera
  gateway is a device of the enterprise; every station's topic has this shape). Nothing else: no
  other device's topics, no other enterprise's, no wildcard publishing. An inactive device, or one of an inactive
  enterprise, may do nothing.
* the service account may subscribe to ``zhizao/v1/+/+/data``, ``zhizao/v1/+/vision/+/images`` (the inspection
  stations' listener) and ``spBv1.0/#`` (also as a shared subscription,
  ``$share/{group}/…``), and publish remote commands (``zhizao/v1/+/+/cmd``), Sparkplug commands
  (``spBv1.0/+/NCMD/+``, ``spBv1.0/+/DCMD/+/+``) and its ``spBv1.0/STATE/+`` birth and will.

Subscribing is allowed when every topic the filter can match is allowed: ``zhizao/v1/7/+/data`` is within the
service account's ``zhizao/v1/+/+/data``, while a device's ``zhizao/#`` is not within anything it holds. (Mosquitto
itself grants any subscription and checks ``read`` access on each message it would deliver; the effect is the same.)

Mosquitto
---------
The platform keeps only the SHA-256 of each token, and Mosquitto's password file needs a salted PBKDF2 hash of the
token itself, so the password file cannot be rebuilt from the database. Its entries are made when a token exists:

1. When a credential is issued (``devices.issue_credential``, which returns the token once), the CLI calls
   ``mosquitto_password_line(credential.mqtt_username, credential.token)`` and puts the line into the password
   file with ``upsert_password_entry`` (a re-issued token replaces the device's old line, so the old token stops
   working); the service account's line is made the same way from its password when the broker is set up.
   ``remove_password_entry`` takes out a device's line (device deleted or disabled).
2. It writes the ACL from ``export_mosquitto_acl(database)`` — regenerated after devices are added, disabled or
   enabled, since per-device rules are named explicitly.
3. It writes both files with ``write_broker_file`` (atomic replace; mode 0640, so the file must belong to the
   broker's user or group, e.g. ``chgrp mosquitto``, and is never readable by others) and sends Mosquitto
   ``SIGHUP``: it rereads ``password_file`` and ``acl_file`` and checks the connected clients again, disconnecting
   one whose token was replaced or removed; the others stay connected.

A device whose token predates the password file has no line: issue it a new credential. ``mosquitto_config()``
gives the matching broker configuration (``per_listener_settings false``, ``allow_anonymous false``).

This module is pure apart from ``load_registry``/``DatabaseBrokerAuth`` (a database read) and ``write_broker_file``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal

from sqlalchemy import ColumnElement, select

from zhizao.accounts.credentials import hash_api_token
from zhizao.accounts.models import Organisation
from zhizao.db.engine import Database
from zhizao.telemetry.devices import command_topic, mqtt_topic, mqtt_username
from zhizao.telemetry.models import Device

Action = Literal["publish", "subscribe"]
PUBLISH: Action = "publish"
SUBSCRIBE: Action = "subscribe"

SERVICE_USERNAME = "zhizao-ingest"
SHARE_PREFIX = "$share/"
SPARKPLUG = "spBv1.0"
DATA_SUBSCRIPTION = "zhizao/v1/+/+/data"
COMMAND_TOPICS = "zhizao/v1/+/+/cmd"  # remote commands to MQTT JSON devices, published by the platform
SPARKPLUG_SUBSCRIPTION = f"{SPARKPLUG}/#"
VISION_SUBSCRIPTION = "zhizao/v1/+/vision/+/images"  # image references for inspection stations
_EDGE_NODE_TYPES = ("NBIRTH", "NDEATH", "NDATA")
_EDGE_DEVICE_TYPES = ("DBIRTH", "DDEATH", "DDATA")

# Mosquitto 2.x ``$7$`` entries (apps/mosquitto_passwd, ``output_new_password``): PBKDF2-HMAC-SHA512 over the UTF-8
# password, a 12-byte salt (what mosquitto_passwd writes; Mosquitto 2.0 keeps exactly 12 bytes of salt), a 64-byte
# derived key, both in padded standard base64.
MOSQUITTO_PBKDF2_ID = 7
MOSQUITTO_SALT_BYTES = 12
# mosquitto_passwd's default is 101 in 2.0 and 1000 later. The count only slows guessing, and a token carries 256
# random bits, so guessing is hopeless at any count; a higher one would only make each device's CONNECT cost the
# single-threaded broker more CPU.
MOSQUITTO_ITERATIONS = 1000

_DEVICE_USERNAME = re.compile(r"([1-9][0-9]{0,9})/([A-Za-z0-9_-]{1,64})")
_SHARE_GROUP = re.compile(r"[^/+#]+")


# -- topic filters (MQTT 3.1.1 / 5.0 rules) ---------------------------------------------------------------------------


def is_valid_topic_name(topic: str) -> bool:
    """A topic one may publish to: not empty, no wildcard, no NUL, at most 65535 bytes of UTF-8."""
    return bool(topic) and not any(char in topic for char in "+#\x00") and len(topic.encode()) <= 65535


def is_valid_topic_filter(topic_filter: str) -> bool:
    """A filter one may subscribe to: ``+`` fills a whole level, ``#`` a whole level and only the last one."""
    if not topic_filter or "\x00" in topic_filter or len(topic_filter.encode()) > 65535:
        return False
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if "+" in level and level != "+":
            return False
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return False
    return True


def filter_within(requested: str, allowed: str) -> bool:
    """Whether every topic that the filter ``requested`` matches is matched by the filter ``allowed``.

    A topic name is a filter that matches only itself, so this also says whether ``allowed`` matches a topic.
    Both must be valid filters. ``a/#`` matches ``a`` itself as well (MQTT 4.7.1.2).
    """
    wanted = requested.split("/")
    granted = allowed.split("/")
    for index, level in enumerate(granted):
        if level == "#":
            return True
        if index >= len(wanted):
            return False
        if level == "+":
            if wanted[index] == "#":
                return False
            continue
        if wanted[index] != level:
            return False
    return len(wanted) == len(granted)


def split_shared(topic_filter: str) -> tuple[str | None, str] | None:
    """``$share/{group}/{filter}`` as ``(group, filter)``, another filter as ``(None, filter)``; None when malformed."""
    if not topic_filter.startswith(SHARE_PREFIX):
        return None, topic_filter
    group, separator, rest = topic_filter[len(SHARE_PREFIX) :].partition("/")
    if not separator or not _SHARE_GROUP.fullmatch(group) or not rest:
        return None
    return group, rest


# -- the registry and the rules ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceAccount:
    """What the broker needs to know about one device."""

    enterprise_id: int
    code: str
    secret_hash: str | None  # SHA-256 hex of its token; None before a credential is issued
    is_active: bool = True  # the device and its enterprise are both active

    @property
    def username(self) -> str:
        return mqtt_username(self.enterprise_id, self.code)


@dataclass(frozen=True, slots=True)
class Grants:
    """The topic filters a user may publish to and subscribe to."""

    publish: tuple[str, ...] = ()
    subscribe: tuple[str, ...] = ()


NO_GRANTS = Grants()


def _mapping(devices: Iterable[DeviceAccount]) -> Mapping[str, DeviceAccount]:
    return MappingProxyType({device.username: device for device in devices})


@dataclass(frozen=True)
class BrokerRegistry:
    """A snapshot of the broker's accounts: the devices by MQTT username, and the service account."""

    devices: Mapping[str, DeviceAccount] = field(default_factory=lambda: MappingProxyType({}))
    service_username: str = SERVICE_USERNAME
    service_secret_hash: str | None = None  # SHA-256 hex (``hash_api_token``) of the service password

    def __post_init__(self) -> None:
        _check_username(self.service_username)
        if "/" in self.service_username:
            raise ValueError(f"the service account's name has no '/', unlike a device's: {self.service_username!r}")

    @classmethod
    def of(
        cls,
        devices: Iterable[DeviceAccount],
        *,
        service_username: str = SERVICE_USERNAME,
        service_password: str | None = None,
    ) -> BrokerRegistry:
        """A registry from device accounts and the service account's password (hashed here, never kept)."""
        return cls(
            _mapping(devices),
            service_username,
            hash_api_token(service_password) if service_password is not None else None,
        )

    def with_device(self, device: DeviceAccount) -> BrokerRegistry:
        """This registry with one device added or replaced."""
        devices = dict(self.devices)
        devices[device.username] = device
        return BrokerRegistry(MappingProxyType(devices), self.service_username, self.service_secret_hash)

    def without_device(self, username: str) -> BrokerRegistry:
        devices = {name: device for name, device in self.devices.items() if name != username}
        return BrokerRegistry(MappingProxyType(devices), self.service_username, self.service_secret_hash)

    def may(self, username: str | None, action: str, topic: str) -> bool:
        return may(self, username, action, topic)

    def verify(self, username: str | None, password: str | None) -> bool:
        return verify(self, username, password)


def service_grants() -> Grants:
    return Grants(
        publish=(COMMAND_TOPICS, f"{SPARKPLUG}/+/NCMD/+", f"{SPARKPLUG}/+/DCMD/+/+", f"{SPARKPLUG}/STATE/+"),
        subscribe=(DATA_SUBSCRIPTION, VISION_SUBSCRIPTION, SPARKPLUG_SUBSCRIPTION),
    )


def vision_topics(enterprise_id: int) -> str:
    """The filter every inspection station topic of ``enterprise_id`` lies within."""
    return f"zhizao/v1/{enterprise_id}/vision/+/images"


def device_grants(enterprise_id: int, code: str) -> Grants:
    group = f"{SPARKPLUG}/{enterprise_id}"
    return Grants(
        publish=(
            mqtt_topic(enterprise_id, code),
            vision_topics(enterprise_id),
            *(f"{group}/{kind}/{code}" for kind in _EDGE_NODE_TYPES),
            *(f"{group}/{kind}/{code}/+" for kind in _EDGE_DEVICE_TYPES),
        ),
        subscribe=(
            command_topic(enterprise_id, code),
            f"{group}/NCMD/{code}",
            f"{group}/DCMD/{code}/+",
            f"{SPARKPLUG}/STATE/+",
        ),
    )


def grants(registry: BrokerRegistry, username: str | None) -> Grants:
    """What ``username`` may do: the service account's rules, an active device's own, or nothing."""
    if username is None:
        return NO_GRANTS
    if username == registry.service_username:
        return service_grants()
    device = registry.devices.get(username)
    if device is None or not device.is_active:
        return NO_GRANTS
    return device_grants(device.enterprise_id, device.code)


def may(registry: BrokerRegistry, username: str | None, action: str, topic: str) -> bool:
    """Whether ``username`` may publish to the topic (a name) or subscribe to it (a filter, ``$share/…`` allowed).

    ``action`` is ``"publish"`` or ``"subscribe"``; anything else is refused. Pure.
    """
    allowed = grants(registry, username)
    if action == PUBLISH:
        if not is_valid_topic_name(topic) or topic.startswith("$"):
            return False
        return any(filter_within(topic, pattern) for pattern in allowed.publish)
    if action == SUBSCRIBE:
        shared = split_shared(topic)
        if shared is None:
            return False
        topic_filter = shared[1]
        if not is_valid_topic_filter(topic_filter) or topic_filter.startswith("$"):
            return False
        return any(filter_within(topic_filter, pattern) for pattern in allowed.subscribe)
    return False


def _secret_matches(expected_hash: str | None, password: str) -> bool:
    # Hash first, so a wrong password for an unknown user takes as long as one for a known user.
    actual = hash_api_token(password)
    return expected_hash is not None and hmac.compare_digest(actual, expected_hash)


def _device_secret(device: DeviceAccount | None) -> str | None:
    return device.secret_hash if device is not None and device.is_active else None


def verify(registry: BrokerRegistry, username: str | None, password: str | None) -> bool:
    """Whether the password is the token of an active device, or the service account's password. Pure."""
    if not username or password is None:
        return False
    if username == registry.service_username:
        return _secret_matches(registry.service_secret_hash, password)
    return _secret_matches(_device_secret(registry.devices.get(username)), password)


# -- reading the registry from the database ---------------------------------------------------------------------------


def _read_accounts(database: Database, *where: ColumnElement[bool]) -> list[DeviceAccount]:
    query = (
        select(Device.enterprise_id, Device.code, Device.secret_hash, Device.is_active, Organisation.is_active)
        .join(Organisation, Organisation.id == Device.enterprise_id)
        .where(*where)
    )
    with database.session() as session:
        rows = session.execute(query).all()
    return [
        DeviceAccount(enterprise_id, code, secret_hash, bool(device_active and enterprise_active))
        for enterprise_id, code, secret_hash, device_active, enterprise_active in rows
    ]


def load_registry(
    database: Database, *, service_username: str = SERVICE_USERNAME, service_secret_hash: str | None = None
) -> BrokerRegistry:
    """Every device with its credential hash and whether it (and its enterprise) is active."""
    return BrokerRegistry(_mapping(_read_accounts(database)), service_username, service_secret_hash)


def load_device(database: Database, username: str) -> DeviceAccount | None:
    """The device an MQTT username names, read now; None when there is none."""
    match = _DEVICE_USERNAME.fullmatch(username)
    if match is None:
        return None
    found = _read_accounts(database, Device.enterprise_id == int(match.group(1)), Device.code == match.group(2))
    return found[0] if found else None


class DatabaseBrokerAuth:
    """``verify`` and ``may`` for a running broker, over the device table.

    ``verify`` (once per connection) reads the device's row, so a credential issued a moment ago works at once and a
    replaced one stops working at once. ``may`` (every publish, subscription and delivery) answers from a snapshot
    of the whole table that is at most ``max_age_s`` old, so disabling a device takes effect within that time on
    connections already open. Both are synchronous and quick (an indexed read, or none); safe to call from threads.
    """

    def __init__(
        self,
        database: Database,
        *,
        service_username: str = SERVICE_USERNAME,
        service_password: str | None = None,
        max_age_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._database = database
        self._service_username = service_username
        self._service_secret_hash = hash_api_token(service_password) if service_password is not None else None
        self._max_age_s = max_age_s
        self._clock = clock
        self._lock = threading.Lock()
        self._registry: BrokerRegistry | None = None
        self._loaded_at = 0.0

    def registry(self) -> BrokerRegistry:
        """The snapshot, read again when older than ``max_age_s``."""
        with self._lock:
            now = self._clock()
            if self._registry is None or now - self._loaded_at >= self._max_age_s:
                self._registry = load_registry(
                    self._database,
                    service_username=self._service_username,
                    service_secret_hash=self._service_secret_hash,
                )
                self._loaded_at = now
            return self._registry

    def verify(self, username: str | None, password: str | None) -> bool:
        if not username or password is None:
            return False
        if username == self._service_username:
            return _secret_matches(self._service_secret_hash, password)
        device = load_device(self._database, username)
        with self._lock:  # what was just read is newer than the snapshot
            if self._registry is not None:
                registry = self._registry
                self._registry = registry.with_device(device) if device else registry.without_device(username)
        return _secret_matches(_device_secret(device), password)

    def may(self, username: str | None, action: str, topic: str) -> bool:
        return may(self.registry(), username, action, topic)


# -- Mosquitto files --------------------------------------------------------------------------------------------------


def _check_username(username: str) -> None:
    if not username or ":" in username or username != username.strip() or any(ord(char) < 32 for char in username):
        raise ValueError(f"not usable as a Mosquitto username: {username!r}")
    if len(username.encode()) > 65535:
        raise ValueError("a Mosquitto username is at most 65535 bytes")


def mosquitto_password_line(
    username: str, token: str, *, iterations: int = MOSQUITTO_ITERATIONS, salt: bytes | None = None
) -> str:
    """A Mosquitto 2.x password-file line (no newline): ``username:$7$<iterations>$<base64 salt>$<base64 hash>``.

    The same format as ``mosquitto_passwd -H sha512-pbkdf2`` (its default since 2.0). ``salt`` is for tests; a
    fresh random one is drawn otherwise. Call it when the token is issued — it is the only moment the token exists.
    """
    _check_username(username)
    if not token or len(token.encode()) > 65535 or any(char in token for char in "\r\n\x00"):
        raise ValueError("not usable as a Mosquitto password")
    if iterations < 1:
        raise ValueError("iterations must be at least 1")
    salt = secrets.token_bytes(MOSQUITTO_SALT_BYTES) if salt is None else salt
    if len(salt) != MOSQUITTO_SALT_BYTES:
        raise ValueError(f"Mosquitto 2.0 reads only {MOSQUITTO_SALT_BYTES}-byte salts")
    derived = hashlib.pbkdf2_hmac("sha512", token.encode(), salt, iterations)
    encoded_salt = base64.b64encode(salt).decode()
    encoded_hash = base64.b64encode(derived).decode()
    return f"{username}:${MOSQUITTO_PBKDF2_ID}${iterations}${encoded_salt}${encoded_hash}"


def check_mosquitto_password(line: str, token: str) -> bool:
    """Whether a ``$7$`` password-file line holds this token (what Mosquitto checks at CONNECT)."""
    _, _, encoded = line.strip().partition(":")
    parts = encoded.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != str(MOSQUITTO_PBKDF2_ID) or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except ValueError:
        return False
    derived = hashlib.pbkdf2_hmac("sha512", token.encode(), salt, int(parts[2]), len(expected) or None)
    return hmac.compare_digest(derived, expected)


def _entry_name(line: str) -> str | None:
    stripped = line.strip()
    if not stripped or stripped.startswith("#") or ":" not in stripped:
        return None
    return stripped.split(":", 1)[0].strip()


def remove_password_entry(password_file_text: str, username: str) -> str:
    """The password file's text without ``username``'s line(s). Pure."""
    kept = [line for line in password_file_text.splitlines() if _entry_name(line) != username]
    return "".join(f"{line}\n" for line in kept)


def upsert_password_entry(password_file_text: str, line: str) -> str:
    """The password file's text with ``line`` (from ``mosquitto_password_line``) replacing that user's old line."""
    username = _entry_name(line)
    if username is None or "\n" in line.strip():
        raise ValueError("not a password-file line")
    return remove_password_entry(password_file_text, username) + line.strip() + "\n"


def mosquitto_acl(registry: BrokerRegistry) -> str:
    """The Mosquitto ``acl_file`` for these accounts: the service account, then each active device. Pure."""
    lines = [
        "# Mosquitto ACL generated by zhizao (zhizao.telemetry.broker_auth); regenerate it, do not edit it.",
        "# Subscriptions are rules for reading: Mosquitto checks 'read' on each message it would deliver.",
        "",
    ]

    def block(username: str, allowed: Grants) -> None:
        _check_username(username)
        lines.append(f"user {username}")
        lines.extend(f"topic readwrite {pattern}" for pattern in allowed.publish if pattern in allowed.subscribe)
        lines.extend(f"topic write {pattern}" for pattern in allowed.publish if pattern not in allowed.subscribe)
        lines.extend(f"topic read {pattern}" for pattern in allowed.subscribe if pattern not in allowed.publish)
        lines.append("")

    block(registry.service_username, service_grants())
    for username, device in sorted(registry.devices.items()):
        if device.is_active:
            block(username, device_grants(device.enterprise_id, device.code))
    return "\n".join(lines)


def export_mosquitto_acl(database: Database, *, service_username: str = SERVICE_USERNAME) -> str:
    """The Mosquitto ``acl_file`` for every active device in the database and the service account."""
    return mosquitto_acl(load_registry(database, service_username=service_username))


def _config_value(name: str, value: str | Path) -> str:
    text = str(value)
    if not text or any(char in text for char in "\r\n\x00"):
        raise ValueError(f"{name} cannot go into a Mosquitto configuration: {text!r}")
    return text


def mosquitto_config(
    port: int,
    password_file: str | Path,
    acl_file: str | Path,
    persistence_dir: str | Path,
    *,
    bind_address: str | None = None,
    certfile: str | Path | None = None,
    keyfile: str | Path | None = None,
) -> str:
    """A minimal Mosquitto 2.x configuration that admits only known accounts and enforces the ACL. Pure.

    Without ``certfile``/``keyfile`` the listener is plain MQTT and tokens cross the network in clear: use it on
    loopback or a trusted network only, or give a certificate (then devices connect with ``mqtts://``).
    """
    if not 0 < port < 65536:
        raise ValueError(f"not a TCP port: {port}")
    if (certfile is None) != (keyfile is None):
        raise ValueError("certfile and keyfile go together")
    persistence = _config_value("persistence_dir", persistence_dir).rstrip("/") + "/"
    listener = f"listener {port}" + (f" {_config_value('bind_address', bind_address)}" if bind_address else "")
    lines = [
        "# Mosquitto configuration generated by zhizao (zhizao.telemetry.broker_auth.mosquitto_config).",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {_config_value('password_file', password_file)}",
        f"acl_file {_config_value('acl_file', acl_file)}",
        "persistence true",
        f"persistence_location {persistence}",
        "",
        listener,
    ]
    if certfile is not None and keyfile is not None:
        lines += [
            f"certfile {_config_value('certfile', certfile)}",
            f"keyfile {_config_value('keyfile', keyfile)}",
            "tls_version tlsv1.2",
        ]
    return "\n".join(lines) + "\n"


def write_broker_file(path: Path, text: str, *, mode: int = 0o640) -> None:
    """Replace ``path`` with ``text`` atomically (a reader sees the old file or the new one), with ``mode``."""
    path = Path(path)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
