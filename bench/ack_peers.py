"""Ack latency of `/mailcheck` beside its peers, in one run under one load generator (SPEC §9).

Three servers get the same bursts of simultaneous signed `/mailcheck EMAIL` commands, taking turns:
  mailcheck  the bot itself (HTTP mode): it records the report, acks, then posts the parent to the Slack
             stand-in and enqueues the check (a registered idle RQ worker, so that nothing runs checks)
  bolt       a plain Bolt app that acks the same command and writes one Redis key (bench/peers/bolt_peer.py)
  bare       the floor: a WSGI handler that checks the signature and writes one Redis key, no framework
All are served by waitress, write to the same spawned redis-server and answer 200.
Usage: python -m bench.ack_peers [--concurrency 50] [--rounds 16] [--peer-threads 64] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path

import redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from bench.loadgen import interleaved
from bench.stack import Stack, percentile, rss_mib, running_stack
from bot.server import SERVER_THREADS
from tests.processes import ROOT, mailcheck_env, wait_http
from tests.standins.redis_server import free_port
from tests.standins.slack_requests import SIGNING_SECRET

PEERS = {"bolt": "bench.peers.bolt_peer", "bare": "bench.peers.bare_wsgi"}
PAUSE_S = 1.5  # between bursts: the bot's post-ack work (50 parents posted) ends before the next burst


def _generate(targets: dict[str, int], concurrency: int, rounds: int, conn: Connection) -> None:
    """The load generator, a process of its own: it shares no interpreter with any server."""
    conn.send(asyncio.run(interleaved(targets, concurrency=concurrency, rounds=rounds, pause_s=PAUSE_S)))


def register_idle_worker(redis_url: str, queue_name: str) -> None:
    """A live RQ worker in the registry that never takes a job: the bot does all it does in production
    after its ack (post, enqueue, look for a live worker) while no check competes for the CPU."""
    connection = redis.Redis.from_url(redis_url)
    queue = Queue(queue_name, connection=connection, serializer=JSONSerializer)
    name = f"bench-idle-{uuid.uuid4().hex[:8]}"
    Worker([queue], connection=connection, name=name, worker_ttl=3600).register_birth()  # type: ignore[no-untyped-call]


@contextlib.contextmanager
def peer(module: str, threads: int, stack: Stack) -> Iterator[tuple[int, int]]:
    port = free_port()
    with (stack.logs / f"{module}.log").open("wb") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                str(port),
                stack.settings["REDIS_URL"],
                SIGNING_SECRET,
                str(threads),
                stack.slack.api_url,
            ],
            env=mailcheck_env(),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_http(f"http://127.0.0.1:{port}/")
            yield port, process.pid
        finally:
            process.terminate()
            process.wait(10)


def _py_spy(pid: int, path: str) -> subprocess.Popen[bytes]:
    command = [
        str(Path(sys.executable).with_name("py-spy")),
        "record",
        "-p",
        str(pid),
        "-r",
        "250",
        "-f",
        "raw",
        "-o",
        path,
        "--nonblocking",
    ]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL)


def _report(latencies: dict[str, list[float]], memory: dict[str, float]) -> None:
    stats = {
        name: (percentile([x * 1000 for x in values], 50), percentile([x * 1000 for x in values], 99))
        for name, values in latencies.items()
    }
    for name, (p50, p99) in stats.items():
        print(f"  {name:<10} p50 {p50:6.1f} ms   p99 {p99:6.1f} ms   ({memory[name]:.0f} MiB resident)")
    mine = stats["mailcheck"]
    for other in ("bolt", "bare"):
        p50, p99 = stats[other]
        print(f"  mailcheck / {other:<5} p50 {mine[0] / p50:5.2f}x   p99 {mine[1] / p99:5.2f}x")
    print("  goal: mailcheck / bolt <= 1.00x at p50 and at p99")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument(
        "--peer-threads", type=int, default=SERVER_THREADS, help="waitress threads of each peer"
    )
    parser.add_argument(
        "--profile", metavar="FILE", help="record the bot with py-spy (collapsed stacks) to FILE"
    )
    args = parser.parse_args()
    with running_stack(workers=0) as stack:
        register_idle_worker(stack.settings["REDIS_URL"], stack.settings["MAILCHECK_QUEUE"])
        with (
            peer(PEERS["bolt"], args.peer_threads, stack) as (bolt_port, bolt_pid),
            peer(PEERS["bare"], args.peer_threads, stack) as (bare_port, bare_pid),
        ):
            targets = {
                "mailcheck": int(stack.bot_url.rsplit(":", 1)[1]),
                "bolt": bolt_port,
                "bare": bare_port,
            }
            parent, child = multiprocessing.get_context("spawn").Pipe()
            generator = multiprocessing.get_context("spawn").Process(
                target=_generate, args=(targets, args.concurrency, args.rounds, child)
            )
            generator.start()
            spy = _py_spy(stack.bot.popen.pid, args.profile) if args.profile else None
            latencies = parent.recv()
            generator.join()
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(30)
            pids = {"mailcheck": stack.bot.popen.pid, "bolt": bolt_pid, "bare": bare_pid}
            memory = {name: rss_mib(pid) for name, pid in pids.items()}
        parents = len(stack.slack.calls_of("chat.postMessage"))
    count = len(latencies["mailcheck"])
    print(
        f"ack latency, bursts of {args.concurrency} simultaneous signed /mailcheck EMAIL, {args.rounds} "
        f"interleaved rounds after a warm-up ({count} commands each; load average {os.getloadavg()[0]:.2f}):"
    )
    _report(latencies, memory)
    print(f"  mailcheck posted {parents} report parents to the Slack stand-in after its acks")


if __name__ == "__main__":
    main()
