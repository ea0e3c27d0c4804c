"""The buttons on the courier watch's alerts (SPEC §11): `flush` and `rerun`, run like a report's.

`workers.jobs.action` hands over here when the press names an alert. A flush runs
COURIER_FLUSH_COMMAND, then follows the instance's whole queue (no recipient) with the same
follow-up as a report's flush; a re-run runs a watch round now. Every accepted press ends in one
outcome reply in the alert's thread, and a flush that worked starts a round at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import UTC, datetime

from workers.clients.alert_store import AlertStore
from workers.clients.kratos import kratos_admin
from workers.core.settings import KratosInstance
from workers.core.timeouts import KRATOS_ACTION_TIMEOUT_S
from workers.jobs.action import Watch, _Env, _sentence, flush_then_watch, look_again
from workers.jobs.queueing import (
    Ticket,
    enqueue_watch_round,
)
from workers.jobs.watch import BUSY, run_round
from workers.remediation.follow_up import observe_queue_flush, queue_pending_ids
from workers.report.alerts import Alert
from workers.slack.audit import ActionEntry, Outcome
from workers.slack.ids import Action

log = logging.getLogger(__name__)


def _instance(env: _Env, alert: Alert) -> KratosInstance | None:
    """The alert's Kratos instance; None when it is no longer configured (or a deployment-wide alert)."""
    return env.settings.instance(alert.instance)


def conclude_alert(
    env: _Env, ticket: Ticket, alert: Alert, outcome: Outcome, detail: str, output: str = ""
) -> None:
    claim = ticket.guard_claim
    if not env.guard.conclude_once(claim):
        return
    entry = ActionEntry(alert.alert_id, ticket.action, ticket.actor, outcome, detail, output)
    try:
        env.audit.reply_in(alert.channel, alert.ts, entry)
    except Exception:
        env.guard.unconclude(claim)  # so that the failure callback can still post it
        raise
    env.guard.finish(claim)
    log.info("%s on alert %s: %s", ticket.action, alert.alert_id, outcome.value)
    if ticket.action == Action.FLUSH and outcome is Outcome.OK:
        enqueue_watch_round(env.queue, env.settings, trigger="flush")


def load_alert(env: _Env, ticket: Ticket) -> Alert | None:
    alert = AlertStore(env.redis).load(ticket.report_id)
    if alert is None:
        env.guard.release(ticket.guard_claim)
    return alert


def run_alert_action(ticket: Ticket) -> str:
    env = _Env.open()
    alert = load_alert(env, ticket)
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


async def _pending(env: _Env, instance: KratosInstance) -> list[str]:
    async with kratos_admin(env.settings, timeout=KRATOS_ACTION_TIMEOUT_S, instance=instance) as kratos:
        return await queue_pending_ids(kratos)


def _flush(env: _Env, ticket: Ticket, alert: Alert) -> None:
    settings = env.settings
    if not settings.courier_flush_command:
        conclude_alert(env, ticket, alert, Outcome.FAILED, "COURIER_FLUSH_COMMAND is not set on the worker")
        return
    instance = _instance(env, alert)
    if instance is None:  # never another instance's courier: it is not the one this alert is about
        gone = f"the Kratos instance `{alert.instance}` of this alert is not in KRATOS_INSTANCES any more"
        conclude_alert(env, ticket, alert, Outcome.FAILED, gone)
        return
    since = datetime.now(UTC)
    pending = _pending(env, instance)
    ran, watch = flush_then_watch(env, ticket, since=since, pending=pending, instance=instance.name)
    if not ran:
        conclude_alert(env, ticket, alert, Outcome.FAILED, watch.note, watch.output)
        return
    step_alert(env, watch, alert)


def step_alert(env: _Env, watch: Watch, alert: Alert) -> str:
    """Look once at the watched messages; conclude, or schedule the next look (the report's follow-up)."""

    async def look() -> tuple[str | None, str]:
        timeout = KRATOS_ACTION_TIMEOUT_S
        async with kratos_admin(env.settings, timeout=timeout, instance=_instance(env, alert)) as kratos:
            seen = await observe_queue_flush(kratos, watched=watch.watched)
            return seen.outcome, seen.detail

    outcome, detail = asyncio.run(look())
    if outcome is not None:
        conclude_alert(env, watch, alert, Outcome(outcome), _sentence(watch.note, detail), watch.output)
        return outcome
    left = watch.deadline - time.time()
    if left <= 0:
        waited = f"after {env.settings.follow_up_seconds} s (FOLLOW_UP_SECONDS): {detail}"
        conclude_alert(env, watch, alert, Outcome.TIMED_OUT, _sentence(watch.note, waited), watch.output)
        return Outcome.TIMED_OUT.value
    return look_again(env, watch, left, on="alert")
