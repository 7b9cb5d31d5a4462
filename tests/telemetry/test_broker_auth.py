"""MQTT broker authentication and authorisation: the rules, the Mosquitto files, and two real brokers enforcing them.

The broker tests start a real Mosquitto (the ``mosquitto`` binary, skipped when absent) from the generated
configuration, password file and ACL, and the embedded amqtt broker, and prove the same things on both: a device
publishes to its own topic and the service account receives it; a publish to any other topic is dropped; a wrong
password is refused at CONNECT.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import re
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import aiomqtt
import pytest
import pytest_asyncio
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.reasoncodes import ReasonCode
from sqlalchemy import select, update

from tests.conftest import World
from tests.requirements import mosquitto_binary
from zhizao.accounts.credentials import hash_api_token
from zhizao.accounts.models import Organisation
from zhizao.accounts.principal import Principal
from zhizao.accounts.roles import Role
from zhizao.db.engine import Database
from zhizao.telemetry import devices
from zhizao.telemetry.broker_auth import (
    SERVICE_USERNAME,
    BrokerRegistry,
    DatabaseBrokerAuth,
    DeviceAccount,
    check_mosquitto_password,
    export_mosquitto_acl,
    filter_within,
    load_registry,
    may,
    mosquitto_acl,
    mosquitto_config,
    mosquitto_password_line,
    remove_password_entry,
    split_shared,
    upsert_password_entry,
    verify,
    write_broker_file,
)
from zhizao.telemetry.embedded_broker import EmbeddedBroker, TokenAuthPlugin
from zhizao.telemetry.kinds import Protocol
from zhizao.telemetry.models import Device
from zhizao.telemetry.schemas import DeviceCreate

SERVICE_PASSWORD = "service-password-0123456789"
NOT_AUTHORISED = 135  # MQTT 5 "Not authorized"; paho reports MQTT 3.1.1's CONNACK code 5 as this reason code too
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])  # the broker tests are not about the database

# -- the rules, pure ----------------------------------------------------------------------------------------------

CNC = DeviceAccount(7, "L1-CNC-01", "0" * 64)
ROBOT = DeviceAccount(7, "L1-RB-01", "1" * 64)
STRANGER = DeviceAccount(8, "L1-CNC-01", "2" * 64)  # another enterprise, the same device code
IDLE = DeviceAccount(7, "L1-OLD-01", "3" * 64, is_active=False)
REGISTRY = BrokerRegistry.of([CNC, ROBOT, STRANGER, IDLE], service_password=SERVICE_PASSWORD)


@pytest.mark.parametrize(
    ("username", "action", "topic", "allowed"),
    [
        # a device publishes to its own topics only
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/L1-CNC-01/data", True),
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/L1-RB-01/data", False),  # another device's
        ("7/L1-CNC-01", "publish", "zhizao/v1/8/L1-CNC-01/data", False),  # another tenant's, same code
        ("8/L1-CNC-01", "publish", "zhizao/v1/7/L1-CNC-01/data", False),
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/+/data", False),  # wildcards are never published to
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/#", False),
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/L1-CNC-01/data/extra", False),
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/L1-CNC-01", False),
        ("7/L1-CNC-01", "publish", "", False),
        ("7/L1-CNC-01", "publish", "$SYS/broker/uptime", False),
        # ... and as a Sparkplug edge node of its own group
        ("7/L1-CNC-01", "publish", "spBv1.0/7/NBIRTH/L1-CNC-01", True),
        ("7/L1-CNC-01", "publish", "spBv1.0/7/NDEATH/L1-CNC-01", True),
        ("7/L1-CNC-01", "publish", "spBv1.0/7/DDATA/L1-CNC-01/spindle", True),
        ("7/L1-CNC-01", "publish", "spBv1.0/7/DDATA/L1-CNC-01/spindle/deeper", False),
        ("7/L1-CNC-01", "publish", "spBv1.0/7/NCMD/L1-CNC-01", False),  # commands come from the host
        ("7/L1-CNC-01", "publish", "spBv1.0/7/NDATA/L1-RB-01", False),
        ("7/L1-CNC-01", "publish", "spBv1.0/8/NDATA/L1-CNC-01", False),
        ("7/L1-CNC-01", "publish", "spBv1.0/STATE/zhizao", False),
        # ... and, as a camera gateway, image references for its own enterprise's inspection stations
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/vision/12/images", True),
        ("7/L1-CNC-01", "publish", "zhizao/v1/8/vision/12/images", False),
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/vision/12/13/images", False),
        ("7/L1-CNC-01", "subscribe", "zhizao/v1/7/vision/12/images", False),
        ("7/L1-CNC-01", "subscribe", "spBv1.0/7/NCMD/L1-CNC-01", True),
        ("7/L1-CNC-01", "subscribe", "zhizao/v1/7/L1-CNC-01/cmd", True),  # its own remote commands
        ("7/L1-CNC-01", "subscribe", "zhizao/v1/7/L1-RB-01/cmd", False),  # not another device's
        ("7/L1-CNC-01", "subscribe", "zhizao/v1/7/+/cmd", False),
        ("7/L1-CNC-01", "publish", "zhizao/v1/7/L1-CNC-01/cmd", False),  # commands come from the platform
        ("7/L1-CNC-01", "subscribe", "spBv1.0/7/DCMD/L1-CNC-01/+", True),
        ("7/L1-CNC-01", "subscribe", "spBv1.0/STATE/+", True),
        ("7/L1-CNC-01", "subscribe", "spBv1.0/7/NCMD/+", False),
        ("7/L1-CNC-01", "subscribe", "zhizao/v1/7/L1-CNC-01/data", False),
        ("7/L1-CNC-01", "subscribe", "#", False),
        ("7/L1-CNC-01", "subscribe", "$share/zhizao/zhizao/v1/+/+/data", False),
        # the service account reads all data and sends Sparkplug commands and its state
        (SERVICE_USERNAME, "subscribe", "zhizao/v1/+/+/data", True),
        (SERVICE_USERNAME, "subscribe", "zhizao/v1/7/+/data", True),  # within what it holds
        (SERVICE_USERNAME, "subscribe", "zhizao/v1/7/L1-CNC-01/data", True),
        (SERVICE_USERNAME, "subscribe", "$share/zhizao/zhizao/v1/+/+/data", True),
        (SERVICE_USERNAME, "subscribe", "$share/zhizao/spBv1.0/#", True),
        (SERVICE_USERNAME, "subscribe", "spBv1.0/#", True),
        (SERVICE_USERNAME, "subscribe", "zhizao/v1/7/vision/12/images", True),  # the inspection stations' listener
        (SERVICE_USERNAME, "publish", "zhizao/v1/7/vision/12/images", False),
        (SERVICE_USERNAME, "subscribe", "zhizao/#", False),  # wider than what it holds
        (SERVICE_USERNAME, "subscribe", "#", False),
        (SERVICE_USERNAME, "subscribe", "zhizao/v1/+/+/+", False),
        (SERVICE_USERNAME, "subscribe", "$share/zhizao/#", False),
        (SERVICE_USERNAME, "subscribe", "$share//zhizao/v1/+/+/data", False),  # malformed shares
        (SERVICE_USERNAME, "subscribe", "$share/zhizao", False),
        (SERVICE_USERNAME, "subscribe", "$share/a+b/zhizao/v1/+/+/data", False),
        (SERVICE_USERNAME, "subscribe", "zhizao/v1/+/+/data#", False),  # malformed filters
        (SERVICE_USERNAME, "subscribe", "zhizao/v1/x+/+/data", False),
        (SERVICE_USERNAME, "subscribe", "$SYS/#", False),
        (SERVICE_USERNAME, "publish", "spBv1.0/7/NCMD/L1-CNC-01", True),
        (SERVICE_USERNAME, "publish", "zhizao/v1/7/L1-CNC-01/cmd", True),
        (SERVICE_USERNAME, "publish", "spBv1.0/7/DCMD/L1-CNC-01/spindle", True),
        (SERVICE_USERNAME, "publish", "spBv1.0/STATE/zhizao", True),
        (SERVICE_USERNAME, "publish", "spBv1.0/7/NDATA/L1-CNC-01", False),  # it does not forge device data
        (SERVICE_USERNAME, "publish", "zhizao/v1/7/L1-CNC-01/data", False),
        # nobody else may do anything
        ("7/L1-OLD-01", "publish", "zhizao/v1/7/L1-OLD-01/data", False),  # an inactive device
        ("7/L1-NEW-01", "publish", "zhizao/v1/7/L1-NEW-01/data", False),  # an unknown one
        ("07/L1-CNC-01", "publish", "zhizao/v1/07/L1-CNC-01/data", False),
        (None, "publish", "zhizao/v1/7/L1-CNC-01/data", False),
        (None, "subscribe", "zhizao/v1/+/+/data", False),
        ("7/L1-CNC-01", "retain", "zhizao/v1/7/L1-CNC-01/data", False),  # an unknown action
    ],
)
def test_may(username: str | None, action: str, topic: str, allowed: bool) -> None:
    assert may(REGISTRY, username, action, topic) is allowed
    assert REGISTRY.may(username, action, topic) is allowed


@pytest.mark.parametrize(
    ("requested", "allowed", "within"),
    [
        ("a/b/c", "a/b/c", True),
        ("a/b/c", "a/+/c", True),
        ("a/+/c", "a/+/c", True),
        ("a/+/c", "a/b/c", False),
        ("a/b/c", "a/#", True),
        ("a", "a/#", True),  # '#' also matches the parent level (MQTT 4.7.1.2)
        ("a/#", "a/#", True),
        ("a/#", "a/+", False),
        ("a/b", "a/+/c", False),
        ("a/b/c/d", "a/+/c", False),
        ("#", "+", False),
        ("", "+", True),  # an empty level is a level
    ],
)
def test_filter_within(requested: str, allowed: str, within: bool) -> None:
    assert filter_within(requested, allowed) is within


def test_shared_subscriptions_are_split() -> None:
    assert split_shared("$share/zhizao/zhizao/v1/+/+/data") == ("zhizao", "zhizao/v1/+/+/data")
    assert split_shared("zhizao/v1/+/+/data") == (None, "zhizao/v1/+/+/data")
    assert split_shared("$share/zhizao/") is None
    assert split_shared("$share/#/x") is None


def test_verify_checks_the_token_hash() -> None:
    registry = BrokerRegistry.of(
        [DeviceAccount(7, "L1-CNC-01", hashed("zzd_right")), DeviceAccount(7, "L1-OLD-01", hashed("zzd_old"), False)],
        service_password=SERVICE_PASSWORD,
    )
    assert verify(registry, "7/L1-CNC-01", "zzd_right")
    assert not verify(registry, "7/L1-CNC-01", "zzd_wrong")
    assert not verify(registry, "7/L1-CNC-01", "")
    assert not verify(registry, "7/L1-CNC-01", None)
    assert not verify(registry, "8/L1-CNC-01", "zzd_right")  # the token belongs to another username
    assert not verify(registry, "7/L1-OLD-01", "zzd_old")  # inactive
    assert verify(registry, SERVICE_USERNAME, SERVICE_PASSWORD)
    assert not verify(registry, SERVICE_USERNAME, "zzd_right")
    assert not verify(BrokerRegistry.of([]), SERVICE_USERNAME, "")  # no service password configured
    assert not verify(registry, None, "zzd_right")
    with pytest.raises(ValueError, match="no '/'"):
        BrokerRegistry(service_username="7/L1-CNC-01")


# -- Mosquitto's files ------------------------------------------------------------------------------------------

PASSWORD_LINE = re.compile(
    r"(?P<user>[^:]+):\$7\$(?P<iterations>[0-9]+)\$(?P<salt>[A-Za-z0-9+/=]+)\$(?P<hash>[A-Za-z0-9+/=]+)"
)


def test_password_line_has_mosquittos_pbkdf2_format() -> None:
    line = mosquitto_password_line("7/L1-CNC-01", "zzd_token")
    match = PASSWORD_LINE.fullmatch(line)
    assert match is not None and match["user"] == "7/L1-CNC-01" and match["iterations"] == "1000"
    assert len(base64.b64decode(match["salt"])) == 12 and len(base64.b64decode(match["hash"])) == 64
    assert check_mosquitto_password(line, "zzd_token")
    assert not check_mosquitto_password(line, "zzd_other")
    assert mosquitto_password_line("u", "t") != mosquitto_password_line("u", "t")  # a fresh salt each time
    # A fixed vector, so the format cannot drift: PBKDF2-HMAC-SHA512, 101 iterations, salt bytes 0..11.
    fixed = mosquitto_password_line("u", "secret", iterations=101, salt=bytes(range(12)))
    assert fixed.startswith("u:$7$101$AAECAwQFBgcICQoL$")
    for bad_username in ("", "a:b", " a", "a\nb"):
        with pytest.raises(ValueError):
            mosquitto_password_line(bad_username, "t")
    with pytest.raises(ValueError):
        mosquitto_password_line("u", "t\nu2:x")


@pytest.mark.skipif(shutil.which("mosquitto_passwd") is None, reason="mosquitto_passwd is not installed")
def test_password_line_agrees_with_mosquitto_passwd(tmp_path: Path) -> None:
    password_file = tmp_path / "passwd"
    subprocess.run(  # noqa: S603 - a fixed tool with fixed arguments
        [str(shutil.which("mosquitto_passwd")), "-c", "-b", str(password_file), "7/L1-CNC-01", "zzd_token"],
        check=True,
        capture_output=True,
    )
    theirs = password_file.read_text().strip()
    match = PASSWORD_LINE.fullmatch(theirs)
    assert match is not None
    ours = mosquitto_password_line(
        "7/L1-CNC-01", "zzd_token", iterations=int(match["iterations"]), salt=base64.b64decode(match["salt"])
    )
    assert ours == theirs
    assert check_mosquitto_password(theirs, "zzd_token")


def test_password_entries_are_replaced_and_removed() -> None:
    text = "# a comment\n7/L1-CNC-01:$7$1$old$old\nzhizao-ingest:$7$1$s$h\n"
    replaced = upsert_password_entry(text, "7/L1-CNC-01:$7$1$new$new")
    assert replaced == "# a comment\nzhizao-ingest:$7$1$s$h\n7/L1-CNC-01:$7$1$new$new\n"
    assert upsert_password_entry("", "8/X:$7$1$s$h") == "8/X:$7$1$s$h\n"
    assert remove_password_entry(replaced, "7/L1-CNC-01") == "# a comment\nzhizao-ingest:$7$1$s$h\n"
    with pytest.raises(ValueError):
        upsert_password_entry(text, "no colon")


def test_acl_names_every_active_device_and_the_service_account() -> None:
    acl = mosquitto_acl(REGISTRY)
    blocks = {block.splitlines()[0]: block.splitlines()[1:] for block in acl.split("\n\n") if block.startswith("user")}
    assert set(blocks) == {f"user {SERVICE_USERNAME}", "user 7/L1-CNC-01", "user 7/L1-RB-01", "user 8/L1-CNC-01"}
    assert blocks[f"user {SERVICE_USERNAME}"] == [
        "topic write zhizao/v1/+/+/cmd",
        "topic write spBv1.0/+/NCMD/+",
        "topic write spBv1.0/+/DCMD/+/+",
        "topic write spBv1.0/STATE/+",
        "topic read zhizao/v1/+/+/data",
        "topic read zhizao/v1/+/vision/+/images",
        "topic read spBv1.0/#",
    ]
    assert blocks["user 8/L1-CNC-01"] == [
        "topic write zhizao/v1/8/L1-CNC-01/data",
        "topic write zhizao/v1/8/vision/+/images",
        "topic write spBv1.0/8/NBIRTH/L1-CNC-01",
        "topic write spBv1.0/8/NDEATH/L1-CNC-01",
        "topic write spBv1.0/8/NDATA/L1-CNC-01",
        "topic write spBv1.0/8/DBIRTH/L1-CNC-01/+",
        "topic write spBv1.0/8/DDEATH/L1-CNC-01/+",
        "topic write spBv1.0/8/DDATA/L1-CNC-01/+",
        "topic read zhizao/v1/8/L1-CNC-01/cmd",
        "topic read spBv1.0/8/NCMD/L1-CNC-01",
        "topic read spBv1.0/8/DCMD/L1-CNC-01/+",
        "topic read spBv1.0/STATE/+",
    ]


def test_mosquitto_config_is_closed_by_default() -> None:
    config = mosquitto_config(1883, "/etc/mosquitto/passwd", Path("/etc/mosquitto/acl"), "/var/lib/mosquitto")
    lines = config.splitlines()
    for expected in (
        "per_listener_settings false",
        "allow_anonymous false",
        "password_file /etc/mosquitto/passwd",
        "acl_file /etc/mosquitto/acl",
        "persistence true",
        "persistence_location /var/lib/mosquitto/",
        "listener 1883",
    ):
        assert expected in lines
    tls = mosquitto_config(8883, "p", "a", "d/", bind_address="10.0.0.5", certfile="c.pem", keyfile="k.pem")
    assert "listener 8883 10.0.0.5" in tls and "certfile c.pem" in tls and "keyfile k.pem" in tls
    with pytest.raises(ValueError):
        mosquitto_config(0, "p", "a", "d")
    with pytest.raises(ValueError):
        mosquitto_config(1883, "p\nallow_anonymous true", "a", "d")
    with pytest.raises(ValueError):
        mosquitto_config(8883, "p", "a", "d", certfile="c.pem")


def test_broker_files_are_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "acl"
    write_broker_file(target, "one\n")
    write_broker_file(target, "two\n")
    assert target.read_text() == "two\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [path.name for path in tmp_path.iterdir()] == ["acl"]


# -- the registry from the database ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credential:
    enterprise_id: int
    code: str
    username: str
    token: str
    topic: str


@dataclass(frozen=True)
class Tenancy:
    device: Credential  # {enterprise}/L1-CNC-01
    neighbour: Credential  # another device of the same enterprise
    stranger: Credential  # a device of another enterprise with the same code


class Devices:
    """Creates devices and issues their credentials through the service layer, as a platform administrator."""

    def __init__(self, world: World) -> None:
        self.database = world.database
        admin = world.user(Role.ADMIN)
        self.actor = Principal(admin.user_id, admin.username, admin.username, Role.ADMIN, None)

    def add(self, enterprise_id: int, code: str) -> int:
        with self.database.session() as session:
            data = DeviceCreate(enterprise_id=enterprise_id, code=code, name=code, protocol=Protocol.MQTT_JSON)
            return devices.create_device(session, self.actor, data).id

    def issue(self, device_id: int) -> Credential:
        with self.database.session() as session:
            issued = devices.issue_credential(session, self.actor, device_id, "https://zhizao.test")
        enterprise_id, code = issued.mqtt_username.split("/")
        return Credential(int(enterprise_id), code, issued.mqtt_username, issued.token, issued.mqtt_topic)


@pytest.fixture
def registry_devices(world: World) -> Devices:
    return Devices(world)


@pytest.fixture
def tenancy(world: World, registry_devices: Devices) -> Tenancy:
    enterprise, other = world.organisation(), world.organisation()
    return Tenancy(
        device=registry_devices.issue(registry_devices.add(enterprise, "L1-CNC-01")),
        neighbour=registry_devices.issue(registry_devices.add(enterprise, "L1-RB-01")),
        stranger=registry_devices.issue(registry_devices.add(other, "L1-CNC-01")),
    )


def hashed(token: str) -> str:
    return hash_api_token(token)


def test_registry_and_acl_come_from_the_device_table(database: Database, tenancy: Tenancy) -> None:
    registry = load_registry(database)
    assert set(registry.devices) == {tenancy.device.username, tenancy.neighbour.username, tenancy.stranger.username}
    assert verify(registry, tenancy.device.username, tenancy.device.token)
    assert not verify(registry, tenancy.device.username, tenancy.neighbour.token)
    acl = export_mosquitto_acl(database)
    assert acl == mosquitto_acl(registry)
    assert f"user {tenancy.stranger.username}\ntopic write {tenancy.stranger.topic}\n" in acl
    # A device that is disabled, or whose enterprise is, gets no rules at all.
    with database.session() as session, session.begin():
        session.execute(update(Device).where(Device.code == "L1-RB-01").values(is_active=False))
        session.execute(
            update(Organisation).where(Organisation.id == tenancy.stranger.enterprise_id).values(is_active=False)
        )
    acl = export_mosquitto_acl(database)
    assert f"user {tenancy.device.username}\n" in acl
    assert tenancy.neighbour.username not in acl and tenancy.stranger.username not in acl
    assert not load_registry(database).may(tenancy.stranger.username, "publish", tenancy.stranger.topic)


def test_database_auth_follows_credentials_and_deactivation(
    database: Database, tenancy: Tenancy, registry_devices: Devices
) -> None:
    now = [0.0]
    auth = DatabaseBrokerAuth(database, service_password=SERVICE_PASSWORD, max_age_s=5.0, clock=lambda: now[0])
    assert auth.verify(tenancy.device.username, tenancy.device.token)
    assert auth.may(tenancy.device.username, "publish", tenancy.device.topic)
    assert not auth.may(tenancy.device.username, "publish", tenancy.neighbour.topic)
    assert auth.verify(SERVICE_USERNAME, SERVICE_PASSWORD) and not auth.verify(SERVICE_USERNAME, "guess")
    # A new credential works at once and the old one stops at once: verify reads the device's row.
    with database.session() as session:
        device_id = session.scalar(select(Device.id).where(Device.code == "L1-RB-01"))
    assert device_id is not None
    renewed = registry_devices.issue(device_id)
    assert auth.verify(renewed.username, renewed.token)
    assert not auth.verify(renewed.username, tenancy.neighbour.token)
    # Disabling a device takes effect on open connections when the snapshot is next read.
    with database.session() as session, session.begin():
        session.execute(update(Device).where(Device.id == device_id).values(is_active=False))
    assert auth.may(renewed.username, "publish", renewed.topic)  # the snapshot is still fresh
    now[0] = 5.0
    assert not auth.may(renewed.username, "publish", renewed.topic)
    assert not auth.verify(renewed.username, renewed.token)
    assert not auth.verify("7/no-such-device", "zzd_x") and not auth.verify("not a username", "zzd_x")


# -- real brokers -------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    for _ in range(100):
        if process.poll() is not None:
            pytest.fail(f"mosquitto exited with {process.returncode}:\n{log.read_text()}")
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    pytest.fail(f"mosquitto did not listen on {port}:\n{log.read_text()}")


@asynccontextmanager
async def running_mosquitto(database: Database, tenancy: Tenancy, directory: Path) -> AsyncIterator[int]:
    """A Mosquitto process on a free port, set up as operations would: generated config, password file and ACL."""
    binary = mosquitto_binary()
    password_file, acl_file, persistence = directory / "passwd", directory / "acl", directory / "persistence"
    persistence.mkdir()
    passwords = ""
    for credential in (tenancy.device, tenancy.neighbour, tenancy.stranger):
        passwords = upsert_password_entry(passwords, mosquitto_password_line(credential.username, credential.token))
    passwords = upsert_password_entry(passwords, mosquitto_password_line(SERVICE_USERNAME, SERVICE_PASSWORD))
    write_broker_file(password_file, passwords)
    write_broker_file(acl_file, export_mosquitto_acl(database))
    port = free_port()
    config = mosquitto_config(port, password_file, acl_file, persistence, bind_address="127.0.0.1")
    if os.geteuid() == 0:
        config += "user root\n"  # as root, Mosquitto would switch to 'mosquitto', who cannot read pytest's tmp_path
    config_file = directory / "mosquitto.conf"
    config_file.write_text(config)
    log = directory / "mosquitto.log"
    with log.open("wb") as log_handle:
        process = subprocess.Popen([binary, "-c", str(config_file)], stdout=log_handle, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        await wait_for_port(port, process, log)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest_asyncio.fixture
async def mosquitto_port(database: Database, tenancy: Tenancy, tmp_path: Path) -> AsyncIterator[int]:
    async with running_mosquitto(database, tenancy, tmp_path) as port:
        yield port


@pytest_asyncio.fixture(params=["mosquitto", "amqtt"])
async def broker_port(
    request: pytest.FixtureRequest, database: Database, tenancy: Tenancy, tmp_path: Path
) -> AsyncIterator[int]:
    """A running broker, Mosquitto or the embedded one, that knows the tenancy's devices and the service account."""
    if request.param == "mosquitto":
        async with running_mosquitto(database, tenancy, tmp_path) as port:
            yield port
        return
    auth = DatabaseBrokerAuth(database, service_password=SERVICE_PASSWORD)
    async with EmbeddedBroker("127.0.0.1", 0, verify=auth.verify, may=auth.may) as embedded:
        yield embedded.port


def client(port: int, username: str | None, password: str | None, identifier: str) -> aiomqtt.Client:
    return aiomqtt.Client("127.0.0.1", port, username=username, password=password, identifier=identifier, timeout=10)


async def next_message(subscriber: aiomqtt.Client, seconds: float) -> aiomqtt.Message | None:
    try:
        async with asyncio.timeout(seconds):
            return await anext(subscriber.messages)
    except TimeoutError:
        return None


def reason(error: aiomqtt.MqttCodeError) -> int | None:
    return error.rc.value if isinstance(error.rc, ReasonCode) else error.rc


@sqlite_only
@pytest.mark.asyncio
async def test_device_publishes_to_its_topic_and_the_service_account_receives(
    broker_port: int, tenancy: Tenancy
) -> None:
    device = tenancy.device
    async with client(broker_port, SERVICE_USERNAME, SERVICE_PASSWORD, "ingest-1") as subscriber:
        await subscriber.subscribe("zhizao/v1/+/+/data", qos=1)
        async with client(broker_port, device.username, device.token, "device-1") as publisher:
            await publisher.publish(device.topic, b'{"spindle_speed_rpm": 1200}', qos=1)
        message = await next_message(subscriber, 5)
    assert message is not None
    assert (message.topic.value, message.payload) == (device.topic, b'{"spindle_speed_rpm": 1200}')


@sqlite_only
@pytest.mark.asyncio
async def test_publishing_to_another_devices_topic_is_dropped(broker_port: int, tenancy: Tenancy) -> None:
    device = tenancy.device
    forged = [
        tenancy.neighbour.topic,  # another device of the same enterprise
        tenancy.stranger.topic,  # another enterprise's device with the same code
        f"spBv1.0/{tenancy.stranger.enterprise_id}/NDATA/{tenancy.stranger.code}",
    ]
    async with client(broker_port, SERVICE_USERNAME, SERVICE_PASSWORD, "ingest-1") as subscriber:
        await subscriber.subscribe("zhizao/v1/+/+/data", qos=1)
        await subscriber.subscribe("spBv1.0/#", qos=1)
        async with client(broker_port, device.username, device.token, "device-1") as publisher:
            for topic in forged:
                await publisher.publish(topic, b"forged", qos=1)  # accepted on the wire, then dropped
            assert await next_message(subscriber, 1.0) is None
            # The connection is still usable: the broker dropped the messages, not the client.
            await publisher.publish(device.topic, b"genuine", qos=1)
            message = await next_message(subscriber, 5)
    assert message is not None and (message.topic.value, message.payload) == (device.topic, b"genuine")


@sqlite_only
@pytest.mark.asyncio
async def test_a_wrong_password_is_refused_at_connect(broker_port: int, tenancy: Tenancy) -> None:
    device = tenancy.device
    attempts = [
        (device.username, "zzd_not-the-token"),
        (device.username, tenancy.neighbour.token),  # a real token, of another device
        (device.username, ""),
        ("7/no-such-device", device.token),
        (SERVICE_USERNAME, "guess"),
        (None, None),  # anonymous
    ]
    for number, (username, password) in enumerate(attempts):
        with pytest.raises(MqttConnectError) as refused:
            async with client(broker_port, username, password, f"intruder-{number}"):
                pass
        assert reason(refused.value) == NOT_AUTHORISED, (username, password, refused.value)


@sqlite_only
@pytest.mark.asyncio
async def test_mosquitto_serves_the_shared_subscription_of_the_workers(mosquitto_port: int, tenancy: Tenancy) -> None:
    # Only Mosquitto: amqtt has no shared subscriptions.
    device = tenancy.device
    worker = aiomqtt.Client(
        "127.0.0.1",
        mosquitto_port,
        username=SERVICE_USERNAME,
        password=SERVICE_PASSWORD,
        identifier="ingest-shared",
        protocol=aiomqtt.ProtocolVersion.V5,
        timeout=10,
    )
    async with worker:
        await worker.subscribe("$share/zhizao/zhizao/v1/+/+/data", qos=1)
        async with client(mosquitto_port, device.username, device.token, "device-1") as publisher:
            await publisher.publish(tenancy.stranger.topic, b"forged", qos=1)
            await publisher.publish(device.topic, b"genuine", qos=1)
        message = await next_message(worker, 5)
    assert message is not None and (message.topic.value, message.payload) == (device.topic, b"genuine")


# -- the embedded broker's own behaviour -------------------------------------------------------------------------


@sqlite_only
@pytest.mark.asyncio
async def test_embedded_broker_refuses_a_will_on_a_foreign_topic_and_wide_subscriptions(
    database: Database, tenancy: Tenancy
) -> None:
    device = tenancy.device
    auth = DatabaseBrokerAuth(database, service_password=SERVICE_PASSWORD)
    async with EmbeddedBroker("127.0.0.1", 0, verify=auth.verify, may=auth.may) as broker:
        forged_will = aiomqtt.Will(tenancy.neighbour.topic, b"offline")
        with pytest.raises(MqttConnectError) as refused:
            async with aiomqtt.Client(
                "127.0.0.1", broker.port, username=device.username, password=device.token, will=forged_will
            ):
                pass
        assert reason(refused.value) == NOT_AUTHORISED
        own_will = aiomqtt.Will(f"spBv1.0/{device.enterprise_id}/NDEATH/{device.code}", b"offline")
        async with aiomqtt.Client(
            "127.0.0.1", broker.port, username=device.username, password=device.token, will=own_will
        ) as connected:
            granted = await connected.subscribe("zhizao/#", qos=1)
            assert [reason_code(code) for code in granted] == [0x80]
            granted = await connected.subscribe(f"spBv1.0/{device.enterprise_id}/NCMD/{device.code}", qos=1)
            assert [reason_code(code) for code in granted] == [1]
    assert not broker.running


def reason_code(code: int | ReasonCode) -> int:
    return code.value if isinstance(code, ReasonCode) else code


@pytest.mark.asyncio
async def test_embedded_demo_broker_admits_anonymous_clients_but_still_checks_named_ones() -> None:
    registry = BrokerRegistry.of([DeviceAccount(7, "L1-CNC-01", hashed("zzd_right"))])
    async with EmbeddedBroker("127.0.0.1", 0, verify=registry.verify, may=registry.may, allow_anonymous=True) as broker:
        assert broker.url == f"mqtt://127.0.0.1:{broker.port}"
        async with client(broker.port, None, None, "demo-worker") as subscriber:
            await subscriber.subscribe("#", qos=1)
            async with client(broker.port, None, None, "demo-simulator") as publisher:
                await publisher.publish("zhizao/v1/9/ANY/data", b"demo", qos=1)
            message = await next_message(subscriber, 5)
            assert message is not None and message.payload == b"demo"
        with pytest.raises(MqttConnectError):
            async with client(broker.port, "7/L1-CNC-01", "zzd_wrong", "named"):
                pass
    async with (
        EmbeddedBroker("127.0.0.1", 0, allow_anonymous=True) as open_broker,
        client(open_broker.port, "anyone", "anything", "open-named") as named,
    ):
        await named.publish("any/topic", b"ok", qos=1)
    with pytest.raises(ValueError, match="needs verify"):
        EmbeddedBroker()


def test_plugins_refuse_to_run_without_a_policy() -> None:
    context = SimpleNamespace(config=TokenAuthPlugin.Config(), logger=logging.getLogger(__name__))
    with pytest.raises(TypeError, match="BrokerPolicy"):
        TokenAuthPlugin(context)
