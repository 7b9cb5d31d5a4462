"""Application instance certificates for OPC UA secure channels: made by the platform, shown to its users.

OPC UA (Part 6 §6.2.2) identifies each application by an X.509 certificate whose subjectAltName carries the
application's URI (and usually its host name); servers refuse a Basic256Sha256 client whose certificate lacks the
URI the client announces in CreateSession. The platform makes one key pair and self-signed certificate per
connector so that an operator never has to run OpenSSL: the certificate is then copied to the server's trust list,
the private key never leaves the platform (it is stored as a secret in the connector's settings).

Everything here is pure (no network): PEM strings in, PEM strings or facts out.
"""

from __future__ import annotations

import hashlib
import socket
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DEFAULT_KEY_BITS = 2048  # Basic256Sha256 allows 2048–4096-bit RSA keys
DEFAULT_VALIDITY_DAYS = 5 * 365
APPLICATION_URI_PREFIX = "urn:zhizao:opcua:client:"


class CertificateError(ValueError):
    """A PEM text that is not a certificate or private key, or a certificate without what OPC UA needs."""


@dataclass(frozen=True, slots=True)
class KeyPair:
    """A certificate and its private key, both PEM (the key unencrypted PKCS#8: it is stored as a secret)."""

    certificate_pem: str
    private_key_pem: str
    application_uri: str


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """What a user needs to recognise a certificate: its fingerprints as OPC UA tools show them (SHA-1, the
    "thumbprint" of Part 4 §7.40) and SHA-256, its subject, validity and application URI."""

    thumbprint_sha1: str
    fingerprint_sha256: str
    subject: str
    issuer: str
    not_before: datetime
    not_after: datetime
    application_uri: str | None
    dns_names: tuple[str, ...]

    def expired(self, at: datetime) -> bool:
        return not self.not_before <= at <= self.not_after


def generate_client_certificate(
    *,
    application_uri: str | None = None,
    common_name: str = "zhizao OPC UA client",
    organisation: str = "zhizao",
    host_name: str | None = None,
    validity_days: int = DEFAULT_VALIDITY_DAYS,
    key_bits: int = DEFAULT_KEY_BITS,
    now: datetime | None = None,
) -> KeyPair:
    """A new RSA key and a self-signed application instance certificate for it.

    ``application_uri`` defaults to a fresh ``urn:zhizao:opcua:client:<uuid>`` so that two connectors never share
    an identity. The certificate carries the key usages Part 6 §6.2.2 asks of an application certificate (digital
    signature, non-repudiation, key and data encipherment, certificate signing for a self-signed one) and both
    client and server authentication, so the simulator can use the same function for its server certificate."""
    if not 1 <= validity_days <= 20 * 365:
        raise CertificateError("validity_days must be 1 to 7300")
    if key_bits not in (2048, 3072, 4096):
        raise CertificateError("key_bits must be 2048, 3072 or 4096 (Basic256Sha256)")
    uri = application_uri or f"{APPLICATION_URI_PREFIX}{uuid.uuid4()}"
    host = host_name or socket.gethostname()
    issued = (now or datetime.now(UTC)) - timedelta(minutes=5)  # tolerate a server clock a little behind ours
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_bits)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(issued)
        .not_valid_after(issued + timedelta(days=validity_days))
        .add_extension(
            x509.SubjectAlternativeName([x509.UniformResourceIdentifier(uri), x509.DNSName(host)]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=True,
                data_encipherment=True,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return KeyPair(
        certificate_pem=certificate.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode("ascii"),
        application_uri=uri,
    )


def load_certificate(pem: str) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError) as exc:
        raise CertificateError("not a PEM certificate (-----BEGIN CERTIFICATE----- …)") from exc


def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """The RSA key of a PEM text; the message never quotes the text (it is a secret)."""
    try:
        key = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError) as exc:
        raise CertificateError("not an unencrypted PEM private key (-----BEGIN PRIVATE KEY----- …)") from exc
    if not isinstance(key, rsa.RSAPrivateKey):
        raise CertificateError("Basic256Sha256 needs an RSA private key")
    return key


def certificate_der(pem: str) -> bytes:
    return load_certificate(pem).public_bytes(serialization.Encoding.DER)


def thumbprint(der: bytes) -> str:
    """The SHA-1 thumbprint of a DER certificate as hex, as OPC UA trust lists and UA Expert show it."""
    return hashlib.sha1(der, usedforsecurity=False).hexdigest().upper()


def application_uri_of(certificate: x509.Certificate) -> str | None:
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None
    uris = san.get_values_for_type(x509.UniformResourceIdentifier)
    return uris[0] if uris else None


def describe_certificate(pem: str) -> CertificateInfo:
    certificate = load_certificate(pem)
    der = certificate.public_bytes(serialization.Encoding.DER)
    try:
        san = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        dns_names = tuple(san.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        dns_names = ()
    return CertificateInfo(
        thumbprint_sha1=thumbprint(der),
        fingerprint_sha256=hashlib.sha256(der).hexdigest().upper(),
        subject=certificate.subject.rfc4514_string(),
        issuer=certificate.issuer.rfc4514_string(),
        not_before=certificate.not_valid_before_utc,
        not_after=certificate.not_valid_after_utc,
        application_uri=application_uri_of(certificate),
        dns_names=dns_names,
    )


def key_matches_certificate(certificate_pem: str, private_key_pem: str) -> bool:
    """Whether the key is the certificate's own: a pasted key of another certificate fails every handshake with
    an obscure error, so settings check it up front."""
    public = load_certificate(certificate_pem).public_key()
    if not isinstance(public, rsa.RSAPublicKey):
        return False
    return public.public_numbers() == load_private_key(private_key_pem).public_key().public_numbers()
