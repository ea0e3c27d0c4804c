"""Ack latency of `/mailcheck` with 50 concurrent slash commands on the bot process (goal p99 ≤ 100 ms).

Usage: python -m bench.ack_latency [--concurrency 50] [--rounds 6]
Prints p50/p99/max over every command of every round (the first round is a warm-up and not counted).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import functools
import multiprocessing
import threading
import time
from multiprocessing.connection import Connection

import httpx

from bench.stack import percentile, rss_mib, running_stack
from tests.standins.slack_requests import signed_headers, slash_command_body


def _one(client: httpx.Client, url: str, text: str, *, barrier: threading.Barrier) -> float:
    body = slash_command_body(text)
    headers = signed_headers(body)
    barrier.wait()
    started = time.perf_counter()
    response = client.post(url, content=body, headers=headers)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"HTTP {response.status_code}: {response.text[:200]}")
    return elapsed


def _client(url: str, concurrency: int, rounds: int, conn: Connection) -> None:
    """The load, from its own process so that it shares no interpreter with the stand-ins."""
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency)
    with (
        httpx.Client(limits=limits, timeout=10) as client,
        concurrent.futures.ThreadPoolExecutor(concurrency) as pool,
    ):
        for round_no in range(rounds):
            barrier = threading.Barrier(concurrency)
            texts = [f"bench{round_no}.{i}@example.com" for i in range(concurrency)]
            results = list(pool.map(functools.partial(_one, client, url, barrier=barrier), texts))
            if round_no:  # the first round warms connections and caches
                latencies.extend(results)
            time.sleep(1.0)
    conn.send(latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=6)
    args = parser.parse_args()
    with running_stack(workers=0) as stack:
        parent, child = multiprocessing.Pipe()
        client = multiprocessing.Process(
            target=_client, args=(f"{stack.bot_url}/slack/events", args.concurrency, args.rounds, child)
        )
        client.start()
        latencies = parent.recv()
        client.join()
        ms = [x * 1000 for x in latencies]
        print(
            f"ack latency, {args.concurrency} concurrent /mailcheck EMAIL, {len(ms)} commands "
            f"({args.rounds - 1} rounds after a warm-up):"
        )
        print(
            f"  p50 {percentile(ms, 50):.1f} ms   p99 {percentile(ms, 99):.1f} ms   max {max(ms):.1f} ms   (goal p99 <= 100 ms)"
        )
        print(f"  bot resident memory: {rss_mib(stack.bot.popen.pid):.1f} MiB")


if __name__ == "__main__":
    main()
