"""A report's lifecycle, from the bot's first Redis write to the message Slack shows at the end.

    save_new_report ──▶ start_report ──────────────────────────────────▶ settle ──▶ show_and_release
    (report + ledger,    (enqueue the job, then post the parent and      (the job, or   (Slack shows the
     before the ack)      attach_parent: store where it is)               fail_report)   final state; out
                                                                                         of the ledger)

The ledger is the sorted set of reports whose parent may still say `running`, scored by when to look
again; a report enters it with the bot's first write and leaves it only once Slack shows its final
state, so that no report stays `running` (SPEC §4.1, §8). The bot enqueues before it posts the parent,
so that the diagnosis runs while Slack answers the post, and then stores where the parent is
(`attach_parent`): whichever of the bot and the job comes second shows the settled report. Settling is
atomic on the stored report: whoever first turns a `running` report into `complete` or `failed` wins,
so a completed report is never overwritten with a failure and a late attempt never overwrites the
failure it lost to; everybody who settles then shows Slack what is stored. The reaper
(workers/jobs/reaper.py) fails what cannot finish; it uses the steps here.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis
from rq import Queue
from rq.exceptions import AbandonedJobError
from rq.job import Job

from workers.clients.history import remember_report
from workers.clients.keyspace import REPORT_PREFIX, REPORT_TTL_S, RUNNING_KEY
from workers.clients.metrics_store import record_failed_report
from workers.clients.store import StoredReport
from workers.core.settings import Settings, operators_configured
from workers.jobs.queueing import enqueue_report, report_job_timeout
from workers.report.model import Report, State
from workers.slack.api import SlackPoster
from workers.slack.errors import SlackError
from workers.slack.render import render_report

log = logging.getLogger(__name__)

# What a `failed` parent says.
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
# Due entries are re-scored to the end of a lease in the same step that hands them out, so two reapers
# never work on one report at once.
_CLAIM_DUE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[3]))
for _, id in ipairs(due) do redis.call('ZADD', KEYS[1], ARGV[2], id) end
return due
"""

# Write ARGV[2] only if the key still holds ARGV[1] ('' for no key): settling never overwrites a write
# it did not see.
_COMPARE_AND_SET = """
if (redis.call('GET', KEYS[1]) or '') ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', tonumber(ARGV[3]))
return 1
"""


# The report and its ledger entry, written together in one command (one reply to read on the ack path).
_SAVE_NEW_REPORT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
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
        self._redis.zrem(RUNNING_KEY, report_id)

    def deadline(self, report_id: str) -> float | None:
        score = self._redis.zscore(RUNNING_KEY, report_id)
        return float(score) if score is not None else None

    def due_at(self, report_id: str, when: float) -> None:
        """Look again at `when`, if the report is still in the ledger."""
        self._redis.zadd(RUNNING_KEY, {report_id: when}, xx=True)

    def claim_due(self, now: float, limit: int = REAP_BATCH) -> list[str]:
        ids = self._claim(keys=[RUNNING_KEY], args=[now, now + CLAIM_LEASE_S, limit])
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]


def save_new_report(connection: redis.Redis, stored: StoredReport, settings: Settings) -> None:
    """The bot's first Redis write for a report: the report and its running-ledger entry, together.

    Whatever happens to the bot after this (it dies before enqueueing, or Redis refuses the job), the
    reaper finds the report and settles it; `enqueue_report` then moves the entry's deadline.
    """
    report_id = stored.report.report_id
    deadline = time.time() + report_job_timeout(settings)
    connection.register_script(_SAVE_NEW_REPORT)(
        keys=[REPORT_PREFIX + report_id, RUNNING_KEY],
        args=[stored.to_json(), REPORT_TTL_S, repr(deadline), report_id],
    )


class Started(enum.StrEnum):
    """What `start_report` did."""

    POSTED = "posted"  # queued, the parent posted and attached (and shown, if it had settled)
    NOT_QUEUED = "not_queued"  # Redis would not queue it: nothing runs, nothing is posted
    NOT_POSTED = "not_posted"  # queued, but Slack would not take the parent: it runs unseen
    UNATTACHED = "unattached"  # queued and posted, but Redis failed storing where: the parent says so


@dataclass(frozen=True)
class StartResult:
    outcome: Started
    slack_error: str = ""  # NOT_POSTED: what Slack said
    untracked: bool = True  # NOT_QUEUED: False when Redis would not even take it out of the ledger


def start_report(
    connection: redis.Redis, queue: Queue, poster: SlackPoster, settings: Settings, stored: StoredReport
) -> StartResult:
    """Enqueue the report saved by `save_new_report`, then post its parent (in `stored.thread_ts`'s
    thread when set) and store where it is: the diagnosis runs while Slack answers the post (100-300 ms
    against the real Slack). Whoever comes second of this and the job shows the settled report. Never
    raises for Redis or Slack: the result says what happened, for the caller to tell the agent."""
    report = stored.report
    try:
        enqueue_report(
            queue,
            settings,
            report_id=report.report_id,
            email=report.email,
            channel=stored.channel,
            ts="",
            requester=stored.requester,
            parent_pending=True,
            typed=stored.typed,
        )
    except redis.RedisError:
        # Nothing runs and nothing is posted: out of the ledger too, so that no reaper fails it later.
        try:
            Ledger(connection).untrack(report.report_id)
        except redis.RedisError:
            return StartResult(Started.NOT_QUEUED, untracked=False)
        return StartResult(Started.NOT_QUEUED)
    rendered = render_report(report, requester=stored.requester)
    try:
        stored.ts = poster.post(stored.channel, thread_ts=stored.thread_ts or None, **rendered)
    except SlackError as exc:  # the job runs with no parent to show; a reaper releases it once settled
        return StartResult(Started.NOT_POSTED, slack_error=exc.error)
    try:
        attach_and_show(connection, stored, poster, settings)
    except redis.RedisError:
        _fail_unattached(stored, poster)
        return StartResult(Started.UNATTACHED)
    return StartResult(Started.POSTED)


def _fail_unattached(stored: StoredReport, poster: SlackPoster) -> None:
    """Redis failed between the enqueue and storing where the parent is: the job cannot show its result.
    The parent says so now (so that nothing is left `running` if the bot dies here); the caller keeps
    the report to attach it once Redis is back (`attach_and_show`)."""
    try:
        show_failed(stored, UNATTACHED_REASON, poster)
    except SlackError as exc:
        log.warning("report %s: parent not marked failed (%s)", stored.report.report_id, exc.error)


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
    key = REPORT_PREFIX + report_id
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
    """`stored` (what the job made of its arguments), with what only the bot knows, from what it stored:
    where the parent is (its ts, attached meanwhile; the thread it was posted in, e.g. a ticket's thread
    for a message shortcut), and whether it was asked in a private conversation (SPEC §16)."""
    if current is not None:
        stored.ts = stored.ts or current.ts
        stored.thread_ts = stored.thread_ts or current.thread_ts
        stored.private = current.private
        stored.typed = stored.typed or current.typed
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
