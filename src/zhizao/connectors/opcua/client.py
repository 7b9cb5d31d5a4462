"""Opening an asyncua client as a connector's settings say, and telling a user in plain words why it failed.

Security is set up the way OPC UA clients do it (Part 4 §5.4): first ``GetEndpoints`` over an unsecured channel,
which every server answers, to find the endpoint of the configured policy and mode and the certificate the server
presents there; then the secure channel, encrypted to that certificate. When the settings name a trusted server
certificate, the one presented must be it (compared by SHA-1 thumbprint) — otherwise the connection is refused
before a password is sent, with both thumbprints in the message. Without one, the certificate the server presents
is accepted (the operator compares the thumbprint test connection shows with the server's).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit, urlunsplit

from asyncua import ua
from asyncua.client.client import Client
from asyncua.crypto import security_policies, uacrypto
from asyncua.ua.status_codes import StatusCodes
from asyncua.ua.uaerrors import UaError, UaStatusCodeError

from zhizao.connectors.opcua import certificates
from zhizao.connectors.opcua.settings import DEFAULT_PORT, AuthMode, OpcUaSettings, SecurityMode, SecurityPolicy

SESSION_TIMEOUT_MS = 60_000  # the server drops our session (and its subscription) a minute after we vanish
DISCONNECT_TIMEOUT_S = 2.0

_MODES = {
    SecurityMode.SIGN: ua.MessageSecurityMode.Sign,
    SecurityMode.SIGN_AND_ENCRYPT: ua.MessageSecurityMode.SignAndEncrypt,
}
_CREDENTIALS_REFUSED = {
    StatusCodes.BadUserAccessDenied,
    StatusCodes.BadIdentityTokenInvalid,
    StatusCodes.BadIdentityTokenRejected,
}
_CERTIFICATE_REFUSED = {
    StatusCodes.BadSecurityChecksFailed,
    StatusCodes.BadCertificateUntrusted,
    StatusCodes.BadCertificateInvalid,
    StatusCodes.BadCertificateUriInvalid,
    StatusCodes.BadCertificateTimeInvalid,
    StatusCodes.BadCertificateRevoked,
    StatusCodes.BadSecurityPolicyRejected,
}


class OpcUaFailure(Exception):
    """A failure to connect or talk, already in words for the user (no secrets, no stack)."""


def endpoint_with_port(url: str) -> str:
    """``opc.tcp://host/path`` → ``opc.tcp://host:4840/path`` (asyncua needs the port spelt out)."""
    parts = urlsplit(url)
    if parts.port is not None:
        return url
    return urlunsplit(parts._replace(netloc=f"{parts.netloc}:{DEFAULT_PORT}"))


def describe(error: BaseException, settings: OpcUaSettings, timeout_s: float) -> str:
    """What went wrong, for the status board and test connection."""
    label = settings.endpoint_label()
    if isinstance(error, OpcUaFailure):
        return str(error)
    if isinstance(error, ConnectionRefusedError):
        return f"could not reach {label}: connection refused"
    if isinstance(error, socket.gaierror):
        return f"could not reach {label}: unknown host"
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return f"could not reach {label}: no answer within {timeout_s:g} s"
    if isinstance(error, UaStatusCodeError):
        code = error.code
        if code in _CREDENTIALS_REFUSED:
            if settings.auth is AuthMode.USERNAME:
                return "the server refused the user name or password"
            return "the server refused anonymous access: configure a user name and password"
        if code in _CERTIFICATE_REFUSED:
            return (
                f"the server refused the client certificate ({ua.StatusCode(code).name}): add it to the server's "
                "trusted certificates"
            )
        return f"{label} answered {ua.StatusCode(code).name}"
    if isinstance(error, ConnectionError | OSError):
        return f"lost the connection to {label}: {error or type(error).__name__}"
    return f"{label}: {type(error).__name__}: {error}"


def _endpoint(
    endpoints: list[ua.EndpointDescription], policy_uri: str, mode: ua.MessageSecurityMode
) -> ua.EndpointDescription:
    for endpoint in endpoints:
        if endpoint.SecurityPolicyUri == policy_uri and endpoint.SecurityMode == mode:
            return endpoint
    offered = sorted({f"{e.SecurityPolicyUri.rsplit('#', 1)[-1]} {e.SecurityMode.name.rstrip('_')}" for e in endpoints})
    raise OpcUaFailure(f"the server offers no such endpoint (it offers: {', '.join(offered) or 'none'})")


def _check_trusted(settings: OpcUaSettings, presented: bytes) -> None:
    if settings.trusted_server_certificate is None:
        return
    trusted = certificates.thumbprint(certificates.certificate_der(settings.trusted_server_certificate))
    seen = certificates.thumbprint(presented) if presented else "none"
    if seen != trusted:
        raise OpcUaFailure(
            f"server certificate does not match the trusted one: the server presents {seen}, trusted is {trusted}"
        )


async def _secure(client: Client, settings: OpcUaSettings) -> None:
    mode = _MODES[settings.security_mode]
    policy_uri = security_policies.SecurityPolicyBasic256Sha256.URI
    endpoints = await client.connect_and_get_server_endpoints()
    if settings.security_policy is SecurityPolicy.NONE:
        if settings.trusted_server_certificate is not None:
            presented = next((e.ServerCertificate for e in endpoints if e.ServerCertificate), b"")
            _check_trusted(settings, presented)
        return
    endpoint = _endpoint(endpoints, policy_uri, mode)
    presented = endpoint.ServerCertificate or b""
    _check_trusted(settings, presented)
    if not presented:
        raise OpcUaFailure("the server presents no certificate for its secured endpoint")
    assert settings.client_certificate is not None and settings.client_private_key is not None  # settings check it
    uri = certificates.application_uri_of(certificates.load_certificate(settings.client_certificate))
    if uri is not None:
        client.application_uri = uri  # CreateSession must announce the URI the certificate carries
    await client.set_security(
        security_policies.SecurityPolicyBasic256Sha256,
        uacrypto.CertProperties(settings.client_certificate.encode("ascii"), "pem"),
        uacrypto.CertProperties(settings.client_private_key.get_secret_value().encode("ascii"), "pem"),
        server_certificate=uacrypto.CertProperties(presented, "der"),
        mode=mode,
    )


def make_client(settings: OpcUaSettings, timeout_s: float) -> Client:
    client = Client(
        endpoint_with_port(settings.endpoint_url),
        timeout=timeout_s,
        watchdog_intervall=settings.watchdog_interval_s,
        auto_reconnect=False,  # the connector reconnects itself: its own backoff, status and resubscription
    )
    client.name = client.description = "zhizao OPC UA connector"
    client.session_timeout = SESSION_TIMEOUT_MS
    if settings.auth is AuthMode.USERNAME and settings.username is not None and settings.password is not None:
        client.set_user(settings.username)
        client.set_password(settings.password.get_secret_value())
    return client


async def connect(settings: OpcUaSettings, timeout_s: float) -> Client:
    """A connected client (session activated), or ``OpcUaFailure`` saying why not, within ``timeout_s``."""
    client = make_client(settings, timeout_s)
    try:
        async with asyncio.timeout(timeout_s):
            await _secure(client, settings)
            await client.connect()
    except BaseException as exc:
        await close(client)
        if isinstance(exc, asyncio.CancelledError):
            raise
        raise OpcUaFailure(describe(exc, settings, timeout_s)) from exc
    return client


async def close(client: Client) -> None:
    """Disconnect without waiting long for a server that is gone, and without raising."""
    with contextlib.suppress(Exception):
        async with asyncio.timeout(DISCONNECT_TIMEOUT_S):
            await client.disconnect()
    with contextlib.suppress(Exception):
        client.disconnect_socket()


@contextlib.asynccontextmanager
async def connected(settings: OpcUaSettings, timeout_s: float) -> AsyncIterator[Client]:
    client = await connect(settings, timeout_s)
    try:
        yield client
    finally:
        await close(client)


def is_connection_error(error: BaseException) -> bool:
    """Whether a failure means the connection is gone (reconnect), not that one request was refused."""
    if isinstance(error, UaStatusCodeError):
        return error.code in (
            StatusCodes.BadConnectionClosed,
            StatusCodes.BadSessionIdInvalid,
            StatusCodes.BadSessionClosed,
            StatusCodes.BadSecureChannelClosed,
            StatusCodes.BadServerNotConnected,
            StatusCodes.BadShutdown,
        )
    return isinstance(error, ConnectionError | OSError | TimeoutError | asyncio.TimeoutError | UaError)
