"""Helpers for tests that run mailcheck as real processes against the stand-ins (fixtures are in
conftest.py; helpers live here so that tests and bench import them from a module of their own)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import free_port
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET

ROOT = Path(__file__).resolve().parent.parent
ALLOWED_CHANNELS = "C0SUPPORT,C0OPS"
RESEND_WEBHOOK_KEY = b"mailcheck-test-webhook-key-32by!"
RESEND_WEBHOOK_SECRET = "whsec_" + base64.b64encode(RESEND_WEBHOOK_KEY).decode()

_INHERITED = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "VIRTUAL_ENV")


def mailcheck_env(**settings: str) -> dict[str, str]:
    """A clean environment: only what the test sets, never the developer's own settings."""
    env = {key: os.environ[key] for key in _INHERITED if key in os.environ}
    env["PYTHONPATH"] = str(ROOT)
    env.update(settings)
    return env


# The recipients the e2e tests use live at example.com, whose mail goes to a plain MX.
BASE_ZONES = {
    "example.com": {"MX": ["10 mx.example.com."]},
    "mx.example.com": {"A": ["192.0.2.25"]},
}


class Process:
    """`python -m <module> <args>`: the real CLI, or a wrapper of it that changes a timing first."""

    def __init__(self, args: list[str], env: dict[str, str], log_path: Path, module: str = "bot.cli") -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()


def wait_http(url: str, timeout: float = 20.0, process: Process | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.popen.poll() is not None:
            raise RuntimeError(f"process exited early:\n{process.output()}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up")


def base_settings(
    redis_url: str, slack: SlackStandIn, kratos: KratosStandIn, dns: DnsServer
) -> dict[str, str]:
    return {
        "DNS_NAMESERVERS": dns.nameserver,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_url,
        "MAILCHECK_QUEUE": "mailcheck-tests",
        "KRATOS_ADMIN_URL": kratos.admin_url,
        "KRATOS_PUBLIC_URL": kratos.public_url,
        "MAILCHECK_CHANNELS": ALLOWED_CHANNELS,
        "REPORT_DEADLINE": "8",
        "DNS_TIMEOUT": "0.5",
        "RESEND_WEBHOOK_SECRET": RESEND_WEBHOOK_SECRET,
    }


def start_bot(env: dict[str, str], tmp_path: Path) -> tuple[Process, str]:
    port = free_port()
    bot = Process(["bot", "--host", "127.0.0.1", "--port", str(port)], env, tmp_path / f"bot-{port}.log")
    base = f"http://127.0.0.1:{port}"
    wait_http(base + "/metrics", process=bot)
    return bot, base
