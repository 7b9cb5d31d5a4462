"""Basic256Sha256 with the platform's certificates and a user, and the failures a user must understand."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio

from tests.connectors.opcua.support import Sink, context, until
from zhizao.bench.infra import free_port
from zhizao.connectors.opcua import certificates
from zhizao.connectors.opcua.driver import DRIVER
from zhizao.connectors.opcua.settings import OpcUaSettings
from zhizao.simulator.opcua_server import OpcUaMachineServer, ServerSecurity, bulk_settings_for

SERVER_KEYS = certificates.generate_client_certificate(
    application_uri="urn:zhizao:simulator:server", common_name="zhizao simulator"
)
CLIENT_KEYS = certificates.generate_client_certificate()
USERS = {"operator": "s3cret-pw"}


@pytest_asyncio.fixture
async def secure_server() -> AsyncIterator[OpcUaMachineServer]:
    security = ServerSecurity(SERVER_KEYS.certificate_pem, SERVER_KEYS.private_key_pem)
    async with OpcUaMachineServer(port=free_port(), bulk_nodes=10, security=security, users=USERS) as server:
        yield server


def _secure(url: str, **changes: Any) -> OpcUaSettings:
    fields: dict[str, Any] = {
        "security_policy": "Basic256Sha256",
        "security_mode": "SignAndEncrypt",
        "auth": "username",
        "username": "operator",
        "password": "s3cret-pw",
        "client_certificate": CLIENT_KEYS.certificate_pem,
        "client_private_key": CLIENT_KEYS.private_key_pem,
        "trusted_server_certificate": SERVER_KEYS.certificate_pem,
        "publishing_interval_ms": 200,
    }
    return bulk_settings_for(url, 10, **(fields | changes))


@pytest.mark.asyncio
async def test_sign_and_encrypt_with_platform_certificates_and_a_user(secure_server: OpcUaMachineServer) -> None:
    settings = _secure(secure_server.url)
    result = await DRIVER.probe(settings, 10)
    assert result.ok, result.message
    assert result.bad_points == []
    assert "Basic256Sha256 SignAndEncrypt" in result.details[0]
    sink = Sink()
    ctx = context(sink)
    task = asyncio.create_task(DRIVER.run(settings, ctx))
    try:
        await until(lambda: len(sink.signals()) == 10, 15, "values over the encrypted channel")
    finally:
        ctx.stop.set()
        await asyncio.wait_for(task, 10)
    assert (await DRIVER.probe(_secure(secure_server.url, security_mode="Sign"), 10)).ok


@pytest.mark.asyncio
async def test_a_wrong_password_is_named(secure_server: OpcUaMachineServer) -> None:
    result = await DRIVER.probe(_secure(secure_server.url, password="wrong"), 10)
    assert not result.ok
    assert result.message == "the server refused the user name or password"
    anonymous = await DRIVER.probe(_secure(secure_server.url, auth="anonymous", username=None, password=None), 10)
    assert not anonymous.ok and "anonymous" in anonymous.message


@pytest.mark.asyncio
async def test_a_server_with_another_certificate_is_refused(secure_server: OpcUaMachineServer) -> None:
    impostor = certificates.generate_client_certificate(application_uri="urn:impostor")
    result = await DRIVER.probe(_secure(secure_server.url, trusted_server_certificate=impostor.certificate_pem), 10)
    assert not result.ok
    assert result.message.startswith("server certificate does not match the trusted one")
    assert certificates.describe_certificate(impostor.certificate_pem).thumbprint_sha1 in result.message
    assert "s3cret" not in result.message


@pytest.mark.asyncio
async def test_an_unreachable_endpoint_fails_quickly() -> None:
    url = f"opc.tcp://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = await DRIVER.probe(bulk_settings_for(url, 1), 5)
    assert not result.ok
    assert result.message == f"could not reach {url}: connection refused"
    assert time.monotonic() - started < 2
