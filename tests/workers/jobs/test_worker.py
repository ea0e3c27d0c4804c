"""The worker's lost-job timings (SPEC §8: retried or failed within 180 s) and the failure callback it
calls when a work-horse dies, which RQ itself does not. A real Redis; no worker loop is started."""

from __future__ import annotations

import resource
from collections.abc import Iterator
from typing import Any

import pytest
import redis
from rq import Callback, Queue
from rq.job import Job
from rq.serializers import JSONSerializer

from tests.standins.redis_server import RedisServer
from workers.core.settings import load_settings
from workers.jobs.lifecycle import WorkerLost
from workers.jobs.worker import MailcheckWorker, WorkerTimings

SPEC_LOST_WORKER_S = 180
failures: list[tuple[str, Any]] = []


def record_failure(job: Job, connection: redis.Redis, exc_type: type[BaseException], *rest: Any) -> None:
    failures.append((job.id, exc_type))


def raise_in_callback(job: Job, connection: redis.Redis, *exc_info: Any) -> None:
    raise RuntimeError("Slack is down")


@pytest.fixture(scope="module")
def connection() -> Iterator[redis.Redis]:
    server = RedisServer().start()
    yield server.client()
    server.stop()


def _worker(connection: redis.Redis, timings: WorkerTimings | None = None) -> MailcheckWorker:
    settings = load_settings({"slack_bot_token": "xoxb-test", "mailcheck_queue": "worker-tests"})
    queue = Queue("worker-tests", connection=connection, serializer=JSONSerializer)
    return MailcheckWorker(
        [queue], connection=connection, settings=settings, timings=timings or WorkerTimings()
    )


def test_production_timings_notice_a_lost_job_well_inside_the_spec() -> None:
    timings = WorkerTimings()
    # The retry (or the failure) starts within this; RQ's defaults would take up to ~11 minutes.
    assert timings.lost_job_noticed_s <= SPEC_LOST_WORKER_S // 2
    assert timings.dequeue_timeout_s <= timings.maintenance_s  # an idle worker looks often enough


def test_worker_runs_with_its_timings(connection: redis.Redis) -> None:
    timings = WorkerTimings(heartbeat_s=3, grace_s=7, maintenance_s=20)
    worker = _worker(connection, timings)
    job = Job.create(
        "workers.jobs.report.run_report", connection=connection, timeout=100, serializer=JSONSerializer
    )

    assert (worker.job_monitoring_interval, worker.maintenance_interval) == (3, 20)
    assert worker.dequeue_timeout == timings.dequeue_timeout_s == 10
    assert worker.get_heartbeat_ttl(job) == 3 + 7  # RQ's own would be 3 + 60
    worker.current_job_working_time = 98.5  # the job's own timeout comes first
    assert worker.get_heartbeat_ttl(job) == 1 + 7


def test_a_dead_work_horse_gets_its_jobs_failure_callback_called(connection: redis.Redis) -> None:
    queue = Queue("worker-tests", connection=connection, serializer=JSONSerializer)
    job = queue.enqueue("workers.jobs.report.run_report", on_failure=Callback(f"{__name__}.record_failure"))
    failures.clear()

    _worker(connection)._horse_lost(job, 4242, 9, resource.getrusage(resource.RUSAGE_SELF))

    assert failures == [(job.id, WorkerLost)]
    queue.empty()  # type: ignore[no-untyped-call]


def test_a_failing_callback_does_not_take_the_worker_down(connection: redis.Redis) -> None:
    queue = Queue("worker-tests", connection=connection, serializer=JSONSerializer)
    job = queue.enqueue(
        "workers.jobs.report.run_report", on_failure=Callback(f"{__name__}.raise_in_callback")
    )

    _worker(connection)._horse_lost(job, 4242, 9, resource.getrusage(resource.RUSAGE_SELF))  # no raise

    assert job.get_status() is not None
    queue.empty()  # type: ignore[no-untyped-call]
