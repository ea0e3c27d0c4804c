"""The local stack the benches measure: Redis, the Slack and Kratos stand-ins, the bot and workers."""

from __future__ import annotations

import contextlib
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.processes import BASE_ZONES, Process, base_settings, mailcheck_env, start_bot
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn


@dataclass
class Stack:
    redis: RedisServer
    slack: SlackStandIn
    kratos: KratosStandIn
    bot_url: str
    bot: Process
    settings: dict[str, str]
    workers: list[Process] = field(default_factory=list)
    logs: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="mailcheck-bench-")))

    def add_workers(self, count: int) -> None:
        for index in range(count):
            self.workers.append(
                Process(["worker"], mailcheck_env(**self.settings), self.logs / f"worker-{index}.log")
            )


@contextlib.contextmanager
def running_stack(workers: int = 0, **overrides: str) -> Iterator[Stack]:
    redis = RedisServer().start()
    slack = SlackStandIn().start()
    kratos = KratosStandIn().start()
    dns = DnsServer(BASE_ZONES).start()
    settings = {**base_settings(redis.url, slack, kratos, dns), **overrides}
    logs = Path(tempfile.mkdtemp(prefix="mailcheck-bench-"))
    bot, url = start_bot(mailcheck_env(**settings), logs)
    stack = Stack(redis, slack, kratos, url, bot, settings, logs=logs)
    try:
        stack.add_workers(workers)
        time.sleep(0.5 if workers else 0)
        yield stack
    finally:
        for process in [*stack.workers, bot]:
            process.stop()
        kratos.stop()
        dns.stop()
        slack.stop()
        redis.stop()


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]
