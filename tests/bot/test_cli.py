"""`mailcheck check` as a real process against the Kratos stand-in; exit codes of SPEC §2."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib.metadata import version

from tests.e2e.helpers import unique_email
from tests.processes import ROOT, mailcheck_env
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from workers.report.model import CHECK_NAMES


def mailcheck(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        env=mailcheck_env(**settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_json_prints_the_report(kratos: KratosStandIn, dns: DnsServer) -> None:
    email = unique_email("cli")
    kratos.add_identity(email)
    kratos.add_message(
        email, status="abandoned", send_count=6, dispatches=[("failed", "535 5.7.8 Authentication failed")]
    )
    done = mailcheck(
        "check",
        email.upper(),
        "--json",
        KRATOS_ADMIN_URL=kratos.admin_url,
        REPORT_DEADLINE="5",
        DNS_NAMESERVERS=dns.nameserver,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["email"] == email and report["state"] == "complete"
    assert report["verdict"] == "smtp_auth_failed"
    assert list(report["checks"]) == list(CHECK_NAMES)
    assert report["checks"]["courier"]["details"]["last_error"].startswith("535 5.7.8")
    assert {f["code"] for f in report["findings"]} >= {"courier_abandoned", "address_unverified"}
    assert report["actions"] == ["resend_verification", "resend_recovery", "rerun"]
    assert "body" not in json.dumps(report["checks"]["courier"]) and "subject" not in json.dumps(
        report["checks"]["courier"]
    )


def test_check_prints_a_readable_report(kratos: KratosStandIn, dns: DnsServer) -> None:
    email = unique_email("cli-text")
    done = mailcheck("check", email, KRATOS_ADMIN_URL=kratos.admin_url, DNS_NAMESERVERS=dns.nameserver)
    assert done.returncode == 0, done.stderr
    assert f"mailcheck {email}" in done.stdout
    assert "verdict: no_identity" in done.stdout
    assert "what to tell the user:" in done.stdout


def test_bad_address_is_a_usage_error() -> None:
    done = mailcheck("check", "not-an-address")
    assert done.returncode == 2
    assert "no `@`" in done.stderr


def test_bad_setting_stops_start_up_naming_the_variable() -> None:
    done = mailcheck("check", "a@example.com", REPORT_DEADLINE="soon")
    assert done.returncode == 3
    assert "REPORT_DEADLINE" in done.stderr
    done = mailcheck("bot", SLACK_BOT_TOKEN="not-a-bot-token")
    assert done.returncode == 3 and "SLACK_BOT_TOKEN" in done.stderr
    done = mailcheck("worker")
    assert done.returncode == 3 and "SLACK_BOT_TOKEN" in done.stderr


def test_version_prints_the_installed_version() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        declared = tomllib.load(file)["project"]["version"]
    done = mailcheck("--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"mailcheck {version('mailcheck')}\n"
    assert version("mailcheck") == declared
