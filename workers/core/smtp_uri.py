"""Read `COURIER_SMTP_CONNECTION_URI` exactly as Kratos's courier does (`courier/smtp.go`, ory/mail v3).

- `smtps://` is implicit TLS; `smtp://` is STARTTLS, enforced unless `?disable_starttls=true`.
- `?skip_ssl_verify=` and `?server_name=` shape certificate verification; booleans are read with Go's
  `strconv.ParseBool`, and a value it cannot read counts as false, because Kratos ignores the error.
- userinfo is the credentials, percent-decoded.
- With `disable_starttls=true` Kratos still upgrades when the relay offers STARTTLS (ory/mail's
  opportunistic default), and then verifies the certificate against the host, ignoring
  `skip_ssl_verify` and `server_name`: see `SmtpRelay.tls_server_name` and `verify_certificate`.
- A URI without a port: Kratos dials port 0 and every send fails. We probe the conventional port
  (465 for smtps, 587 for smtp) so the report can say whether adding it would work, and keep
  `port_in_uri=False` so the check can say what Kratos will do.
- `?local_name=` (the EHLO name, default `localhost`) is a mailcheck extension: Kratos reads it from
  `courier.smtp.local_name`, not from the URI, and ignores unknown query parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import SplitResult, parse_qsl, unquote, urlsplit

from pydantic import SecretStr

Mode = Literal["implicit_tls", "starttls", "plain"]

DEFAULT_PORTS = {"smtps": 465, "smtp": 587}
DEFAULT_LOCAL_NAME = "localhost"  # Kratos's default for courier.smtp.local_name

# Go's strconv.ParseBool, the parser Kratos uses for the query flags.
_GO_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})

_ENCODE_HINT = "URL-encode reserved characters (/ ? # @ :) in the user name and password"


@dataclass(frozen=True)
class SmtpRelay:
    host: str
    port: int
    implicit_tls: bool
    starttls: bool
    skip_ssl_verify: bool
    server_name: str | None
    username: str | None = field(repr=False)  # some providers put their API token here
    password: SecretStr | None = field(repr=False)
    local_name: str = DEFAULT_LOCAL_NAME
    port_in_uri: bool = True

    @property
    def mode(self) -> Mode:
        if self.implicit_tls:
            return "implicit_tls"
        return "starttls" if self.starttls else "plain"

    @property
    def tls_server_name(self) -> str:
        """The name the certificate must match (and the SNI sent)."""
        if self.mode == "plain":
            return self.host  # ory/mail's fallback TLS config: ServerName = host
        return self.server_name or self.host

    @property
    def verify_certificate(self) -> bool:
        # In plain mode Kratos builds no TLS config of its own, so an offered STARTTLS is verified.
        return self.mode == "plain" or not self.skip_ssl_verify

    def describe(self) -> dict[str, Any]:
        """JSON-able facts for the report; never the credentials."""
        return {
            "host": self.host,
            "port": self.port,
            "mode": self.mode,
            "skip_ssl_verify": self.skip_ssl_verify,
            "server_name": self.server_name,
            "verify_certificate": self.verify_certificate,
            "local_name": self.local_name,
            "port_in_uri": self.port_in_uri,
            "authenticates": self.username is not None,
        }


def parse_smtp_uri(uri: str) -> SmtpRelay:
    """Parse a Kratos SMTP connection URI; ValueError (never echoing the credentials) when unusable."""
    parts = urlsplit(uri.strip())
    if parts.scheme not in DEFAULT_PORTS:
        raise ValueError("the SMTP URI must start with smtp:// or smtps://")
    host = parts.hostname
    if not host:
        raise ValueError(f"the SMTP URI has no host; {_ENCODE_HINT}")
    port = _port(parts)
    query = _first_values(parts.query)
    implicit_tls = parts.scheme == "smtps"
    return SmtpRelay(
        host=host,
        port=port if port is not None else DEFAULT_PORTS[parts.scheme],
        implicit_tls=implicit_tls,
        # disable_starttls is only read for smtp:// (Kratos's switch on the scheme)
        starttls=not implicit_tls and not _go_bool(query.get("disable_starttls")),
        skip_ssl_verify=_go_bool(query.get("skip_ssl_verify")),
        server_name=query.get("server_name") or None,
        username=unquote(parts.username) if parts.username else None,
        password=SecretStr(unquote(parts.password)) if parts.password is not None else None,
        local_name=_local_name(query.get("local_name")),
        port_in_uri=port is not None,
    )


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        # The message Python gives quotes the text after the colon, which may be a mis-split password.
        raise ValueError(f"the SMTP URI's port is not a number from 1 to 65535; {_ENCODE_HINT}") from None
    if port == 0:
        raise ValueError("the SMTP URI's port is 0; Kratos cannot connect to it")
    return port


def _first_values(query: str) -> dict[str, str]:
    """Go's `url.Values.Get` answers with the first value of a repeated key."""
    values: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        values.setdefault(key, value)
    return values


def _go_bool(value: str | None) -> bool:
    return value in _GO_TRUE


def _local_name(value: str | None) -> str:
    name = (value or DEFAULT_LOCAL_NAME).strip()
    if not name or any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in name):
        raise ValueError("the SMTP URI's local_name must be a host name without spaces")
    return name
