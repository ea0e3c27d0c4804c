"""`mailcheck worker`: an RQ worker on the mailcheck queue, with the scheduler (retries, follow-ups).

A worker killed mid-job leaves its job in RQ's started registry until the job's heartbeat runs out;
the next maintenance pass of any live worker then retries it once (`Retry(max=1)`) or, after the last
attempt, calls `report_failed`. RQ's defaults notice that only after up to ~11 minutes (30 s heartbeat,
60 s grace, 10 min maintenance, and an idle worker blocks 405 s per dequeue); `WorkerTimings` keeps it
inside SPEC §8's 180 s. Each maintenance pass also runs the reaper (workers/jobs/reaper.py) and, with
WATCH_CHANNEL set, makes sure the courier watch's next round is scheduled (workers/jobs/watch.py).
"""

from __future__ import annotations

import gc
import logging
import signal
import time
from dataclasses import dataclass
from resource import struct_rusage

import redis
from rq import Queue, Worker
from rq.job import Job
from rq.serializers import JSONSerializer

from workers.checks.diagnostics import preload
from workers.clients.redis_client import redis_client
from workers.core.settings import Settings

# Imported here, in the worker's parent, so that each job's forked work-horse starts with the job
# code and its libraries already loaded instead of importing them again for every job.
from workers.jobs import buttons, courier_status, home, report, watch  # noqa: F401
from workers.jobs.lifecycle import WorkerLost
from workers.jobs.queueing import make_queue, schedule_watch
from workers.jobs.reaper import reap
from workers.jobs.report import settings_from_env
from workers.slack.api import SlackPoster, web_client

log = logging.getLogger(__name__)

RESTART_DELAY_S = 2.0  # before a worker whose loop ended on an error starts again
# RQ blocks this much longer than its dequeue timeout before it counts an idle worker as gone.
RQ_WORKER_TTL_SLACK_S = 15


@dataclass(frozen=True)
class WorkerTimings:
    """How soon a lost worker's job is noticed. Production: within 85 s (see `lost_job_noticed_s`)."""

    heartbeat_s: int = 10  # the parent's heartbeat while a job runs (RQ: job_monitoring_interval)
    grace_s: int = 30  # silence past a heartbeat before the job counts as abandoned (RQ: fixed 60)
    maintenance_s: int = 30  # abandoned-job cleanup and the reaper (RQ: maintenance_interval, 600)

    @property
    def dequeue_timeout_s(self) -> int:
        """An idle worker looks at the maintenance clock only between blocking dequeues."""
        return max(1, self.maintenance_s // 2)

    @property
    def worker_ttl_s(self) -> int:
        return self.dequeue_timeout_s + RQ_WORKER_TTL_SLACK_S  # RQ's dequeue timeout is ttl - 15

    @property
    def lost_job_noticed_s(self) -> int:
        """Worst case from a worker's death to its job's retry (or failure) by an idle worker."""
        return self.heartbeat_s + self.grace_s + self.maintenance_s + self.dequeue_timeout_s


class MailcheckWorker(Worker):
    """RQ's forking worker with `WorkerTimings`, the reaper, and a failure callback for lost horses."""

    def __init__(
        self, queues: list[Queue], *, connection: redis.Redis, settings: Settings, timings: WorkerTimings
    ):
        super().__init__(
            queues,
            connection=connection,
            serializer=JSONSerializer,
            job_monitoring_interval=timings.heartbeat_s,
            maintenance_interval=timings.maintenance_s,
            worker_ttl=timings.worker_ttl_s,
            work_horse_killed_handler=self._horse_lost,
        )
        self.timings = timings
        self.stop_requested = False
        self._settings = settings
        self._poster = SlackPoster(web_client(settings))

    def handle_warm_shutdown_request(self) -> None:
        self.stop_requested = True  # SIGTERM/SIGINT: `run_worker` must not start another worker
        super().handle_warm_shutdown_request()  # type: ignore[no-untyped-call]  # rq leaves it unannotated

    def get_heartbeat_ttl(self, job: Job) -> int:
        # RQ's own version adds a fixed 60 s; ours adds `grace_s`.
        interval: int = self.job_monitoring_interval
        if job.timeout and job.timeout > 0:
            interval = int(min(job.timeout - self.current_job_working_time, interval))
        return interval + self.timings.grace_s

    def run_maintenance_tasks(self) -> None:
        # First RQ's cleanup, so that abandoned jobs are retried rather than reaped.
        super().run_maintenance_tasks()  # type: ignore[no-untyped-call]  # rq leaves it unannotated
        try:
            reap(self.connection, self._poster, self._settings)
        except Exception:  # anything raised here ends RQ's work loop, i.e. this worker
            log.exception("reaper pass failed")
        if self._settings.watch_channel:
            # The watch's rounds chain themselves; this pass restarts the chain after a lost round.
            try:
                schedule_watch(make_queue(self.connection, self._settings), self._settings)
            except Exception:
                log.exception("the courier watch could not be scheduled")

    def _horse_lost(self, job: Job, retpid: int, ret_val: int, rusage: struct_rusage) -> None:
        # RQ retries a job whose work-horse died but calls no on_failure; call it, so that a lost last
        # attempt reaches Slack now rather than at the reaper's deadline.
        lost = WorkerLost(f"work-horse {retpid} ended with status {ret_val}")
        try:
            job.execute_failure_callback(self.death_penalty_class, WorkerLost, lost, None)
        except Exception:  # a failing callback must not end this worker; the reaper is the backstop
            log.exception("failure callback of job %s failed", job.id)


def run_worker(settings: Settings, *, burst: bool = False, timings: WorkerTimings | None = None) -> bool:
    """Work until asked to stop.

    RQ's work loop ends for good on a Redis error it meets outside its dequeue (Redis restarting while
    a job finishes); the worker then starts again instead of leaving the queue unserved. What it had
    in hand is recovered by RQ's maintenance: abandoned jobs after their heartbeat, jobs caught
    between dequeue and start after RQ's one minute in the intermediate queue.
    """
    preload()  # here in the parent, so that every forked work-horse starts with it
    settings_from_env()  # read and validated here too, not once more in every work-horse (~8 ms)
    gc.freeze()  # and out of the collector's sight, so that a work-horse's collections do not copy it
    worked = False
    while True:
        worker: MailcheckWorker | None = None
        try:
            connection = redis_client(settings.redis_url)
            worker = MailcheckWorker(
                [make_queue(connection, settings)],
                connection=connection,
                settings=settings,
                timings=timings or WorkerTimings(),
            )
            worked = worker.work(burst=burst, with_scheduler=True, logging_level="INFO") or worked
        except redis.RedisError as exc:
            log.error("worker stopped: Redis unreachable (%s)", type(exc).__name__)
        if burst or (worker is not None and worker.stop_requested):
            return worked
        # Between two workers a stop signal stops the process at once: there is no job to finish.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        log.warning("worker loop ended unexpectedly; starting again in %g s", RESTART_DELAY_S)
        time.sleep(RESTART_DELAY_S)
