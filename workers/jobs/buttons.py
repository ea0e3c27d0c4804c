"""RQ entry points for every button (SPEC §7, §11): plain-data arguments, every job short.

The bot decides once what a press is about (a report or an alert: `Ticket.subject`); these send it to
report_buttons.py or alert_buttons.py. Every accepted press ends in exactly one outcome reply, also
when its job dies (`action_failed`), and the exactly-once claim is then finished.
"""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

import redis
from rq.job import Job

from workers.core.logs import correlated_job
from workers.jobs import alert_buttons, report_buttons
from workers.jobs.press import FollowUp, PressEnv
from workers.jobs.queueing import Ticket
from workers.report.actions import SubjectKind
from workers.slack.audit import action_label

log = logging.getLogger(__name__)


def _buttons(subject: str) -> ModuleType:
    return alert_buttons if subject == SubjectKind.ALERT else report_buttons


@correlated_job
def run_action(subject: str, subject_id: str, action: str, actor: str, claim: str, item: int = -1) -> str:
    ticket = Ticket(subject, subject_id, action, actor, claim, item)
    result: str = _buttons(subject).run(PressEnv.open(), ticket)
    return result


@correlated_job
def follow_up(**kwargs: Any) -> str:
    follow = FollowUp(**kwargs)
    env = PressEnv.open()
    if follow.subject == SubjectKind.ALERT:
        alert = alert_buttons.load(env, follow)
        return alert_buttons.step(env, follow, alert) if alert is not None else "alert gone"
    stored = env.store.load(follow.subject_id)
    if stored is None:
        env.guard.release(follow.guard_claim)
        return "report gone"
    return report_buttons.step(env, follow, stored)


def action_failed(job: Job, connection: redis.Redis, *exc_info: Any) -> None:
    """RQ on_failure callback: an accepted press whose job died still gets its `failed` reply."""
    if job.retries_left:
        return
    try:
        kwargs = job.kwargs
        ticket = Ticket(
            kwargs["subject"], kwargs["subject_id"], kwargs["action"], kwargs["actor"], kwargs["claim"]
        )
        exc_type = exc_info[0] if exc_info else None
        reason = exc_type.__name__ if exc_type is not None else "worker lost"
        detail = f"the {action_label(ticket.action)} job could not finish ({reason})"
        _buttons(ticket.subject).fail(PressEnv.open(), ticket, detail)
    except Exception:  # raising here stops RQ's registry cleanup and ends the worker's loop
        log.exception("job %s: the press's failure could not be recorded", job.id)
