"""`mailcheck healthcheck bot|worker` (the Compose and Dockerfile healthchecks) against real processes."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import redis
from rq import Queue, Worker
from rq.utils import utcformat

from bot.healthcheck import WORKER_MAX_HEARTBEAT_AGE_S
from tests.processes import ROOT, Process, mailcheck_env, start_bot
from tests.standins.redis_server import free_port
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET
from workers.jobs.worker import WorkerTimings

QUEUE = "mailcheck-healthcheck-tests"


def healthcheck(*args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "healthcheck", *args],
        env=mailcheck_env(**settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _wait_for_registration(url: str, worker: Process) -> None:
    connection = redis.Redis.from_url(url)
    deadline = time.monotonic() + 30
    while not Worker.all(queue=Queue(QUEUE, connection=connection)):
        assert worker.popen.poll() is None, worker.output()
        assert time.monotonic() < deadline, f"the worker never registered:\n{worker.output()}"
        time.sleep(0.1)
    connection.close()


def test_worker_healthcheck_follows_the_real_workers_registration(
    redis_url: str, slack: SlackStandIn, tmp_path: Path
) -> None:
    settings = {"REDIS_URL": redis_url, "MAILCHECK_QUEUE": QUEUE}
    before = healthcheck("worker", **settings)
    assert before.returncode == 1
    assert before.stdout.startswith("worker unhealthy: no worker from host")

    env = mailcheck_env(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.api_url, **settings)
    worker = Process(["worker"], env, tmp_path / "worker.log")
    try:
        _wait_for_registration(redis_url, worker)
        running = healthcheck("worker", **settings)
        assert running.returncode == 0, running.stdout + running.stderr
        assert running.stdout.startswith("worker healthy: 1 on host")
        other_queue = healthcheck("worker", REDIS_URL=redis_url, MAILCHECK_QUEUE="another-queue")
        assert other_queue.returncode == 1
    finally:
        worker.stop()  # SIGTERM: RQ registers the worker's death
    after = healthcheck("worker", **settings)
    assert after.returncode == 1 and "no worker from host" in after.stdout


def test_a_stale_or_foreign_registration_is_unhealthy(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    stale = Worker([Queue(QUEUE, connection=connection)], connection=connection)
    stale.register_birth()
    old = datetime.now(UTC) - timedelta(seconds=WORKER_MAX_HEARTBEAT_AGE_S + 30)
    connection.hset(stale.key, "last_heartbeat", utcformat(old))
    done = healthcheck("worker", REDIS_URL=redis_url, MAILCHECK_QUEUE=QUEUE)
    assert done.returncode == 1
    assert "last heartbeat from host" in done.stdout and "s ago" in done.stdout

    connection.flushdb()
    foreign = Worker([Queue(QUEUE, connection=connection)], connection=connection)
    foreign.hostname = "another-container"
    foreign.register_birth()
    done = healthcheck("worker", REDIS_URL=redis_url, MAILCHECK_QUEUE=QUEUE)
    assert done.returncode == 1 and "no worker from host" in done.stdout
    connection.close()


def test_worker_healthcheck_without_redis_is_unhealthy() -> None:
    done = healthcheck("worker", REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    assert done.returncode == 1
    assert done.stdout == "worker unhealthy: Redis unreachable (ConnectionError)\n"


def test_heartbeat_limit_is_twice_the_workers_ttl() -> None:
    assert 2 * WorkerTimings().worker_ttl_s == WORKER_MAX_HEARTBEAT_AGE_S


def test_bot_healthcheck_reads_the_real_bots_healthz(bot: str) -> None:
    port = str(urlsplit(bot).port)
    done = healthcheck("bot", PORT=port)
    assert done.returncode == 0, done.stdout
    assert done.stdout.startswith("bot healthy:") and '"ok": true' in done.stdout
    assert healthcheck("bot", "--port", port).returncode == 0


def test_bot_healthcheck_is_unhealthy_when_healthz_says_so(slack: SlackStandIn, tmp_path: Path) -> None:
    env = mailcheck_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        REDIS_URL=f"redis://127.0.0.1:{free_port()}/0",  # nothing listens: /healthz answers 503
    )
    process, base = start_bot(env, tmp_path)
    try:
        done = healthcheck("bot", PORT=str(urlsplit(base).port))
    finally:
        process.stop()
    assert done.returncode == 1
    assert done.stdout.endswith("/healthz answered 503\n")
    gone = healthcheck("bot", PORT=str(urlsplit(base).port))
    assert gone.returncode == 1 and "unreachable" in gone.stdout


def test_a_bad_setting_is_unhealthy_not_a_usage_error() -> None:
    done = healthcheck("bot", PORT="eighty")
    assert done.returncode == 1
    assert done.stdout.startswith("bot unhealthy: PORT:")
