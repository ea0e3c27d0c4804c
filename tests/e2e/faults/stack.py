"""A stack per fault test: its own Redis (with the append-only file, as compose.yaml runs it), Slack,
Kratos and DNS stand-ins, the bot as a real process, and workers the test may SIGKILL.

Workers run `tests.e2e.faults.fast_worker`: the real worker with short lost-worker timings. Each is
started in its own session so that a kill takes the parent, its scheduler and its work-horse (which
RQ puts in a process group of its own) together, as a container or host dying would.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import redis
from rq.exceptions import NoSuchJobError
from rq.job import Job
from rq.serializers import JSONSerializer

from tests.e2e.helpers import report_messages, run_command
from tests.processes import ROOT, Process
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import free_port
from tests.standins.slack import SlackStandIn
from workers.clients.keyspace import REPORT_PREFIX, RUNNING_KEY
from workers.jobs.queueing import report_job_id

WAIT_S = 45.0  # every wait is bounded; generous, because a busy 2-core machine is slow, not broken
_workers = itertools.count(1)


def wait_until(predicate: Callable[[], Any], timeout: float = WAIT_S, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


class DurableRedis:
    """redis-server on a fixed loopback port for its lifetime, fsyncing every write to its AOF, so that
    it can be SIGKILLed and started again with its data, like the compose.yaml service."""

    def __init__(self) -> None:
        self.port = free_port()
        self._dir = tempfile.mkdtemp(prefix="mailcheck-faults-redis-")
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def start(self) -> DurableRedis:
        binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = ["--port", str(self.port), "--bind", "127.0.0.1", "--dir", self._dir, "--save", ""]
        args += ["--appendonly", "yes", "--appendfsync", "always"]
        self._process = subprocess.Popen(
            [binary, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        probe = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        wait_until(lambda: _pings(probe), 10, "redis-server up")
        probe.close()
        return self

    def kill(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
        shutil.rmtree(self._dir, ignore_errors=True)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
    return found


def descendants(pid: int) -> list[int]:
    pending, found = [pid], []
    while pending:
        for child in _children(pending.pop()):
            found.append(child)
            pending.append(child)
    return found


class FaultWorker:
    """The worker as its own session; `kill()` is SIGKILL for the parent, scheduler and work-horse."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.faults.fast_worker"],
            env=env,
            cwd=ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def horse(self) -> int | None:
        """The work-horse's pid while one runs (RQ moves it to a process group of its own)."""
        for pid in _children(self.pid):
            with contextlib.suppress(ProcessLookupError):  # it may just have ended
                if os.getpgid(pid) != self.pid:
                    return pid
        return None

    def kill(self) -> None:
        """SIGKILL for everything this worker is: no chance to finish, clean up or report."""
        for pid in [*descendants(self.pid), self.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        for pid in descendants(self.pid):  # a horse orphaned by a kill of its parent alone
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._log.close()


@dataclass
class FaultStack:
    redis: DurableRedis
    slack: SlackStandIn
    kratos: KratosStandIn
    dns: DnsServer
    env: dict[str, str]
    logs: Path
    bot: str = ""
    bot_process: Process | None = None
    workers: list[FaultWorker] = field(default_factory=list)

    # ---- processes -------------------------------------------------------------------------------

    def add_worker(self) -> FaultWorker:
        worker = FaultWorker(self.env, self.logs / f"worker-{next(_workers)}.log")
        self.workers.append(worker)
        wait_until(lambda: self._registered(worker) or worker.popen.poll() is not None, what="worker up")
        assert worker.popen.poll() is None, worker.output()
        return worker

    def _registered(self, worker: FaultWorker) -> bool:
        # RQ keeps a hash per live worker with its pid; present once it listens on the queue.
        connection = self.redis.client()
        try:
            return any(
                connection.hget(key, "pid") == str(worker.pid).encode()
                for key in connection.smembers(b"rq:workers")
            )
        except redis.RedisError:
            return False

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.bot_process is not None:
            self.bot_process.stop()

    # ---- driving and observing -------------------------------------------------------------------

    def command(self, text: str) -> tuple[httpx.Response, str]:
        return run_command(self.bot, self.slack, text)

    def parent(self, email: str) -> dict[str, Any] | None:
        found = [m for m in report_messages(self.slack, email) if not m.get("thread_ts")]
        assert len(found) <= 1, f"{len(found)} parent messages for {email}"
        return found[0] if found else None

    def report_id(self, email: str) -> str:
        message = wait_until(lambda: self.parent(email), what=f"parent of {email}")
        return str(message["metadata"]["event_payload"]["report_id"])

    def wait_state(self, email: str, state: str, timeout: float = WAIT_S) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            message = self.parent(email)
            payload = (message or {}).get("metadata", {}).get("event_payload", {})
            return message if payload.get("state") == state else None

        message: dict[str, Any] = wait_until(reached, timeout, f"{email} shown {state}")
        return message

    def job(self, report_id: str) -> Job | None:
        try:
            return Job.fetch(
                report_job_id(report_id), connection=self.redis.client(), serializer=JSONSerializer
            )
        except NoSuchJobError:
            return None

    def stored(self, report_id: str) -> dict[str, Any] | None:
        raw = self.redis.client().get(REPORT_PREFIX + report_id)
        return json.loads(raw) if raw else None

    def running_ledger(self) -> list[str]:
        return [
            m.decode() if isinstance(m, bytes) else str(m)
            for m in self.redis.client().zrange(RUNNING_KEY, 0, -1)
        ]

    def posts_for(self, report_id: str) -> list[dict[str, Any]]:
        """Accepted chat.postMessage calls that posted this report (the stand-in records no 429s)."""
        posts = []
        for call in self.slack.calls_of("chat.postMessage"):
            meta = call.body.get("metadata") or {}
            if (
                meta.get("event_type") == "mailcheck_report"
                and meta["event_payload"]["report_id"] == report_id
            ):
                posts.append(call.body)
        return posts
