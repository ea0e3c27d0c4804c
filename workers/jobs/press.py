"""What every button job shares (SPEC §7): the clients a job builds, the follow-up it carries from one
look to the next, and `conclude`, the one way an accepted press gets its one outcome reply.

The report's buttons (report_buttons.py) and the courier watch's (alert_buttons.py) build on this;
buttons.py holds the RQ entry points that send a press to one or the other.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import redis
from rq import Callback, Queue

from workers.clients.kratos import KratosError
from workers.clients.metrics_store import record_action
from workers.clients.store import ReportStore
from workers.core.scrub import redact_self_service_urls, settings_secrets
from workers.core.settings import Settings
from workers.core.timeouts import FLUSH_TIMEOUT_S
from workers.jobs.queueing import (
    FAILURE_TTL_S,
    FOLLOW_UP,
    ON_ACTION_FAILURE,
    RESULT_TTL_S,
    Ticket,
    claim_hold_s,
    make_queue,
)
from workers.jobs.report import job_connection, settings_from_env
from workers.remediation.flush import run_flush
from workers.remediation.guard import Guard
from workers.slack.api import SlackPoster, web_client
from workers.slack.audit import ActionEntry, AuditLog, Outcome
from workers.slack.errors import SlackError

log = logging.getLogger(__name__)

FOLLOW_UP_JOB_TIMEOUT_S = 60  # one look at Kratos and the provider, each with its own timeout
POLL_MIN_S, POLL_MAX_S, POLLS_PER_WINDOW = 1.0, 10.0, 20


@dataclass(frozen=True)
class FollowUp(Ticket):
    """What a follow-up looks for, carried from one follow-up job to the next."""

    deadline: float = 0.0  # epoch seconds
    since: str = ""  # ISO time: messages older than this are not looked at
    known: list[str] = field(default_factory=list)  # a code send: messages there before the flow started
    watched: list[str] = field(default_factory=list)  # flush: the queued messages it should move
    note: str = ""  # what the action itself said (the flush command's exit status)
    output: str = ""  # the flush command's scrubbed last lines


def poll_interval(settings: Settings) -> float:
    return min(POLL_MAX_S, max(POLL_MIN_S, settings.follow_up_seconds / POLLS_PER_WINDOW))


@dataclass
class PressEnv:
    """What a button job builds from the settings."""

    settings: Settings
    redis: redis.Redis
    queue: Queue
    store: ReportStore
    guard: Guard
    audit: AuditLog

    @classmethod
    def open(cls) -> PressEnv:
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
    env: PressEnv,
    ticket: Ticket,
    post: Callable[[ActionEntry], None],
    outcome: Outcome,
    detail: str,
    output: str = "",
) -> bool:
    """Post the one outcome reply of an accepted press (`post` writes it into the subject's thread),
    then end its claim; False when another attempt had already concluded it. A reply Slack would not
    take leaves the press unconcluded, for the failure callback to post (raises SlackError)."""
    claim = ticket.guard_claim
    if not env.guard.conclude_once(claim):
        return False
    entry = ActionEntry(ticket.subject_id, ticket.action, ticket.actor, outcome, detail, output)
    try:
        post(entry)
    except SlackError:
        env.guard.unconclude(claim)
        raise
    env.guard.finish(claim)
    record_action(env.redis, ticket.action, outcome.value)
    log.info("%s on %s %s: %s", ticket.action, ticket.subject, ticket.subject_id, outcome.value)
    return True


def flush_then_follow(
    env: PressEnv, ticket: Ticket, *, since: datetime, pending: Coroutine[Any, Any, list[str]], instance: str
) -> tuple[bool, FollowUp]:
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
    log.info("flush on %s for %s: exit status %s", instance, ticket.subject_id, result.exit_status)
    deadline = time.time() + settings.follow_up_seconds
    note, output = result.describe() + unseen, result.output
    follow = FollowUp(**asdict(ticket), deadline=deadline, since=since.isoformat(), watched=watched)
    return result.ok, _with(follow, note=note, output=output)


def _with(follow: FollowUp, **changes: Any) -> FollowUp:
    return FollowUp(**{**asdict(follow), **changes})


def look_again(env: PressEnv, follow: FollowUp, left: float) -> str:
    """Schedule the next look of a follow-up, within what is `left` of its time."""
    env.queue.enqueue_in(
        timedelta(seconds=min(poll_interval(env.settings), left)),
        FOLLOW_UP,
        kwargs=asdict(follow),
        job_timeout=FOLLOW_UP_JOB_TIMEOUT_S,
        result_ttl=RESULT_TTL_S,
        failure_ttl=FAILURE_TTL_S,
        on_failure=Callback(ON_ACTION_FAILURE),
        description=f"mailcheck follow-up of {follow.action} on {follow.subject} {follow.subject_id}",
    )
    return "watching"


def waited(settings: Settings, detail: str) -> str:
    return f"after {settings.follow_up_seconds} s (FOLLOW_UP_SECONDS): {detail}"


def sentence(*parts: str) -> str:
    return "; ".join(part for part in parts if part)
