"""RQ entry points for the buttons (SPEC §7): plain-data arguments, every job short.

`run_action` does the pressed action once. A resend or a flush then hands over to `follow_up`, which
looks once and re-schedules itself with `enqueue_in` (the worker runs the scheduler) until the
outcome is known or FOLLOW_UP_SECONDS pass; no job sleeps. Every accepted press ends in exactly one
outcome reply, also when a job dies (`action_failed`), and the exactly-once claim is then finished.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Coroutine
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from rq import Callback, Queue
from rq.job import Job

from workers.clients.kratos import KratosError
from workers.clients.metrics_store import record_action
from workers.clients.store import ReportStore, StoredReport
from workers.core.logs import correlated_job
from workers.core.scrub import redact_self_service_urls, settings_secrets
from workers.core.settings import KratosInstance, Settings
from workers.core.timeouts import FLUSH_TIMEOUT_S
from workers.core.times import CLOCK_SKEW
from workers.jobs.queueing import (
    FAILURE_TTL_S,
    FOLLOW_UP,
    ON_ACTION_FAILURE,
    RESULT_TTL_S,
    Ticket,
    claim_hold_s,
    make_queue,
)
from workers.jobs.report import job_connection, run_report, settings_from_env
from workers.remediation import RESEND_FLOWS, kratos_for
from workers.remediation.flush import run_flush
from workers.remediation.follow_up import observe, snapshot
from workers.remediation.guard import Guard
from workers.remediation.resend import resend_code
from workers.remediation.unsuppress import unsuppress
from workers.report.alerts import is_alert_id
from workers.report.model import new_report_id
from workers.slack.api import SlackError, SlackPoster, web_client
from workers.slack.audit import ActionEntry, AuditLog, Outcome, action_label
from workers.slack.ids import Action

log = logging.getLogger(__name__)

FOLLOW_UP_JOB_TIMEOUT_S = 60  # one look at Kratos and the provider, each with its own timeout
POLL_MIN_S, POLL_MAX_S, POLLS_PER_WINDOW = 1.0, 10.0, 20


@dataclass(frozen=True)
class Watch(Ticket):
    """What a follow-up looks for, carried from one follow-up job to the next."""

    deadline: float = 0.0  # epoch seconds
    since: str = ""  # ISO time: messages older than this are not looked at
    known: list[str] = field(default_factory=list)  # resend: messages there before the flow started
    watched: list[str] = field(default_factory=list)  # flush: the queued messages it should move
    note: str = ""  # what the action itself said (the flush command's exit status)
    output: str = ""  # the flush command's scrubbed last lines


def poll_interval(settings: Settings) -> float:
    return min(POLL_MAX_S, max(POLL_MIN_S, settings.follow_up_seconds / POLLS_PER_WINDOW))


@dataclass
class _Env:
    """What an action job builds from the settings."""

    settings: Settings
    redis: redis.Redis
    queue: Queue
    store: ReportStore
    guard: Guard
    audit: AuditLog

    @classmethod
    def open(cls) -> _Env:
        redact_self_service_urls()
        settings = settings_from_env()
        connection = job_connection(settings)
        poster = SlackPoster(web_client(settings))
        return cls(
            settings,
            connection,
            make_queue(connection, settings),
            ReportStore(connection),
            Guard(connection, hold_s=claim_hold_s(settings)),
            AuditLog(poster, connection, settings),
        )


def conclude(
    env: _Env, ticket: Ticket, stored: StoredReport, outcome: Outcome, detail: str, output: str = ""
) -> None:
    """Post the one outcome reply of an accepted press, then end its claim."""
    claim = ticket.guard_claim
    if not env.guard.conclude_once(claim):
        return
    entry = ActionEntry(stored.report.report_id, ticket.action, ticket.actor, outcome, detail, output)
    try:
        # A re-run's outcome is the new report in the thread; only its failure needs a reply.
        env.audit.record(stored, entry, reply=not (ticket.action == Action.RERUN and outcome is Outcome.OK))
    except SlackError:
        env.guard.unconclude(claim)  # so that the failure callback can still post it
        raise
    env.guard.finish(claim)
    record_action(env.redis, ticket.action, outcome.value)
    log.info("%s on report %s: %s", ticket.action, ticket.report_id, outcome.value)


@correlated_job
def run_action(report_id: str, action: str, actor: str, claim: str) -> str:
    ticket = Ticket(report_id, action, actor, claim)
    if is_alert_id(report_id):  # a button on a watch alert (SPEC §11)
        from workers.jobs.alert_action import run_alert_action  # it builds on this module

        return run_alert_action(ticket)
    env = _Env.open()
    stored = env.store.load(report_id)
    if stored is None:  # expired since the press: there is no thread left to report into
        env.guard.release(ticket.guard_claim)
        return "report gone"
    if action == Action.RERUN:
        _rerun(env, ticket, stored)
    elif action == Action.FLUSH:
        _flush(env, ticket, stored)
    elif action in RESEND_FLOWS:
        _resend(env, ticket, stored)
    elif action == Action.UNSUPPRESS:
        result = asyncio.run(unsuppress(env.settings, stored.report.email))
        conclude(env, ticket, stored, Outcome.OK if result.ok else Outcome.FAILED, result.detail)
    else:
        conclude(env, ticket, stored, Outcome.FAILED, f"unknown action {action!r}")
    return action


def _instance_or_conclude(env: _Env, ticket: Ticket, stored: StoredReport) -> KratosInstance | None:
    instance = kratos_for(env.settings, stored.report)
    if instance is None:
        gone = (
            f"the Kratos instance `{stored.report.instance}` of this report is no longer in KRATOS_INSTANCES"
        )
        conclude(env, ticket, stored, Outcome.FAILED, gone)
    return instance


def flush_then_watch(
    env: _Env, ticket: Ticket, *, since: datetime, pending: Coroutine[Any, Any, list[str]], instance: str
) -> tuple[bool, Watch]:
    """Note the messages waiting now (`pending`: the ones the flush should move), run
    COURIER_FLUSH_COMMAND for `instance`; whether it ran, and what the follow-up watches (its note and
    output say how the command ended)."""
    try:
        watched, unseen = asyncio.run(pending), ""
    except KratosError as exc:
        watched, unseen = [], f" (the queued messages could not be listed first: {exc})"
    settings = env.settings
    command = settings.courier_flush_command or ""
    flush = run_flush(command, timeout=FLUSH_TIMEOUT_S, secrets=settings_secrets(settings), instance=instance)
    result = asyncio.run(flush)
    log.info("flush on %s for %s: exit status %s", instance, ticket.report_id, result.exit_status)
    deadline = time.time() + settings.follow_up_seconds
    note, output = result.describe() + unseen, result.output
    return result.ok, Watch(
        **asdict(ticket),
        deadline=deadline,
        since=since.isoformat(),
        watched=watched,
        note=note,
        output=output,
    )


def _rerun(env: _Env, ticket: Ticket, stored: StoredReport) -> None:
    new_id = new_report_id()
    root = stored.thread_ts or stored.ts
    verdict = run_report(
        new_id, stored.report.email, stored.channel, "", ticket.actor, thread_ts=root, typed=stored.typed
    )
    conclude(env, ticket, stored, Outcome.OK, f"new report {new_id} in the thread: {verdict}")


def _flush(env: _Env, ticket: Ticket, stored: StoredReport) -> None:
    settings, email = env.settings, stored.report.email
    if not settings.courier_flush_command:
        conclude(env, ticket, stored, Outcome.FAILED, "COURIER_FLUSH_COMMAND is not set on the worker")
        return
    if (instance := _instance_or_conclude(env, ticket, stored)) is None:
        return
    since = datetime.now(UTC) - timedelta(days=settings.lookback_days)
    pending = snapshot(settings, email, since=since, pending_only=True, instance=instance)
    ran, watch = flush_then_watch(env, ticket, since=since, pending=pending, instance=instance.name)
    if not ran:
        conclude(env, ticket, stored, Outcome.FAILED, watch.note, watch.output)
        return
    _step(env, watch, stored)


def _resend(env: _Env, ticket: Ticket, stored: StoredReport) -> None:
    settings, email = env.settings, stored.report.email
    kind = RESEND_FLOWS[Action(ticket.action)]
    if (instance := _instance_or_conclude(env, ticket, stored)) is None:
        return
    started = datetime.now(UTC)
    try:  # the messages there before the flow, so that the new one can be told apart
        known = asyncio.run(snapshot(settings, email, since=started - CLOCK_SKEW, instance=instance))
    except KratosError:
        known = []  # the follow-up then takes the newest code message of this kind as the new one
    flow = asyncio.run(resend_code(settings, kind, email, instance))
    if not flow.ok:
        conclude(env, ticket, stored, Outcome.FAILED, flow.detail)
        return
    deadline = time.time() + settings.follow_up_seconds
    watch = Watch(
        **asdict(ticket), deadline=deadline, since=started.isoformat(), known=known, note=flow.detail
    )
    _step(env, watch, stored)


@correlated_job
def follow_up(
    report_id: str,
    action: str,
    actor: str,
    claim: str,
    deadline: float,
    since: str,
    known: list[str],
    watched: list[str],
    note: str,
    output: str,
) -> str:
    watch = Watch(report_id, action, actor, claim, deadline, since, known, watched, note, output)
    env = _Env.open()
    if is_alert_id(report_id):
        from workers.jobs.alert_action import load_alert, step_alert

        alert = load_alert(env, watch)
        return step_alert(env, watch, alert) if alert is not None else "alert gone"
    stored = env.store.load(report_id)
    if stored is None:
        env.guard.release(watch.guard_claim)
        return "report gone"
    return _step(env, watch, stored)


def _step(env: _Env, watch: Watch, stored: StoredReport) -> str:
    """Look once; conclude, or schedule the next look."""
    kind = RESEND_FLOWS.get(Action(watch.action))
    since = datetime.fromisoformat(watch.since)
    observation = asyncio.run(
        observe(
            env.settings,
            stored.report.email,
            kind=kind,
            since=since,
            known=watch.known,
            watched=watch.watched,
            instance=kratos_for(env.settings, stored.report),
        )
    )
    if observation.outcome is not None:
        conclude(
            env,
            watch,
            stored,
            Outcome(observation.outcome),
            _sentence(watch.note, observation.detail),
            watch.output,
        )
        return observation.outcome
    left = watch.deadline - time.time()
    if left <= 0:
        waited = f"after {env.settings.follow_up_seconds} s (FOLLOW_UP_SECONDS): {observation.detail}"
        conclude(env, watch, stored, Outcome.TIMED_OUT, _sentence(watch.note, waited), watch.output)
        return Outcome.TIMED_OUT.value
    return look_again(env, watch, left, on="report")


def look_again(env: _Env, watch: Watch, left: float, *, on: str) -> str:
    """Schedule the next look of a follow-up (on a `report` or an `alert`), within what is `left`."""
    env.queue.enqueue_in(
        timedelta(seconds=min(poll_interval(env.settings), left)),
        FOLLOW_UP,
        kwargs=asdict(watch),
        job_timeout=FOLLOW_UP_JOB_TIMEOUT_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        on_failure=Callback(ON_ACTION_FAILURE),
        description=f"mailcheck follow-up of {watch.action} on {on} {watch.report_id}",
    )
    return "watching"


def _sentence(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


def action_failed(job: Job, connection: redis.Redis, *exc_info: Any) -> None:
    """RQ on_failure callback: an accepted press whose job died still gets its `failed` reply."""
    if job.retries_left:
        return
    try:
        _conclude_failed(job, exc_info[0] if exc_info else None)
    except Exception:  # raising here stops RQ's registry cleanup and ends the worker's loop
        log.exception("job %s: the press's failure could not be recorded", job.id)


def _conclude_failed(job: Job, exc_type: type[BaseException] | None) -> None:
    kwargs = job.kwargs
    ticket = Ticket(kwargs["report_id"], kwargs["action"], kwargs["actor"], kwargs["claim"])
    env = _Env.open()
    reason = exc_type.__name__ if exc_type is not None else "worker lost"
    if is_alert_id(ticket.report_id):
        from workers.jobs.alert_action import conclude_alert, load_alert

        alert = load_alert(env, ticket)
        if alert is not None:
            detail = f"the {action_label(ticket.action)} job could not finish ({reason})"
            conclude_alert(env, ticket, alert, Outcome.FAILED, detail)
        return
    stored = env.store.load(ticket.report_id)
    if stored is None:  # no thread left to report into; the press must not stay `duplicate` for good
        env.guard.release(ticket.guard_claim)
        return
    conclude(
        env,
        ticket,
        stored,
        Outcome.FAILED,
        f"the {action_label(ticket.action)} job could not finish ({reason})",
    )
