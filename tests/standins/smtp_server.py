"""Real SMTP servers on 127.0.0.1 for tests: aiosmtpd with STARTTLS or implicit TLS and AUTH, plus a
server that accepts connections and never speaks, and a test certificate authority.

    pki = make_pki(tmp_path)
    with SmtpStandin(pki, mode="starttls") as relay:
        relay.uri(password="wrong")   # smtp://relay-user:wrong@127.0.0.1:PORT/
        relay.handler.commands        # ["STARTTLS", "AUTH PLAIN", "MAIL FROM:<…>", …, "QUIT"]

Everything binds port 0 and stops (threads joined) when its `with` block ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import ipaddress
import socket
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote, urlencode

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

HOST = "127.0.0.1"
RELAY_NAME = "relay.test"  # the name in the test certificate, besides 127.0.0.1 and localhost

# -- certificates ----------------------------------------------------------------------------------

_CA_KEY_USAGE = x509.KeyUsage(
    digital_signature=False,
    content_commitment=False,
    key_encipherment=False,
    data_encipherment=False,
    key_agreement=False,
    key_cert_sign=True,
    crl_sign=True,
    encipher_only=False,
    decipher_only=False,
)


@dataclass(frozen=True)
class Pki:
    ca_file: Path  # trust this to verify `cert_file`
    cert_file: Path
    key_file: Path


def make_pki(directory: Path, names: tuple[str, ...] = (RELAY_NAME, "localhost", HOST)) -> Pki:
    """A throwaway CA and a server certificate it signed for `names` (DNS names or IP addresses)."""
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mailcheck test CA")])
    ca_cert = (
        _builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_CA_KEY_USAGE, critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        _builder(
            x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]), ca_name, key.public_key(), now
        )
        .add_extension(x509.SubjectAlternativeName([_general_name(name) for name in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    pki.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return pki


def _builder(subject: x509.Name, issuer: x509.Name, public_key: Any, now: datetime.datetime) -> Any:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def server_context(pki: Pki) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    return context


# -- aiosmtpd relay --------------------------------------------------------------------------------


@dataclass
class RecordingHandler:
    """Records the commands that reach the handler; replies as configured."""

    username: str = "relay-user"
    password: str = "relay-secret"
    mail_reply: str = "250 OK"
    rcpt_reply: str = "250 OK"
    auth_failure_reply: str | None = None  # None: aiosmtpd's "535 5.7.8 Authentication credentials invalid"
    commands: list[str] = field(default_factory=list)
    tls_at_mail: list[bool] = field(default_factory=list)

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        self.commands.append(f"AUTH {mechanism}")
        good = isinstance(data, LoginPassword) and data == LoginPassword(
            self.username.encode(), self.password.encode()
        )
        if good:
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False, message=self.auth_failure_reply)

    def handle_STARTTLS(self, server: Any, session: Any, envelope: Any) -> bool:
        self.commands.append("STARTTLS")
        return True

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.commands.append(f"MAIL FROM:<{address}>")
        self.tls_at_mail.append(session.ssl is not None)
        if self.mail_reply.startswith("250"):
            envelope.mail_from = address
            envelope.mail_options.extend(options)
        return self.mail_reply

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        self.commands.append(f"RCPT TO:<{address}>")
        if self.rcpt_reply.startswith("250"):
            envelope.rcpt_tos.append(address)
        return self.rcpt_reply

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> str:
        self.commands.append("RSET")
        return "250 OK"

    async def handle_QUIT(self, server: Any, session: Any, envelope: Any) -> str:
        self.commands.append("QUIT")
        return "221 Bye"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.commands.append("DATA")
        return "250 OK"


class _AnyPortController(Controller):
    """aiosmtpd's Controller pokes host:port once started; with port 0 it must learn the real port first."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


Mode = Literal["starttls", "implicit", "plain"]


class SmtpStandin:
    """aiosmtpd on 127.0.0.1:0. `starttls`: STARTTLS offered, AUTH only after it; `implicit`: TLS from
    the first byte; `plain`: no TLS at all. AUTH (PLAIN, LOGIN) is required before MAIL in every mode."""

    def __init__(
        self, pki: Pki, *, mode: Mode = "starttls", handler: RecordingHandler | None = None, **smtp: Any
    ):
        self.mode = mode
        self.handler = handler or RecordingHandler()
        tls = server_context(pki)
        options: dict[str, Any] = {
            "authenticator": self.handler.authenticate,
            "auth_required": True,
            # aiosmtpd only counts STARTTLS as encryption; implicit TLS and plain must allow AUTH as is.
            "auth_require_tls": mode == "starttls",
            "server_hostname": RELAY_NAME,
            "ready_timeout": 5.0,
        }
        if mode == "starttls":
            options["tls_context"] = tls
        elif mode == "implicit":
            options["ssl_context"] = tls
        self._controller = _AnyPortController(self.handler, hostname=HOST, port=0, **(options | smtp))

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def uri(
        self,
        *,
        host: str = HOST,
        user: str | None = None,
        password: str | None = None,
        scheme: str | None = None,
        **query: str,
    ) -> str:
        """A Kratos connection URI for this server (credentials percent-encoded, as Kratos expects);
        `user=""` leaves the credentials out; `scheme` overrides the one that fits the mode."""
        scheme = scheme or ("smtps" if self.mode == "implicit" else "smtp")
        if self.mode == "plain":
            query.setdefault("disable_starttls", "true")
        user = self.handler.username if user is None else user
        password = self.handler.password if password is None else password
        userinfo = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
        suffix = f"?{urlencode(query)}" if query else ""
        return f"{scheme}://{userinfo}{host}:{self.port}/{suffix}"

    def __enter__(self) -> SmtpStandin:
        self._controller.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._controller.stop()


# -- a relay that never speaks, and a port nobody listens on ------------------------------------------


class SilentServer:
    """Accepts connections and never sends a byte; with `tls`, completes the TLS handshake first.

    With `hold`, the server waits for the client's ClientHello, sets `hello_seen`, and completes the
    handshake only once `hold` is set: the test decides when the client's handshake finishes."""

    def __init__(self, tls: ssl.SSLContext | None = None, *, hold: threading.Event | None = None) -> None:
        self._tls = tls
        self._hold = hold
        self.hello_seen = threading.Event()
        self._listener = socket.create_server((HOST, 0))
        self._listener.settimeout(0.05)
        self.port: int = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._held: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            self._held.append(conn)
            if self._tls is not None:
                conn.settimeout(2.0)
                with contextlib.suppress(OSError):  # the client gave up first: nothing to hold
                    self._wait_for_release(conn)
                    self._held.append(self._tls.wrap_socket(conn, server_side=True))

    def _wait_for_release(self, conn: socket.socket) -> None:
        if self._hold is None:
            return
        conn.settimeout(10.0)
        conn.recv(1, socket.MSG_PEEK)  # the ClientHello has arrived: the client is mid-handshake
        self.hello_seen.set()
        self._hold.wait(10.0)
        conn.settimeout(2.0)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        for conn in self._held:
            conn.close()
        self._listener.close()


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
