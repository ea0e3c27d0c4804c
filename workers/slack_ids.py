"""Every Slack identifier the app uses, defined once (command, action ids, metadata event types)."""

from __future__ import annotations

import enum

SLASH_COMMAND = "/mailcheck"
ACTION_PREFIX = "mailcheck."


class EventType(enum.StrEnum):
    REPORT = "mailcheck_report"
    ACTION = "mailcheck_action"
    STATUS = "mailcheck_status"


class Action(enum.StrEnum):
    FLUSH = "flush"
    RESEND_VERIFICATION = "resend_verification"
    RESEND_RECOVERY = "resend_recovery"
    UNSUPPRESS = "unsuppress"
    RERUN = "rerun"

    @property
    def action_id(self) -> str:
        return ACTION_PREFIX + self.value


class BlockId(enum.StrEnum):
    ACTIONS = "mailcheck_actions"
