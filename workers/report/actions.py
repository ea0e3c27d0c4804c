"""The remediation actions of SPEC §7 (their names are the `actions` of a report), their Slack ids, and
what a button press is about: a report or a courier-watch alert, decided once from the button's value."""

from __future__ import annotations

import enum
from dataclasses import dataclass

ACTION_PREFIX = "mailcheck."
ALERT_ID_PREFIX = "alert-"  # an alert id (workers/report/alerts.py) is never a report id


class Action(enum.StrEnum):
    FLUSH = "flush"
    RESEND_VERIFICATION = "resend_verification"
    RESEND_RECOVERY = "resend_recovery"
    UNSUPPRESS = "unsuppress"
    RERUN = "rerun"

    @property
    def action_id(self) -> str:
        return ACTION_PREFIX + self.value


class SubjectKind(enum.StrEnum):
    REPORT = "report"
    ALERT = "alert"


@dataclass(frozen=True)
class Subject:
    """What a button is on: a report, or an alert of the courier watch (SPEC §11)."""

    kind: SubjectKind
    id: str

    @classmethod
    def of(cls, value: str) -> Subject:
        """The subject a button's value names; the one place that tells an alert id from a report id."""
        kind = SubjectKind.ALERT if value.startswith(ALERT_ID_PREFIX) else SubjectKind.REPORT
        return cls(kind, value)
