"""The bot and the worker connect only to configured hosts: a recipient's domain is only ever a DNS
name to query (SPEC §5), even when its MX points at this machine where a listener waits.

Every outgoing connection, datagram and name lookup of the bot, the worker and its work-horses is
recorded by a Python audit hook (`egress_audit/sitecustomize.py`) and compared with the settings.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest

from tests.e2e.faults.stack import FaultStack
from tests.e2e.helpers import payload
from tests.processes import ROOT
from tests.standins.providers import ResendStandIn
from tests.standins.smtp_server import SmtpStandin, make_pki

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")

MakeStack = Callable[..., FaultStack]
AUDIT_DIR = Path(__file__).parent / "egress_audit"
RESEND_KEY = "re_test_egress_key"
# Recipient domains that point their mail at this machine: by MX host, by an MX target spelled like
# an address, and by the A fallback of a domain without MX.
HOSTILE_ZONES = {
    "loop.example.net": {"MX": ["10 mx.loop.example.net."]},
    "mx.loop.example.net": {"A": ["127.0.0.1"]},
    "literal.example.net": {"MX": ["10 127.0.0.1."]},
    "bare.example.net": {"A": ["127.0.0.1"]},
}


class Listener:
    """A TCP port on 127.0.0.1 that counts who connects."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.05)
        self.port = self._sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            self.accepted += 1
            conn.close()

    def __enter__(self) -> Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sock.close()


@pytest.fixture
def listener() -> Iterator[Listener]:
    with Listener() as waiting:
        yield waiting


def _records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_recipient_domains_are_only_ever_dns_names(
    make_stack: MakeStack, listener: Listener, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    audit = tmp_path / "egress.jsonl"
    with (
        SmtpStandin(make_pki(tmp_path_factory.mktemp("pki")), mode="plain") as relay,
        ResendStandIn(RESEND_KEY) as resend,
    ):
        user, password = quote(relay.handler.username), quote(relay.handler.password)
        stack = make_stack(
            env_extra={"PYTHONPATH": f"{AUDIT_DIR}:{ROOT}", "EGRESS_AUDIT_LOG": str(audit)},
            COURIER_SMTP_CONNECTION_URI=f"smtp://{user}:{password}@127.0.0.1:{relay.port}/?disable_starttls=true",
            COURIER_SMTP_FROM_ADDRESS="noreply@example.com",
            MAIL_PROVIDER="resend",
            MAIL_PROVIDER_API_KEY=RESEND_KEY,
            MAIL_PROVIDER_API_URL=resend.url,
        )
        for name, by_type in HOSTILE_ZONES.items():
            for rdtype, values in by_type.items():
                stack.dns.add(name, rdtype, *values)
        stack.add_worker()
        emails = [
            f"user@{domain}" for domain in ("loop.example.net", "literal.example.net", "bare.example.net")
        ]
        for email in emails:
            stack.kratos.add_identity(email)
            stack.command(email)
        finals = [payload(stack.wait_state(email, "complete")) for email in emails]
        allowed = {
            ("127.0.0.1", port)
            for port in (stack.redis.port, stack.slack.port, relay.port, urlsplit(resend.url).port)
        } | {("127.0.0.1", urlsplit(stack.env["KRATOS_ADMIN_URL"]).port), ("127.0.0.1", stack.dns.port)}

    assert [final["checks"]["recipient"] for final in finals] == ["ok", "ok", "ok"]
    asked = {name for name, _ in stack.dns.queries}
    assert {"loop.example.net", "literal.example.net", "bare.example.net"} <= asked
    records = _records(audit)
    assert len({r["pid"] for r in records}) >= 3  # the bot, the worker and at least one work-horse
    sent = [r["target"] for r in records if r["event"] != "socket.getaddrinfo"]
    contacted = {(str(t[0]), int(t[1])) for t in sent if isinstance(t, list)}
    lookups = {str(r["target"][0]) for r in records if r["event"] == "socket.getaddrinfo"}
    assert contacted <= allowed, contacted - allowed
    # The hook sees what the checks do: the relay probe's connection and the DNS datagrams.
    assert {("127.0.0.1", relay.port), ("127.0.0.1", stack.dns.port)} <= contacted
    assert lookups <= {"127.0.0.1"}, lookups  # no host name ever went to the system resolver
    assert listener.accepted == 0
