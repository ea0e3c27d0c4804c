"""The buttons on a report (SPEC §7): re-run, flush, send a verification or recovery code, lift a
suppression. `run` does the pressed action once; a code send or a flush then hands over to its
follow-up (`step`), which looks once and re-schedules itself (the worker runs RQ's scheduler) until
the outcome is known or FOLLOW_UP_SECONDS pass; no job sleeps. Every accepted press ends in one
outcome reply in the report's thread.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from workers.clients.kratos import KratosError
from workers.clients.store import StoredReport
from workers.core.keys import address_form
from workers.core.settings import KratosInstance
from workers.core.times import CLOCK_SKEW
from workers.jobs.press import (
    FollowUp,
    PressEnv,
    conclude,
    flush_then_follow,
    look_again,
    sentence,
    waited,
)
from workers.jobs.queueing import Ticket
from workers.jobs.report import run_report
from workers.remediation import CODE_FLOWS, kratos_for
from workers.remediation.code_flow import send_code
from workers.remediation.follow_up import observe, snapshot
from workers.remediation.unsuppress import unsuppress
from workers.report.actions import Action
from workers.report.model import new_report_id
from workers.report.verdict import addresses_to_check
from workers.slack.audit import ActionEntry, Outcome


def conclude_report(
    env: PressEnv, ticket: Ticket, stored: StoredReport, outcome: Outcome, detail: str, output: str = ""
) -> None:
    """The press's one outcome, in the report's thread (a re-run's is the new report it posted)."""
    quiet = ticket.action in (Action.RERUN, Action.CHECK_ADDRESS) and outcome is Outcome.OK

    def post(entry: ActionEntry) -> None:
        env.audit.record(stored, entry, reply=not quiet)

    conclude(env, ticket, post, outcome, detail, output)


def run(env: PressEnv, ticket: Ticket) -> str:
    stored = env.store.load(ticket.subject_id)
    if stored is None:  # expired since the press: there is no thread left to report into
        env.guard.release(ticket.guard_claim)
        return "report gone"
    if ticket.action == Action.RERUN:
        _rerun(env, ticket, stored)
    elif ticket.action == Action.CHECK_ADDRESS:
        _check_address(env, ticket, stored)
    elif ticket.action == Action.FLUSH:
        _flush(env, ticket, stored)
    elif ticket.action in CODE_FLOWS:
        _send_code(env, ticket, stored)
    elif ticket.action == Action.UNSUPPRESS:
        result = asyncio.run(unsuppress(env.settings, stored.report.email))
        conclude_report(env, ticket, stored, Outcome.OK if result.ok else Outcome.FAILED, result.detail)
    else:
        conclude_report(env, ticket, stored, Outcome.FAILED, f"unknown action {ticket.action!r}")
    return ticket.action


def _instance_or_conclude(env: PressEnv, ticket: Ticket, stored: StoredReport) -> KratosInstance | None:
    instance = kratos_for(env.settings, stored.report)
    if instance is None:
        gone = (
            f"the Kratos instance `{stored.report.instance}` of this report is no longer in KRATOS_INSTANCES"
        )
        conclude_report(env, ticket, stored, Outcome.FAILED, gone)
    return instance


def _rerun(env: PressEnv, ticket: Ticket, stored: StoredReport) -> None:
    new_id = new_report_id()
    root = stored.thread_ts or stored.ts
    verdict = run_report(
        new_id,
        stored.report.email,
        stored.channel,
        "",
        ticket.actor,
        thread_ts=root,
        typed=stored.typed,
        private=stored.private,
    )
    conclude_report(env, ticket, stored, Outcome.OK, f"new report {new_id} in the thread: {verdict}")


def _check_address(env: PressEnv, ticket: Ticket, stored: StoredReport) -> None:
    """SPEC §14: a full report for a look-alike address, posted in the thread like a re-run's."""
    addresses = addresses_to_check(stored.report.checks)
    if not 0 <= ticket.item < len(addresses):
        conclude_report(env, ticket, stored, Outcome.FAILED, "this report offers no such address to check")
        return
    new_id = new_report_id()
    root = stored.thread_ts or stored.ts
    verdict = run_report(
        new_id, address_form(addresses[ticket.item]), stored.channel, "", ticket.actor, thread_ts=root
    )
    detail = f"new report {new_id} for look-alike address {ticket.item + 1} in the thread: {verdict}"
    conclude_report(env, ticket, stored, Outcome.OK, detail)


def _flush(env: PressEnv, ticket: Ticket, stored: StoredReport) -> None:
    settings, email = env.settings, stored.report.email
    if not settings.courier_flush_command:
        conclude_report(env, ticket, stored, Outcome.FAILED, "COURIER_FLUSH_COMMAND is not set on the worker")
        return
    if (instance := _instance_or_conclude(env, ticket, stored)) is None:
        return
    since = datetime.now(UTC) - timedelta(days=settings.lookback_days)
    pending = snapshot(settings, email, since=since, pending_only=True, instance=instance)
    ran, follow = flush_then_follow(env, ticket, since=since, pending=pending, instance=instance.name)
    if not ran:
        conclude_report(env, ticket, stored, Outcome.FAILED, follow.note, follow.output)
        return
    step(env, follow, stored)


def _send_code(env: PressEnv, ticket: Ticket, stored: StoredReport) -> None:
    settings, email = env.settings, stored.report.email
    kind = CODE_FLOWS[Action(ticket.action)]
    if (instance := _instance_or_conclude(env, ticket, stored)) is None:
        return
    started = datetime.now(UTC)
    try:  # the messages there before the flow, so that the new one can be told apart
        known = asyncio.run(snapshot(settings, email, since=started - CLOCK_SKEW, instance=instance))
    except KratosError:
        known = []  # the follow-up then takes the newest code message of this kind as the new one
    flow = asyncio.run(send_code(settings, kind, email, instance))
    if not flow.ok:
        conclude_report(env, ticket, stored, Outcome.FAILED, flow.detail)
        return
    deadline = time.time() + settings.follow_up_seconds
    follow = FollowUp(
        **asdict(ticket), deadline=deadline, since=started.isoformat(), known=known, note=flow.detail
    )
    step(env, follow, stored)


def step(env: PressEnv, follow: FollowUp, stored: StoredReport) -> str:
    """Look once; conclude, or schedule the next look."""
    kind = CODE_FLOWS.get(Action(follow.action))
    since = datetime.fromisoformat(follow.since)
    observation = asyncio.run(
        observe(
            env.settings,
            stored.report.email,
            kind=kind,
            since=since,
            known=follow.known,
            watched=follow.watched,
            instance=kratos_for(env.settings, stored.report),
        )
    )
    if observation.outcome is not None:
        detail = sentence(follow.note, observation.detail)
        conclude_report(env, follow, stored, Outcome(observation.outcome), detail, follow.output)
        return observation.outcome
    left = follow.deadline - time.time()
    if left <= 0:
        detail = sentence(follow.note, waited(env.settings, observation.detail))
        conclude_report(env, follow, stored, Outcome.TIMED_OUT, detail, follow.output)
        return Outcome.TIMED_OUT.value
    return look_again(env, follow, left)


def fail(env: PressEnv, ticket: Ticket, detail: str) -> None:
    """The job of an accepted press died: its `failed` outcome, or its claim freed when no thread is left."""
    stored = env.store.load(ticket.subject_id)
    if stored is None:  # the press must not stay `duplicate` for good
        env.guard.release(ticket.guard_claim)
        return
    conclude_report(env, ticket, stored, Outcome.FAILED, detail)
