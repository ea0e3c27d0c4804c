"""The five buttons: ack, load the report, admit the press, write it into the thread, enqueue."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import redis
from slack_bolt import Ack, App

from bot.authz import Authorizer, PressGate
from bot.deps import Deps
from bot.errors import ServiceUnavailable, UserFacingError
from workers.action_jobs import Ticket, claim_hold_s, enqueue_action
from workers.audit import ActionEntry, AuditLog, Outcome
from workers.remediation.guard import Claim, Guard
from workers.slack_api import SlackError, respond_ephemeral
from workers.slack_ids import ACTION_PREFIX, Action
from workers.store import StoredReport


class ReportGone(UserFacingError):
    def __init__(self) -> None:
        super().__init__(
            ":warning: mailcheck no longer knows this report (reports are kept for 7 days). "
            "Nothing was done; run `/mailcheck EMAIL` again."
        )


@dataclass(frozen=True)
class Press:
    action: str  # without the prefix
    report_id: str
    actor: str


def parse_press(body: dict[str, Any]) -> Press:
    """The pressed button, from a block_actions payload; only the report id is taken from its value."""
    action = (body.get("actions") or [{}])[0]
    return Press(
        action=str(action.get("action_id", "")).removeprefix(ACTION_PREFIX),
        report_id=str(action.get("value") or ""),
        actor=str((body.get("user") or {}).get("id", "")),
    )


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
        try:
            self._press(parse_press(body))
        except UserFacingError as exc:
            # Answered here, not by @app.error: Bolt forgets the ack of a listener that raises after
            # acking, and Slack would then see a 404 for a press that was handled.
            if body.get("response_url"):
                respond_ephemeral(str(body["response_url"]), str(exc))

    def _press(self, press: Press) -> None:
        try:
            stored = self._deps.store.load(press.report_id) if press.report_id else None
            if stored is None:
                raise ReportGone()
            entry, claim = self._gate.admit(stored, press.action, press.actor)
            self._write(stored, entry, claim)
            if claim is not None:
                self._start(stored, entry, claim)
        except redis.RedisError:
            raise ServiceUnavailable("its Redis is unreachable") from None

    def _write(self, stored: StoredReport, entry: ActionEntry, claim: Claim | None) -> None:
        try:
            self._audit.record(stored, entry)
        except SlackError as exc:
            if claim is not None:
                self._guard.release(claim)  # nothing was started, and nothing must be
            raise UserFacingError(
                f":x: could not write to the report's thread ({exc.error}); nothing was done."
            ) from None

    def _start(self, stored: StoredReport, entry: ActionEntry, claim: Claim) -> None:
        ticket = Ticket(entry.report_id, entry.action, entry.actor, claim.token)
        try:
            enqueue_action(self._deps.queue, self._deps.settings, ticket)
        except redis.RedisError:
            # The press is already `accepted` in the thread, so it gets its outcome there too.
            failed = ActionEntry(
                entry.report_id, entry.action, entry.actor, Outcome.FAILED, "it could not be queued"
            )
            self._audit.record(stored, failed)
            with contextlib.suppress(redis.RedisError):
                self._guard.release(claim)
            raise


def register(app: App, deps: Deps) -> None:
    presses = _Presses(deps)

    def on_press(ack: Ack, body: dict[str, Any]) -> None:
        presses.handle(ack, body)

    for action in Action:
        app.action(action.action_id)(on_press)
