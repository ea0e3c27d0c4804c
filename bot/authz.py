"""Who may do what with a button (SPEC §7), in the order the refusals are checked:

1. the report (or the watch's alert, SPEC §11) offers the action (a button's value cannot trigger
   anything the report did not offer; a resolved alert offers no changing action);
2. changing actions need an operator: a user in MAILCHECK_OPERATORS or a member of
   MAILCHECK_OPERATOR_GROUP (membership read through SlackPoster, cached in Redis ≤ 5 min); nobody
   when neither is set (fail closed);
3. the same action on the same report is done once (the Redis guard, shared by every process);
4. resends stay within RESEND_LIMIT_PER_HOUR per recipient.
Refused presses change nothing and use up nothing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

import redis

from workers.clients.keyspace import OPERATOR_GROUP_PREFIX, OPERATOR_GROUP_TTL_S
from workers.clients.store import StoredReport
from workers.core.settings import Settings, operators_configured
from workers.jobs.queueing import claim_key
from workers.remediation import CHANGING_ACTIONS, CODE_FLOWS
from workers.remediation.guard import DONE, SEND_WINDOW_S, Claim, Guard
from workers.report.actions import Action, Subject, SubjectKind
from workers.report.alerts import OPEN, Alert
from workers.report.verdict import addresses_to_check
from workers.slack.api import SlackPoster
from workers.slack.audit import ActionEntry, Outcome, action_label
from workers.slack.errors import SlackError

log = logging.getLogger(__name__)

NO_OPERATORS = (
    "no operators are configured, so nobody may change anything: "
    "set MAILCHECK_OPERATORS or MAILCHECK_OPERATOR_GROUP"
)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


class Authorizer:
    def __init__(self, settings: Settings, connection: redis.Redis, poster: SlackPoster) -> None:
        self._settings, self._redis, self._poster = settings, connection, poster

    def authorize(self, user: str) -> Decision:
        settings = self._settings
        if not operators_configured(settings):
            return Decision(False, NO_OPERATORS)
        if user in settings.mailcheck_operators:
            return Decision(True, "listed in MAILCHECK_OPERATORS")
        group = settings.mailcheck_operator_group
        if not group:
            return Decision(False, f"{user} is not listed in MAILCHECK_OPERATORS")
        try:
            members = self._members(group)
        except SlackError as exc:  # cannot tell: refuse rather than guess
            return Decision(False, f"the operator group could not be read from Slack ({exc.error})")
        if user in members:
            return Decision(True, "member of the operator group")
        return Decision(False, f"{user} is neither in MAILCHECK_OPERATORS nor in the operator group")

    def _members(self, group: str) -> set[str]:
        key = OPERATOR_GROUP_PREFIX + group
        try:
            cached = self._redis.get(key)
        except redis.RedisError:
            cached = None
        if isinstance(cached, (str, bytes)):
            return set(json.loads(cached))
        members = self._poster.usergroup_members(group)  # only answers are cached, never failures
        try:
            self._redis.set(key, json.dumps(sorted(members)), ex=OPERATOR_GROUP_TTL_S)
        except redis.RedisError as exc:
            log.warning("operator group membership not cached: %s", type(exc).__name__)
        return set(members)


def channel_allowed(settings: Settings, channel: str) -> bool:
    """MAILCHECK_CHANNELS: where a check may run (unset: anywhere)."""
    return not settings.mailcheck_channels or channel in settings.mailcheck_channels


class PressGate:
    """Decides a press: the thread reply it gets, and the claim when it is accepted."""

    def __init__(self, settings: Settings, authorizer: Authorizer, guard: Guard) -> None:
        self._settings, self._authorizer, self._guard = settings, authorizer, guard

    def admit(
        self, stored: StoredReport, action: str, actor: str, *, item: int | None = None
    ) -> tuple[ActionEntry, Claim | None]:
        report = stored.report
        subject = Subject(SubjectKind.REPORT, report.report_id, item)
        offered = list(report.actions)
        if action == Action.CHECK_ADDRESS and not (
            item is not None and item < len(addresses_to_check(report.checks))
        ):
            offered = [a for a in offered if a != action]  # no such address on this report
        return self._admit(subject, offered, action, actor, email=report.email)

    def admit_alert(self, alert: Alert, action: str, actor: str) -> tuple[ActionEntry, Claim | None]:
        """A press on a watch alert (SPEC §11): the same guards; a resolved alert fixes nothing."""
        offered = (
            alert.actions if alert.state == OPEN else [a for a in alert.actions if a not in CHANGING_ACTIONS]
        )
        return self._admit(Subject(SubjectKind.ALERT, alert.alert_id), offered, action, actor, email="")

    def _admit(
        self, subject: Subject, offered: list[str], action: str, actor: str, *, email: str
    ) -> tuple[ActionEntry, Claim | None]:
        """`subject` is the report or the alert the button was on; `offered`, what it offers."""
        subject_id = subject.id

        def refuse(outcome: Outcome, detail: str) -> tuple[ActionEntry, Claim | None]:
            return ActionEntry(subject_id, action, actor, outcome, detail), None

        if action not in offered:
            return refuse(Outcome.DENIED, f"this {subject.kind} does not offer {action_label(action)}")
        if action in CHANGING_ACTIONS:
            decision = self._authorizer.authorize(actor)
            if not decision.allowed:
                return refuse(Outcome.DENIED, decision.reason)
        claim = self._guard.claim(subject_id, claim_key(action, subject.item))
        if claim is None:
            return refuse(Outcome.DUPLICATE, self._duplicate_reason(subject, action))
        detail = ""
        if action in CODE_FLOWS:
            limit = self._settings.resend_limit_per_hour
            budget = self._guard.take_send(email, claim, limit=limit)
            if not budget.allowed:
                self._guard.release(claim)
                wait = max(1, int((SEND_WINDOW_S - budget.oldest_age_s) // 60) + 1)
                return refuse(
                    Outcome.RATE_LIMITED,
                    f"{budget.used} sends to this address in the last hour (RESEND_LIMIT_PER_HOUR={limit}); "
                    f"the next is possible in about {wait} min",
                )
            detail = f"send {budget.used} of {limit} to this address this hour"
        return ActionEntry(subject_id, action, actor, Outcome.ACCEPTED, detail), claim

    def _duplicate_reason(self, subject: Subject, action: str) -> str:
        if self._guard.state(subject.id, claim_key(action, subject.item)) == DONE:
            return f"it was done on this {subject.kind} less than a minute ago"
        return f"it is already running for this {subject.kind}"
