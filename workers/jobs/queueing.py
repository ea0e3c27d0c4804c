"""How work is put on the RQ queue: job names by dotted path, plain JSON arguments, explicit options."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from workers.clients.alert_store import AlertStore
from workers.clients.keyspace import RUNNING_KEY
from workers.core.settings import Settings
from workers.core.timeouts import FLUSH_TIMEOUT_S, KRATOS_ACTION_TIMEOUT_S
from workers.remediation.guard import Claim

RUN_REPORT = "workers.jobs.report.run_report"
RUN_STATUS = "workers.jobs.courier_status.run_status"
ON_REPORT_FAILURE = "workers.jobs.report.report_failed"
ON_STATUS_FAILURE = "workers.jobs.courier_status.status_failed"
JOB_SLACK_MARGIN_S = 60  # Slack updates and retries after the checks' own deadline
RESULT_TTL_S = 3600
FAILURE_TTL_S = 7 * 24 * 3600
# Reports whose parent may still say `running`, scored by when the reaper should look at them
# (workers/jobs/reaper.py); a report leaves it once Slack shows its final state.


def make_queue(connection: redis.Redis, settings: Settings) -> Queue:
    return Queue(settings.mailcheck_queue, connection=connection, serializer=JSONSerializer)


def report_job_id(report_id: str) -> str:
    return f"report-{report_id}"


def report_job_timeout(settings: Settings) -> int:
    return int(settings.report_deadline) + JOB_SLACK_MARGIN_S


def first_look_s(settings: Settings) -> float:
    """From the enqueue to the reaper's first look: the job's own time, or sooner the queue timeout."""
    return min(report_job_timeout(settings), settings.queue_timeout)


def enqueue_report(
    queue: Queue,
    settings: Settings,
    *,
    report_id: str,
    email: str,
    channel: str,
    ts: str,
    requester: str,
    thread_ts: str = "",
    parent_pending: bool = False,
    typed: str = "",
) -> Job:
    """Queue a report's job. With `parent_pending` the bot posts the parent after this, while the job
    runs, and tells it where through Redis (`attach_parent`)."""
    kwargs: dict[str, Any] = {
        "report_id": report_id,
        "email": email,
        "channel": channel,
        "ts": ts,
        "requester": requester,
        "thread_ts": thread_ts,
    }
    if parent_pending:
        kwargs["parent_pending"] = True
    if typed:
        kwargs["typed"] = typed
    with queue.connection.pipeline() as pipe:
        # One transaction: the job is on the queue with the ledger's deadline moved to match it.
        pipe.multi()
        pipe.zadd(RUNNING_KEY, {report_id: time.time() + first_look_s(settings)})
        job = queue.enqueue(
            RUN_REPORT,
            kwargs=kwargs,
            job_id=report_job_id(report_id),
            job_timeout=report_job_timeout(settings),
            retry=Retry(max=1),
            result_ttl=RESULT_TTL_S,
            failure_ttl=FAILURE_TTL_S,
            on_failure=Callback(ON_REPORT_FAILURE),
            description=f"mailcheck report {report_id}",
            pipeline=pipe,
        )
        pipe.execute()
    return job


def enqueue_status(
    queue: Queue, settings: Settings, *, channel: str, requester: str, response_url: str = ""
) -> Job:
    return queue.enqueue(
        RUN_STATUS,
        # The response_url (a Slack hook, not a token) lets a failed job still answer the agent.
        kwargs={"channel": channel, "requester": requester, "response_url": response_url},
        job_timeout=int(settings.report_deadline) + JOB_SLACK_MARGIN_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        on_failure=Callback(ON_STATUS_FAILURE),
        description="mailcheck courier status",
    )


RUN_ACTION = "workers.jobs.buttons.run_action"
FOLLOW_UP = "workers.jobs.buttons.follow_up"
ON_ACTION_FAILURE = "workers.jobs.buttons.action_failed"
# A worker lost mid-job is only noticed by RQ's maintenance (every 10 minutes); until then the claim
# keeps further presses `duplicate`.
LOST_WORKER_MARGIN_S = 900


@dataclass(frozen=True)
class Ticket:
    """An accepted press, as every button job receives it (plain strings: RQ's JSON arguments)."""

    subject: str  # a SubjectKind: what the button was on, decided once by the bot
    subject_id: str  # the report's or the alert's id
    action: str
    actor: str
    claim: str  # the exactly-once claim's token
    item: int = -1  # which of one action's buttons (check_address: which address); -1 for none

    @property
    def guard_claim(self) -> Claim:
        return Claim(self.subject_id, claim_key(self.action, self.item), self.claim)


def claim_key(action: str, item: int | None) -> str:
    """What the exactly-once guard claims: the action, or one of its buttons (each address once)."""
    return action if item is None or item < 0 else f"{action}:{item}"


def action_job_timeout(settings: Settings) -> int:
    return int(max(FLUSH_TIMEOUT_S, settings.report_deadline, KRATOS_ACTION_TIMEOUT_S * 3)) + 60


def claim_hold_s(settings: Settings) -> int:
    return action_job_timeout(settings) + settings.follow_up_seconds + LOST_WORKER_MARGIN_S


def enqueue_action(queue: Queue, settings: Settings, ticket: Ticket) -> Job:
    return queue.enqueue(
        RUN_ACTION,
        kwargs=asdict(ticket),
        job_id=f"action-{ticket.claim}",
        job_timeout=action_job_timeout(settings),
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        on_failure=Callback(ON_ACTION_FAILURE),
        description=f"mailcheck {ticket.action} on {ticket.subject} {ticket.subject_id}",  # no arguments in logs
    )


RUN_WATCH_ROUND = "workers.jobs.watch.run_round"
SLOTS_KEPT = 3  # a slot's "scheduled" mark outlives the slot, so that a late worker does not repeat it


def watch_round_timeout(settings: Settings) -> int:
    """A round runs the relay and DNS checks under REPORT_DEADLINE, then posts to Slack."""
    return report_job_timeout(settings)


def _enqueue_round_options(settings: Settings, trigger: str) -> dict[str, Any]:
    return {
        "kwargs": {"trigger": trigger},
        "job_timeout": watch_round_timeout(settings),
        "result_ttl": RESULT_TTL_S,
        "failure_ttl": FAILURE_TTL_S,
        "description": f"mailcheck watch round ({trigger})",
    }


def schedule_watch(queue: Queue, settings: Settings, *, now: float | None = None) -> Job | None:
    """Schedule the round of the next WATCH_INTERVAL slot with RQ's scheduler, once for every caller.

    Every worker calls this on each maintenance pass and every round when it ends; the slot's mark in
    Redis (SET NX) lets exactly one of them enqueue it. None when it was already scheduled.
    """
    interval = settings.watch_interval
    slot = int((now if now is not None else time.time()) // interval) + 1
    if not AlertStore(queue.connection).claim_slot(slot, interval * SLOTS_KEPT):
        return None
    at = datetime.fromtimestamp(slot * interval, UTC)
    job: Job = queue.enqueue_at(
        at, RUN_WATCH_ROUND, job_id=f"watch-{slot}", **_enqueue_round_options(settings, "schedule")
    )
    return job


def enqueue_watch_round(queue: Queue, settings: Settings, *, trigger: str) -> Job:
    """A round now (a re-run button, a successful flush); the round's lock keeps it one at a time."""
    return queue.enqueue(RUN_WATCH_ROUND, **_enqueue_round_options(settings, trigger))


REFRESH_HOME = "workers.jobs.home.refresh_home"


def enqueue_home_refresh(queue: Queue, settings: Settings) -> Job:
    """Read the courier for the App Home (SPEC §17); the caller asks at most once a minute."""
    return queue.enqueue(
        REFRESH_HOME,
        job_timeout=int(settings.report_deadline) + JOB_SLACK_MARGIN_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        description="mailcheck Home: courier status",
    )
