"""`mailcheck check` with Kratos unreachable (SPEC §6.1 rule 5's exception and rule 14), as a real process
against a real SMTP relay: a relay that refuses us explains the missing mail even when the courier cannot
be read; with nothing to go on, the verdict is `unknown` and only `rerun` is offered."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import unique_email
from tests.processes import ROOT, mailcheck_env
from tests.standins.dns_server import DnsServer
from tests.standins.smtp_server import SmtpStandin, closed_port, make_pki

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpStandin]:
    with SmtpStandin(make_pki(tmp_path_factory.mktemp("pki")), mode="plain") as server:
        yield server


def check_with_kratos_down(dns: DnsServer, smtp_uri: str) -> dict[str, object]:
    dead_kratos = f"http://127.0.0.1:{closed_port()}"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check", unique_email("kratos-down"), "--json"],
        env=mailcheck_env(
            KRATOS_ADMIN_URL=dead_kratos,
            KRATOS_PUBLIC_URL=dead_kratos,
            COURIER_SMTP_CONNECTION_URI=smtp_uri,
            COURIER_SMTP_FROM_ADDRESS="noreply@acme.test",
            MAIL_PROVIDER="smtp",
            DNS_NAMESERVERS=dns.nameserver,
            REPORT_DEADLINE="5",
        ),
        cwd=Path(ROOT),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report: dict[str, object] = json.loads(done.stdout)
    return report


def test_relay_refusing_our_password_decides_when_kratos_is_down(dns: DnsServer, relay: SmtpStandin) -> None:
    report = check_with_kratos_down(dns, relay.uri(password="wrong"))
    checks = report["checks"]
    assert isinstance(checks, dict)
    assert checks["courier"]["status"] == "error" and checks["identity"]["status"] == "error"
    assert checks["smtp"]["status"] == "fail"
    assert report["verdict"] == "smtp_auth_failed"
    assert "wrong" not in json.dumps(report)  # the password never leaves the process


def test_nothing_to_go_on_is_unknown_with_only_rerun(dns: DnsServer, relay: SmtpStandin) -> None:
    report = check_with_kratos_down(dns, relay.uri())
    assert report["checks"]["smtp"]["status"] == "ok"  # type: ignore[index]
    assert report["verdict"] == "unknown"
    assert report["actions"] == ["rerun"]
