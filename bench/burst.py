"""A burst of N `/mailcheck` commands drained by W workers: nothing lost, throughput, p95 end to end.

Usage: python -m bench.burst [--checks 500] [--workers 4] [--concurrency 20]
End to end = from sending the slash command to Slack receiving the final `complete` update.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import time
from collections import Counter

import httpx

from bench.stack import percentile, rss_mib, running_stack
from tests.standins.slack_requests import signed_headers, slash_command_body


def _send(client: httpx.Client, url: str, email: str) -> tuple[str, float]:
    body = slash_command_body(email)
    sent = time.monotonic()
    response = client.post(url, content=body, headers=signed_headers(body))
    if response.status_code != 200 or response.text:
        raise RuntimeError(f"{email}: HTTP {response.status_code} {response.text[:200]}")
    return email, sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=500)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    with running_stack(workers=args.workers, REPORT_DEADLINE="20") as stack:
        emails = [f"burst{i}@example.com" for i in range(args.checks)]
        for email in emails:
            stack.kratos.add_identity(email)
            stack.kratos.add_message(email, status="sent", age_s=90)
        url = f"{stack.bot_url}/slack/events"
        started = time.monotonic()
        with (
            httpx.Client(timeout=10) as client,
            concurrent.futures.ThreadPoolExecutor(args.concurrency) as pool,
        ):
            sent = dict(pool.map(lambda e: _send(client, url, e), emails))
        sending = time.monotonic() - started

        def finals() -> dict[str, float]:
            done: dict[str, float] = {}
            for call in stack.slack.calls_of("chat.update"):
                meta = call.body.get("metadata", {}).get("event_payload", {})
                if meta.get("state") == "complete" and meta.get("email") in sent:
                    done.setdefault(meta["email"], call.at)
            return done

        deadline = time.monotonic() + 600
        while len(done := finals()) < len(emails) and time.monotonic() < deadline:
            time.sleep(0.5)
        parents = Counter(
            c.body["metadata"]["event_payload"]["email"] for c in stack.slack.calls_of("chat.postMessage")
        )
        memory = [rss_mib(w.popen.pid) for w in stack.workers]
        bot_memory = rss_mib(stack.bot.popen.pid)
    latencies = [(done[e] - sent[e]) * 1000 for e in done]
    drained = max(done.values()) - started if done else float("nan")
    print(f"burst of {args.checks} checks, {args.workers} workers, {args.concurrency} concurrent senders:")
    print(
        f"  completed {len(done)}/{args.checks}, lost {args.checks - len(done)}, "
        f"parents posted twice {sum(1 for n in parents.values() if n > 1)}"
    )
    print(
        f"  commands sent in {sending:.1f} s; all drained in {drained:.1f} s -> {len(done) / drained:.1f} checks/s"
    )
    print(
        f"  end to end: p50 {percentile(latencies, 50):.0f} ms, p95 {percentile(latencies, 95):.0f} ms, "
        f"max {max(latencies):.0f} ms"
    )
    print(f"  resident memory: bot {bot_memory:.1f} MiB; workers {', '.join(f'{m:.1f}' for m in memory)} MiB")


if __name__ == "__main__":
    main()
