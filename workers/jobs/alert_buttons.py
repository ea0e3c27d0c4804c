"""The buttons on the courier watch's alerts (SPEC §11): `flush` (on courier_stuck only) and `rerun`.

A flush runs COURIER_FLUSH_COMMAND for the alert's own Kratos instance, then follows that instance's
whole waiting queue (every recipient, any age) with the same follow-up as a report's; a re-run runs a
watch round now. Every accepted press ends in one outcome reply in the alert's thread, and a flush that
worked starts a round at once.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime

from workers.clients.alert_store import AlertStore
from workers.clients.kratos import kratos_admin
from workers.core.settings import KratosInstance
from workers.core.timeouts import KRATOS_ACTION_TIMEOUT_S
from workers.jobs.press import FollowUp, PressEnv, conclude, flush_then_follow, look_again, sentence, waited
from workers.jobs.queueing import Ticket, enqueue_watch_round
from workers.jobs.watch import BUSY, run_round
from workers.remediation.follow_up import observe_queue_flush, queue_pending_ids
from workers.report.actions import Action
from workers.report.alerts import Alert
from workers.slack.audit import ActionEntry, Outcome


def conclude_alert(
    env: PressEnv, ticket: Ticket, alert: Alert, outcome: Outcome, detail: str, output: str = ""
) -> None:
    def post(entry: ActionEntry) -> None:
        env.audit.reply_in(alert.channel, alert.ts, entry)

    if not conclude(env, ticket, post, outcome, detail, output):
        return
    if ticket.action == Action.FLUSH and outcome is Outcome.OK:
        enqueue_watch_round(env.queue, env.settings, trigger="flush")


def load(env: PressEnv, ticket: Ticket) -> Alert | None:
    """The alert the press was on; None (and the claim freed) when it is gone."""
    alert = AlertStore(env.redis).load(ticket.subject_id)
    if alert is None:
        env.guard.release(ticket.guard_claim)
    return alert


def run(env: PressEnv, ticket: Ticket) -> str:
    alert = load(env, ticket)
    if alert is None:
        return "alert gone"
    if ticket.action == Action.RERUN:
        result = run_round(trigger="button")
        detail = (
            "a round was already running; this alert shows its result"
            if result == BUSY
            else f"the watch round ran: {result}"
        )
        conclude_alert(env, ticket, alert, Outcome.OK, detail)
    elif ticket.action == Action.FLUSH:
        _flush(env, ticket, alert)
    else:
        conclude_alert(env, ticket, alert, Outcome.FAILED, f"alerts do not offer {ticket.action!r}")
    return ticket.action


async def _pending(env: PressEnv, instance: KratosInstance) -> list[str]:
    async with kratos_admin(env.settings, timeout=KRATOS_ACTION_TIMEOUT_S, instance=instance) as kratos:
        return await queue_pending_ids(kratos)


def _flush(env: PressEnv, ticket: Ticket, alert: Alert) -> None:
    settings = env.settings
    if not settings.courier_flush_command:
        conclude_alert(env, ticket, alert, Outcome.FAILED, "COURIER_FLUSH_COMMAND is not set on the worker")
        return
    instance = settings.instance(alert.instance)
    if instance is None:  # never another instance's courier: it is not the one this alert is about
        gone = f"the Kratos instance `{alert.instance}` of this alert is not in KRATOS_INSTANCES any more"
        conclude_alert(env, ticket, alert, Outcome.FAILED, gone)
        return
    since = datetime.now(UTC)
    ran, follow = flush_then_follow(
        env, ticket, since=since, pending=_pending(env, instance), instance=instance.name
    )
    if not ran:
        conclude_alert(env, ticket, alert, Outcome.FAILED, follow.note, follow.output)
        return
    step(env, follow, alert)


def step(env: PressEnv, follow: FollowUp, alert: Alert) -> str:
    """Look once at the watched messages; conclude, or schedule the next look."""

    async def look() -> tuple[str | None, str]:
        instance = env.settings.instance(alert.instance)
        timeout = KRATOS_ACTION_TIMEOUT_S
        async with kratos_admin(env.settings, timeout=timeout, instance=instance) as kratos:
            seen = await observe_queue_flush(kratos, watched=follow.watched)
            return seen.outcome, seen.detail

    outcome, detail = asyncio.run(look())
    if outcome is not None:
        conclude_alert(env, follow, alert, Outcome(outcome), sentence(follow.note, detail), follow.output)
        return outcome
    left = follow.deadline - time.time()
    if left <= 0:
        said = sentence(follow.note, waited(env.settings, detail))
        conclude_alert(env, follow, alert, Outcome.TIMED_OUT, said, follow.output)
        return Outcome.TIMED_OUT.value
    return look_again(env, follow, left)


def fail(env: PressEnv, ticket: Ticket, detail: str) -> None:
    alert = load(env, ticket)
    if alert is not None:
        conclude_alert(env, ticket, alert, Outcome.FAILED, detail)
