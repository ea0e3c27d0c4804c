"""A stack per fault test: its own Redis (with the append-only file, as compose.yaml runs it), Slack,
Kratos and DNS stand-ins, the bot as a real process, and workers the test may SIGKILL.

Workers run `tests.e2e.faults.fast_worker`: the real worker with short lost-worker timings. Each is
started in its own session so that a kill takes the parent, its scheduler and its work-horse (which
RQ puts in a process group of its own) together, as a container or host dying would.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.faults.stack import DurableRedis, FaultStack
from tests.processes import BASE_ZONES, base_settings, mailcheck_env, start_bot
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.slack import SlackStandIn


@pytest.fixture
def make_stack(tmp_path: Path) -> Iterator[Callable[..., FaultStack]]:
    """Builds the stack; keyword arguments are extra settings (environment variables)."""
    with contextlib.ExitStack() as cleanup:

        def build(*, env_extra: dict[str, str] | None = None, **settings: str) -> FaultStack:
            durable = DurableRedis().start()
            cleanup.callback(durable.stop)
            slack = SlackStandIn().start()
            cleanup.callback(slack.stop)
            kratos = KratosStandIn().start()
            cleanup.callback(kratos.stop)
            dns = DnsServer(BASE_ZONES).start()
            cleanup.callback(dns.stop)
            common = base_settings(durable.url, slack, kratos, dns) | {"MAILCHECK_QUEUE": "mailcheck-faults"}
            env = mailcheck_env(**common | settings) | (env_extra or {})
            stack = FaultStack(durable, slack, kratos, dns, env, tmp_path)
            cleanup.callback(stack.stop)
            stack.bot_process, stack.bot = start_bot(env, tmp_path)
            return stack

        yield build
