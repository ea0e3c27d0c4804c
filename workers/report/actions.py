"""The remediation actions of SPEC §7 (their names are the `actions` of a report) and their Slack ids."""

from __future__ import annotations

import enum

ACTION_PREFIX = "mailcheck."


class Action(enum.StrEnum):
    FLUSH = "flush"
    RESEND_VERIFICATION = "resend_verification"
    RESEND_RECOVERY = "resend_recovery"
    UNSUPPRESS = "unsuppress"
    RERUN = "rerun"

    @property
    def action_id(self) -> str:
        return ACTION_PREFIX + self.value
