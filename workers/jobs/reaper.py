"""The reaper: fails what cannot finish, so that no report stays `running` (SPEC §8).

Workers run `reap` in their maintenance pass, after RQ's own cleanup of abandoned jobs, and the bot
runs it on a timer (bot/reaping.py), so it also runs with no worker at all. It takes the reports of the
lifecycle's ledger (workers/jobs/lifecycle.py) whose time has come. A report past its deadline whose
job RQ still holds (running under a live heartbeat, or queued for less than QUEUE_TIMEOUT) gets more
time. A job queued for longer is taken off the queue, atomically against a worker dequeuing it, and its
report failed naming the missing worker; a report that never started (no job, no parent: Redis would
not queue it) just leaves the ledger; any other report is failed with OVERDUE_REASON. RQ itself calls
no `on_failure` when a work-horse dies (our worker does, see worker.py), a failure callback can itself
fail (Slack down), and a job can vanish (an emptied queue): the reaper relies on none of it. Claims are
leases, so several workers reap side by side, each report once.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC

import redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from workers.clients.history import remember_report_id
from workers.clients.store import ReportStore
from workers.core.settings import Settings, operators_configured
from workers.jobs.lifecycle import (
    NO_WORKER_REASON,
    OVERDUE_REASON,
    Ledger,
    fail_report,
    stored_from_job,
)
from workers.jobs.queueing import report_job_id, report_job_timeout
from workers.report.model import State
from workers.slack.api import SlackPoster

log = logging.getLogger(__name__)

# While RQ holds the job in one of these, it will still run or is running: RQ owns the report.
LIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED})

# Take a job off its queue unless a worker has already dequeued it (RQ moves it to its intermediate
# queue), and mark it canceled in the same step, so that it is never both failed and run.
_TAKE_QUEUED = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'status', 'canceled')
return 1
"""


def _job(connection: redis.Redis, report_id: str) -> Job | None:
    try:
        return Job.fetch(report_job_id(report_id), connection=connection, serializer=JSONSerializer)
    except NoSuchJobError:
        return None


def reap(
    connection: redis.Redis, poster: SlackPoster, settings: Settings, *, now: float | None = None
) -> int:
    """One pass: fail every overdue report whose job RQ no longer holds; return how many it failed."""
    now = time.time() if now is None else now
    ledger, reaped = Ledger(connection), 0
    for report_id in ledger.claim_due(now):
        try:
            reaped += _reap_one(connection, ledger, poster, settings, report_id, now)
        except Exception:  # one unreadable entry must not stop the pass; its lease brings it back
            log.exception("reaper: report %s not settled", report_id)
    return reaped


def no_worker_reason(settings: Settings) -> str:
    return NO_WORKER_REASON.format(timeout=settings.queue_timeout)


def _queued_since(job: Job, now: float) -> float:
    enqueued = job.enqueued_at
    if enqueued is None:
        return now
    return (enqueued if enqueued.tzinfo else enqueued.replace(tzinfo=UTC)).timestamp()


def _take_queued(connection: redis.Redis, job: Job) -> bool:
    """Take the job off its queue; False when a worker has it already."""
    take = connection.register_script(_TAKE_QUEUED)
    queue_key = Queue.redis_queue_namespace_prefix + job.origin
    return bool(take(keys=[queue_key, job.key], args=[job.id]))


def _never_started(connection: redis.Redis, report_id: str) -> bool:
    """A report with no job and no parent: Redis would not queue it, or the bot stopped between its first
    write and the enqueue. The agent was told that nothing started (or saw nothing), and that stays true:
    failing it would count it and list it in the history. (A report whose job vanished after its parent
    was posted still fails: Slack shows it `running`.)"""
    stored = ReportStore(connection).load(report_id)
    return stored is not None and not stored.ts and stored.report.state == State.RUNNING


def _reap_one(
    connection: redis.Redis,
    ledger: Ledger,
    poster: SlackPoster,
    settings: Settings,
    report_id: str,
    now: float,
) -> int:
    job = _job(connection, report_id)
    if job is None and _never_started(connection, report_id):
        ledger.untrack(report_id)  # nothing ran and nothing was posted: nothing to fail, count or list
        return 0
    status = job.get_status(refresh=False) if job is not None else None
    reason = OVERDUE_REASON
    if job is not None and status == JobStatus.QUEUED:
        due = _queued_since(job, now) + settings.queue_timeout
        if now < due:
            ledger.due_at(report_id, due)
            return 0
        if not _take_queued(connection, job):  # a worker has just taken it: it runs, not fails
            ledger.due_at(report_id, now + report_job_timeout(settings))
            return 0
        reason = no_worker_reason(settings)
    elif status == JobStatus.CANCELED:  # taken off the queue above, by a pass that did not finish
        reason = no_worker_reason(settings)
    elif job is not None and status in LIVE_STATUSES:
        ledger.due_at(report_id, now + report_job_timeout(settings))
        return 0
    fallback = stored_from_job(job) if job is not None else None
    operators = operators_configured(settings)
    failed = fail_report(connection, poster, report_id, reason, operators=operators, fallback=fallback)
    if failed:  # SPEC §12: a report nobody could finish is part of the address's history too
        remember_report_id(connection, report_id, days=settings.history_days)
    if job is not None and status in (JobStatus.QUEUED, JobStatus.CANCELED):
        job.delete()  # so that nothing, not even a requeue by hand, revives it
    return int(failed)
