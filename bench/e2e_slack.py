"""End to end through Slack in the world of bench/world.py: the real bot (HTTP mode), one real
`mailcheck worker`, Redis and the Slack stand-in. A signed `/mailcheck` is timed from the request to
the final `chat.update` whose metadata says `complete`; one command at a time, a new recipient each
(so that no answer cache helps).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from bench.stack import percentile
from tests.processes import Process, mailcheck_env, start_bot
from tests.standins.redis_server import RedisServer
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body

# Between commands, so that each finds the worker idle (RQ finishes a job's bookkeeping after the
# final update) and the bot's post-ack work done, as a command typed by an agent usually does.
PAUSE_S = 0.3


@dataclass(frozen=True)
class Run:
    total_ms: float  # the request to the final chat.update
    ack_ms: float  # the request to the HTTP answer
    parent_ms: float  # the request to the parent's chat.postMessage reaching Slack
    diagnosis_ms: float  # the report's own elapsed_ms (inside the work-horse)
    report_id: str = ""
    aggregate_cached: bool | None = None  # the provider check's 24-hour aggregate came from the cache

    @property
    def outside_ms(self) -> float:
        """All but the diagnosis: the ack, the enqueue, RQ's dequeue and fork, the job's set-up, storing
        the result and the final chat.update (the parent's post runs beside the diagnosis)."""
        return self.total_ms - self.diagnosis_ms


def _final(slack: SlackStandIn, email: str) -> tuple[float, dict[str, Any]] | None:
    for call in slack.calls_of("chat.update"):
        meta = call.body.get("metadata", {}).get("event_payload", {})
        if meta.get("email") == email and meta.get("state") == "complete":
            return call.at, meta
    return None


def _parent_at(slack: SlackStandIn, email: str) -> float:
    for call in slack.calls_of("chat.postMessage"):
        if call.body.get("metadata", {}).get("event_payload", {}).get("email") == email:
            return call.at
    return float("nan")


def _one(client: httpx.Client, url: str, slack: SlackStandIn, email: str) -> Run:
    body = slash_command_body(email, response_url=slack.hook_url("bench"))
    headers = signed_headers(body)
    sent = time.monotonic()
    response = client.post(url, content=body, headers=headers)
    acked = time.monotonic()
    if response.status_code != 200 or response.text:
        raise RuntimeError(f"{email}: HTTP {response.status_code} {response.text[:200]}")
    deadline = sent + 30
    while (final := _final(slack, email)) is None:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{email}: no final update within 30 s")
        time.sleep(0.002)
    at, meta = final
    return Run(
        total_ms=(at - sent) * 1000,
        ack_ms=(acked - sent) * 1000,
        parent_ms=(_parent_at(slack, email) - sent) * 1000,
        diagnosis_ms=float(meta["elapsed_ms"]),
        report_id=str(meta["report_id"]),
    )


def _aggregate_cached(redis: RedisServer, run: Run) -> Run:
    """Whether the stored report's 24-hour aggregate (SPEC §15) was read from the provider cache."""
    raw = redis.client().get(f"mailcheck:report:{run.report_id}")
    details = json.loads(raw)["report"]["checks"]["provider"]["details"] if raw else {}
    cached = (details.get("mailbox_provider") or {}).get("cached")
    return replace(run, aggregate_cached=cached if isinstance(cached, bool) else None)


def end_to_end(
    world: dict[str, str], recipients: list[str], warmup: int = 2, slack_ms: float = 0.0
) -> list[Run]:
    """One command per recipient; the first `warmup` runs are not counted (first-use in the bot).
    `slack_ms`: what each Slack Web API call takes, as against the real Slack."""
    logs = Path(tempfile.mkdtemp(prefix="mailcheck-bench-e2e-"))
    redis, slack = RedisServer().start(), SlackStandIn().start()
    slack.latency_s = slack_ms / 1000
    settings = {
        **world,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis.url,
        "MAILCHECK_QUEUE": "mailcheck-bench",
        "MAILCHECK_CHANNELS": "C0SUPPORT",
    }
    bot, base = start_bot(mailcheck_env(**settings), logs)
    worker = Process(["worker"], mailcheck_env(**settings), logs / "worker.log")
    try:
        time.sleep(1.0)  # the worker registers and blocks on its queue
        with httpx.Client(timeout=10) as client:
            runs = []
            for email in recipients:
                time.sleep(PAUSE_S)
                runs.append(_aggregate_cached(redis, _one(client, f"{base}/slack/events", slack, email)))
    finally:
        worker.stop()
        bot.stop()
        slack.stop()
        redis.stop()
    return runs[warmup:]


def summary(runs: list[Run], bound: float) -> list[str]:
    def line(name: str, values: list[float], note: str = "") -> str:
        p50, p90 = statistics.median(values), percentile(values, 90)
        return f"    {name:<22} p50 {p50:7.1f} ms  p90 {p90:7.1f} ms{note}"

    totals = [r.total_ms for r in runs]
    ratio = f"   ratio / bound p50 {statistics.median(totals) / bound:.2f}, p90 {percentile(totals, 90) / bound:.2f}"
    return [
        f"  end to end through Slack ({len(runs)} runs, one at a time): bot + 1 worker + Redis + Slack stand-in",
        line("command -> complete", totals, ratio),
        line("  ack", [r.ack_ms for r in runs]),
        line("  parent posted", [r.parent_ms for r in runs]),
        line("  diagnosis (horse)", [r.diagnosis_ms for r in runs]),
        line("  outside diagnosis", [r.outside_ms for r in runs]),
        _cached_line(runs),
    ]


def _cached_line(runs: list[Run]) -> str:
    cached = [r for r in runs if r.aggregate_cached]
    asked = [r for r in runs if r.aggregate_cached is False]
    return (
        f"    24-h aggregate: from the provider cache in {len(cached)} of {len(runs)} reports, asked in "
        f"{len(asked)} (the Gmail group is cached for a minute)"
    )
