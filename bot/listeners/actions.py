"""The buttons: ack, decide what the press is about (a report or a watch alert, once), admit it, write
it into that thread, hand it to a worker."""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import redis
from slack_bolt import Ack, App

from bot.authz import Authorizer, PressGate
from bot.deps import Deps
from bot.errors import ServiceUnavailable, UserFacingError
from bot.starting import response_url, tell
from workers.clients.alert_store import AlertStore
from workers.jobs.queueing import Ticket, claim_hold_s, enqueue_action
from workers.remediation.guard import Claim, Guard
from workers.report.actions import Subject, SubjectKind
from workers.slack.audit import ActionEntry, AuditLog, Outcome
from workers.slack.errors import SlackError
from workers.slack.ids import ACTION_PREFIX, Action

log = logging.getLogger(__name__)


class AlertGone(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            ":warning: mailcheck no longer knows this alert (alerts are kept for 7 days). Nothing was done."
        )


class ReportGone(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            ":warning: mailcheck no longer knows this report (reports are kept for 7 days). "
            "Nothing was done; run `/mailcheck EMAIL` again."
        )


_KNOWN = frozenset(Action)


@dataclass(frozen=True)
class Press:
    action: str  # without the prefix
    subject: Subject  # what the button is on
    actor: str


class UnknownButton(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            ":warning: mailcheck does not know this button (it may come from an older version). "
            "Nothing was done; run `/mailcheck EMAIL` again."
        )


class NoActor(UserFacingError):
    def __init__(self) -> None:
        super().__init__(":x: Slack's request did not say who pressed the button; nothing was done.")


def parse_press(body: dict[str, Any]) -> Press:
    """The pressed button, from a block_actions payload; only the report id is taken from its value."""
    actions, user = body.get("actions"), body.get("user")
    action = actions[0] if isinstance(actions, list) and actions and isinstance(actions[0], dict) else {}
    action_id, value = action.get("action_id"), action.get("value")
    actor = user.get("id") if isinstance(user, dict) else None
    if not (isinstance(action_id, str) and action_id.startswith(ACTION_PREFIX)):
        action_id = ""  # no button of ours
    return Press(
        action=action_id.removeprefix(ACTION_PREFIX),
        subject=Subject.of(
            value if isinstance(value, str) else ""
        ),  # a button's value is a string, or names nothing
        actor=actor if isinstance(actor, str) else "",
    )


def answer(body: dict[str, Any], error: UserFacingError) -> None:
    """Tell the presser ephemerally (Slack ignores the body of an interaction's HTTP answer)."""
    tell(response_url(body), str(error))


class _Presses:
    """One press, start to end; shared by the five buttons' listeners."""

    def __init__(self, deps: Deps) -> None:
        settings = deps.settings
        self._deps = deps
        self._guard = Guard(deps.redis, hold_s=claim_hold_s(settings))
        self._gate = PressGate(settings, Authorizer(settings, deps.redis, deps.poster), self._guard)
        self._audit = AuditLog(deps.poster, deps.redis, settings)

    def handle(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        # The press is handled after the ack, off the request thread (Slack calls and Redis can take a
        # while); its errors are answered ephemerally through the response_url.
        self._deps.background.submit(self._handle_acked, body)

    def _handle_acked(self, body: dict[str, Any]) -> None:
        try:
            self._press(parse_press(body))
        except UserFacingError as exc:
            answer(body, exc)
        except Exception:  # off Bolt's path: nothing else would log it
            log.exception("handling a button press failed")

    def _press(self, press: Press) -> None:
        if press.action not in _KNOWN:
            raise UnknownButton()
        if not press.actor:
            raise NoActor()
        try:
            if press.subject.kind is SubjectKind.ALERT:
                self._alert_press(press)
            else:
                self._report_press(press)
        except redis.RedisError:
            raise ServiceUnavailable("its Redis is unreachable") from None

    def _report_press(self, press: Press) -> None:
        stored = self._deps.store.load(press.subject.id) if press.subject.id else None
        if stored is None:
            raise ReportGone()
        entry, claim = self._gate.admit(stored, press.action, press.actor, item=press.subject.item)
        self._answer(lambda said: self._audit.record(stored, said), press.subject, entry, claim)

    def _alert_press(self, press: Press) -> None:
        """A button on a watch alert: the same guards, the audit reply in the alert's thread."""
        alert = AlertStore(self._deps.redis).load(press.subject.id)
        if alert is None or not alert.ts:
            raise AlertGone()
        entry, claim = self._gate.admit_alert(alert, press.action, press.actor)
        self._answer(
            lambda said: self._audit.reply_in(alert.channel, alert.ts, said), press.subject, entry, claim
        )

    def _answer(
        self, reply: Callable[[ActionEntry], None], subject: Subject, entry: ActionEntry, claim: Claim | None
    ) -> None:
        """Write the press into the report's or alert's thread, then start what it accepted."""
        try:
            reply(entry)
        except SlackError as exc:
            if claim is not None:
                self._guard.release(claim)  # nothing was started, and nothing must be
            raise UserFacingError(
                f":x: could not write to the {subject.kind}'s thread ({exc.error}); nothing was done."
            ) from None
        if claim is not None:
            self._start(reply, subject, entry, claim)

    def _start(
        self, reply: Callable[[ActionEntry], None], subject: Subject, entry: ActionEntry, claim: Claim
    ) -> None:
        item = -1 if subject.item is None else subject.item
        ticket = Ticket(subject.kind, subject.id, entry.action, entry.actor, claim.token, item)
        try:
            enqueue_action(self._deps.queue, self._deps.settings, ticket)
        except redis.RedisError:
            # Nothing was started: free the claim first, so the button works again whatever follows.
            with contextlib.suppress(redis.RedisError):
                self._guard.release(claim)
            # The press is already `accepted` in the thread, so it gets its outcome there too.
            failed = ActionEntry(
                entry.report_id, entry.action, entry.actor, Outcome.FAILED, "it could not be queued"
            )
            try:
                reply(failed)
            except (SlackError, redis.RedisError) as exc:  # the presser is still answered, by the caller
                log.warning("press on %s: its failure is not in the thread (%s)", entry.report_id, exc)
            raise


def register(app: App, deps: Deps) -> None:
    presses = _Presses(deps)

    def on_press(ack: Ack, body: dict[str, Any]) -> None:
        presses.handle(ack, body)

    for action in Action:
        app.action(action.action_id)(on_press)
    # Registered last, so it sees only the presses none of the five took (Bolt runs the first match):
    # those get a clear "unknown button" answer rather than Bolt's 404.
    app.action({"type": "block_actions", "action_id": re.compile(".*")})(on_press)
