"""No report stays `running`: the ledger of reports whose parent may still say so, and the reaper.

A report enters the ledger with the bot's first Redis write for it (`save_new_report`, before the ack);
`enqueue_report` moves the deadline, and the report leaves the ledger only once Slack shows its final
state. The bot enqueues before it posts the parent, then stores where the parent is
(`attach_parent`): whichever of the bot and the job comes second shows the settled report, so one
that finishes before its parent exists is still shown. Settling is atomic on the stored
report: whoever first turns a `running` report into `complete` or `failed` wins, so a report that
completed is never overwritten with a failure, and a late attempt never overwrites the failure it
lost to. Everybody who settles then shows Slack what is stored, whoever won, where the parent is known.

Workers run `reap` in their maintenance pass, after RQ's own cleanup of abandoned jobs, and the bot
runs it on a timer (bot/reaping.py), so it also runs with no worker at all. A report past its deadline
whose job RQ still holds (running under a live heartbeat, or queued for less than QUEUE_TIMEOUT) gets
more time. A job queued for longer is taken off the queue, atomically against a worker dequeuing it,
and its report failed naming the missing worker; any other report is failed with OVERDUE_REASON. RQ itself calls no `on_failure` when a work-horse
dies (our worker does, see worker.py), a failure callback can itself fail (Slack down), and a job can
vanish (an emptied queue): the reaper relies on none of it. Claims are leases, so several workers reap
side by side, each report once.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC

import redis
from rq import Queue
from rq.exceptions import AbandonedJobError, NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from workers.clients.history import remember_report, remember_report_id
from workers.clients.metrics_store import record_failed_report
from workers.clients.store import KEY_PREFIX, REPORT_TTL_S, ReportStore, StoredReport
from workers.core.settings import Settings, operators_configured
from workers.jobs.queueing import RUNNING_REPORTS_KEY, report_job_id, report_job_timeout
from workers.report.model import Report, State
from workers.slack.api import SlackError, SlackPoster
from workers.slack.render import render_report

log = logging.getLogger(__name__)

OVERDUE_REASON = "the check did not finish in time"
NO_WORKER_REASON = (
    "no `mailcheck worker` started the check within {timeout:g} s (QUEUE_TIMEOUT): "
    "start a `mailcheck worker`, then press Re-run"
)
LOST_REASON = "the check could not finish (the worker running it stopped)"
UNATTACHED_REASON = (
    "Redis became unreachable as the check started, so its result may not reach this message: press Re-run"
)
CLAIM_LEASE_S = 120  # a reaper that dies holding a claim leaves the report to another after this
REAP_BATCH = 50  # per pass; the rest stay due for the next pass
# While RQ holds the job in one of these, it will still run or is running: RQ owns the report.
LIVE_STATUSES = frozenset({JobStatus.QUEUED, JobStatus.STARTED, JobStatus.SCHEDULED, JobStatus.DEFERRED})

# Due entries are re-scored to the end of a lease in the same step that hands them out, so two reapers
# never work on one report at once.
_CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return due
"""

# Take a job off its queue unless a worker has already dequeued it (RQ moves it to its intermediate
# queue), and mark it canceled in the same step, so that it is never both failed and run.
_TAKE_QUEUED = """
if redis.call('LREM', KEYS[1], 1, ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], 'status', 'canceled')
return 1
"""

# Write ARGV[2] only if the key still holds ARGV[1] ('' for no key): settling never overwrites a write
# it did not see.
_COMPARE_AND_SET = """
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
"""


class WorkerLost(Exception):
    """The work-horse running a job died (killed, out of memory); RQ itself raises nothing."""


def failure_reason(exc_type: type[BaseException] | None) -> str:
    """What the parent message says when a job's last attempt failed."""
    if exc_type is None or issubclass(exc_type, (AbandonedJobError, WorkerLost)):
        return LOST_REASON
    return f"the check could not finish ({exc_type.__name__})"


class Ledger:
    """The sorted set of reports whose parent may still say `running`, scored by when to look again."""

    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection
        self._claim = connection.register_script(_CLAIM_DUE)

    def untrack(self, report_id: str) -> None:
        self._redis.zrem(RUNNING_REPORTS_KEY, report_id)

    def deadline(self, report_id: str) -> float | None:
        score = self._redis.zscore(RUNNING_REPORTS_KEY, report_id)
        return float(score) if score is not None else None

    def due_at(self, report_id: str, when: float) -> None:
        """Look again at `when`, if the report is still in the ledger."""
        self._redis.zadd(RUNNING_REPORTS_KEY, {report_id: when}, xx=True)

    def claim_due(self, now: float, limit: int = REAP_BATCH) -> list[str]:
        ids = self._claim(keys=[RUNNING_REPORTS_KEY], args=[now, now + CLAIM_LEASE_S, limit])
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


@dataclass(frozen=True)
class Settled:
    stored: StoredReport | None  # what is stored now
    won: bool  # whether this call settled it


def _load(raw: object) -> StoredReport | None:
    return StoredReport.from_json(raw) if isinstance(raw, (str, bytes)) else None


def _swap(
    connection: redis.Redis, report_id: str, change: Callable[[StoredReport | None], StoredReport | None]
) -> tuple[StoredReport | None, StoredReport | None]:
    """Store `change(current)` by compare and set, looking again after a write it did not see (a
    progress save, another settler, the bot attaching the parent); `change` returning None stores
    nothing. Returns (what was stored, what this call stored or None)."""
    key = KEY_PREFIX + report_id
    swap = connection.register_script(_COMPARE_AND_SET)
    while True:
        raw = connection.get(key)
        current = _load(raw)
        new = change(current)
        if new is None:
            return current, None
        expected = raw if isinstance(raw, (str, bytes)) else b""
        if swap(keys=[key], args=[expected, new.to_json(), REPORT_TTL_S]):
            return current, new


def settle(
    connection: redis.Redis, report_id: str, outcome: Callable[[StoredReport | None], StoredReport | None]
) -> Settled:
    """Store `outcome(current)` unless the stored report already settled; atomic (compare and set)."""

    def unless_settled(current: StoredReport | None) -> StoredReport | None:
        if current is not None and current.report.state != State.RUNNING:
            return None
        return outcome(current)

    current, new = _swap(connection, report_id, unless_settled)
    if new is not None:
        return Settled(new, won=True)
    settled = current is not None and current.report.state != State.RUNNING
    return Settled(current if settled else None, won=False)


def attach_parent(connection: redis.Redis, report_id: str, ts: str) -> StoredReport | None:
    """Store where the parent message is, once the bot has posted it (it enqueues first, so that the
    diagnosis runs while Slack answers the post). Returns the report when it has already settled: its
    job could not show it, not knowing where, so the caller does. None while it runs (its job reads
    the ts when it settles, see `with_parent`) or when it is gone. Atomic like `settle`."""

    def attached(current: StoredReport | None) -> StoredReport | None:
        if current is not None:
            current.ts = ts
        return current

    _current, new = _swap(connection, report_id, attached)
    return new if new is not None and new.report.state != State.RUNNING else None


def with_parent(stored: StoredReport, current: StoredReport | None) -> StoredReport:
    """`stored`, with the parent's ts the bot attached meanwhile when `stored` was made without it."""
    if not stored.ts and current is not None:
        stored.ts = current.ts
    return stored


def show(stored: StoredReport, poster: SlackPoster, *, operators: bool) -> None:
    """Make the parent message show `stored` (raises SlackError)."""
    rendered = render_report(stored.report, requester=stored.requester, operators_configured=operators)
    poster.update(stored.channel, stored.ts, **rendered)


def show_and_release(
    connection: redis.Redis,
    stored: StoredReport | None,
    report_id: str,
    poster: SlackPoster,
    *,
    operators: bool,
) -> bool:
    """Show the settled report and leave the ledger; False (kept, due now) when Slack can take it later."""
    ledger = Ledger(connection)
    if stored is not None and stored.ts:  # a report never posted (a re-run) has no parent to update
        try:
            show(stored, poster, operators=operators)
        except SlackError as exc:
            if exc.transient:
                log.warning("report %s not shown yet (%s); the reaper retries", report_id, exc.error)
                ledger.due_at(report_id, time.time())
                return False
            log.warning("report %s cannot be shown (%s); giving up", report_id, exc.error)
    ledger.untrack(report_id)
    return True


def _failed(base: StoredReport | None, reason: str) -> StoredReport | None:
    if base is not None:
        base.report.state, base.report.failure_reason, base.report.actions = State.FAILED, reason, ["rerun"]
    return base


def show_failed(stored: StoredReport, reason: str, poster: SlackPoster) -> None:
    """Make the parent say `failed` without touching Redis, which is what just failed: Slack must not
    keep saying `running` for a report whose job cannot learn where its parent is. Raises SlackError."""
    failed = _failed(StoredReport.from_json(stored.to_json()), reason)
    assert failed is not None
    poster.update(stored.channel, stored.ts, **render_report(failed.report, requester=stored.requester))


def attach_and_show(
    connection: redis.Redis, stored: StoredReport, poster: SlackPoster, settings: Settings
) -> None:
    """The bot has posted `stored`'s parent (`stored.ts`): store where it is, and when the report has
    already settled, show it, release it and remember it, as its job would have (`attach_parent`).
    Raises redis.RedisError."""
    report_id = stored.report.report_id
    settled = attach_parent(connection, report_id, stored.ts)
    if settled is not None:
        show_and_release(connection, settled, report_id, poster, operators=operators_configured(settings))
        remember_report(connection, settled, days=settings.history_days)


def fail_report(
    connection: redis.Redis,
    poster: SlackPoster,
    report_id: str,
    reason: str,
    *,
    operators: bool,
    fallback: StoredReport | None = None,
) -> bool:
    """Fail the report if it is still running, then show whatever is stored; True if this call failed it."""
    settled = settle(connection, report_id, lambda current: _failed(current or fallback, reason))
    if settled.won:
        log.warning("report %s failed: %s", report_id, reason)
        record_failed_report(connection, report_id)
    show_and_release(connection, settled.stored, report_id, poster, operators=operators)
    return settled.won


def stored_from_job(job: Job) -> StoredReport | None:
    """The report as its job's arguments describe it: a stand-in when the stored copy is gone."""
    kwargs = job.kwargs
    try:
        return StoredReport(
            report=Report(kwargs["report_id"], kwargs["email"]),
            channel=kwargs["channel"],
            ts=kwargs["ts"],
            requester=kwargs["requester"],
            thread_ts=kwargs.get("thread_ts", ""),
        )
    except (KeyError, TypeError):
        return None


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
