"""Throwaway TLS material for broker tests: a CA, a server certificate and a client one.

Generated at test time with the ``cryptography`` package (nothing is committed); short
validity, 2048-bit RSA, the server certificate valid for 127.0.0.1 and localhost.
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class TlsFiles:
    """PEM files of one test PKI."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _write_key(key: rsa.RSAPrivateKey, path: Path) -> Path:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    path.chmod(0o600)
    return path


def _cert(
    subject: str,
    key: rsa.RSAPrivateKey,
    issuer: tuple[x509.Name, rsa.RSAPrivateKey] | None,
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    """Sign a certificate for ``key`` (self-signed when ``issuer`` is None)."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
    issuer_name, issuer_key = issuer or (name, key)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )
    for extension, critical in extensions:
        builder = builder.add_extension(extension, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(folder: Path, ca_name: str = "edgebench test CA") -> TlsFiles:
    """Write a CA, a server certificate for 127.0.0.1 and a client certificate into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_key = _key()
    ca = _cert(ca_name, ca_key, None, [(x509.BasicConstraints(ca=True, path_length=0), True)])
    leaf = [(x509.BasicConstraints(ca=False, path_length=None), True)]
    server_key = _key()
    server = _cert(
        "127.0.0.1",
        server_key,
        (ca.subject, ca_key),
        [
            *leaf,
            (
                x509.SubjectAlternativeName(
                    [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
                ),
                False,
            ),
            (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False),
        ],
    )
    client_key = _key()
    client = _cert(
        "bench-dev-1",
        client_key,
        (ca.subject, ca_key),
        [*leaf, (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), False)],
    )
    pem = serialization.Encoding.PEM
    (folder / "ca.crt").write_bytes(ca.public_bytes(pem))
    (folder / "server.crt").write_bytes(server.public_bytes(pem))
    (folder / "client.crt").write_bytes(client.public_bytes(pem))
    return TlsFiles(
        ca=folder / "ca.crt",
        server_cert=folder / "server.crt",
        server_key=_write_key(server_key, folder / "server.key"),
        client_cert=folder / "client.crt",
        client_key=_write_key(client_key, folder / "client.key"),
    )
