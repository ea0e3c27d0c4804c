"""`mailcheck healthcheck bot|worker`: the container healthchecks of compose.yaml and the Dockerfile.

Each prints one line and exits 0 (healthy) or 1 (unhealthy): Docker reserves 2, and every other
failure, a bad setting included, must read as "unhealthy" rather than as a usage error.

- `bot`: `GET /healthz` on the bot's own port answers 200 (SPEC §13: Redis reachable and, in Socket
  Mode, the socket up).
- `worker`: an RQ worker registered from this host (container) on the mailcheck queue has sent a
  heartbeat recently. RQ's registration expires on its own only ~60 s after the worker's TTL, and a
  worker stuck outside its loop stops heartbeating long before that, so the heartbeat's age is checked.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from datetime import UTC, datetime

from workers.core.settings import Settings

HEALTHY, UNHEALTHY = 0, 1
HTTP_TIMEOUT_S = 3.0
REDIS_TIMEOUT_S = 3.0
# Twice the worker TTL of `workers.jobs.worker.WorkerTimings` (30 s): an idle worker heartbeats before and
# after every blocking dequeue (15 s), a busy one every job-monitoring interval (10 s).
# tests/bot/test_healthcheck.py keeps the two in step.
WORKER_MAX_HEARTBEAT_AGE_S = 60


def check_bot(settings: Settings, port: int | None = None) -> tuple[int, str]:
    url = f"http://127.0.0.1:{port or settings.port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_S) as response:
            body = response.read(500).decode(errors="replace").strip()
            return HEALTHY, f"bot healthy: {body}"
    except urllib.error.HTTPError as exc:
        return UNHEALTHY, f"bot unhealthy: {url} answered {exc.code}"
    except (OSError, ValueError) as exc:
        return UNHEALTHY, f"bot unhealthy: {url} unreachable ({type(exc).__name__})"


def check_worker(settings: Settings, max_age_s: float = WORKER_MAX_HEARTBEAT_AGE_S) -> tuple[int, str]:
    import redis
    from rq import Worker

    from workers.clients.redis_client import redis_client
    from workers.jobs.queueing import make_queue

    hostname = socket.gethostname()
    connection = redis_client(
        settings.redis_url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S
    )
    try:
        workers = Worker.all(queue=make_queue(connection, settings))
    except redis.RedisError as exc:
        return UNHEALTHY, f"worker unhealthy: Redis unreachable ({type(exc).__name__})"
    finally:
        connection.close()
    ages = [_age_s(w.last_heartbeat) for w in workers if w.hostname == hostname]
    queue = settings.mailcheck_queue
    if not ages:
        return UNHEALTHY, f"worker unhealthy: no worker from host {hostname} is registered on queue {queue}"
    freshest = min(ages)
    if freshest > max_age_s:
        return UNHEALTHY, (
            f"worker unhealthy: last heartbeat from host {hostname} was {freshest:.0f} s ago "
            f"(more than {max_age_s:.0f} s)"
        )
    return HEALTHY, f"worker healthy: {len(ages)} on host {hostname}, last heartbeat {freshest:.0f} s ago"


def _age_s(last_heartbeat: datetime | None) -> float:
    if last_heartbeat is None:
        return float("inf")
    if last_heartbeat.tzinfo is None:
        last_heartbeat = last_heartbeat.replace(tzinfo=UTC)
    return (datetime.now(UTC) - last_heartbeat).total_seconds()
