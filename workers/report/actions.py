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
    CHECK_ADDRESS = "check_address"  # a report for a look-alike address (SPEC §14), one button each

    @property
    def action_id(self) -> str:
        return ACTION_PREFIX + self.value


class SubjectKind(enum.StrEnum):
    REPORT = "report"
    ALERT = "alert"


@dataclass(frozen=True)
class Subject:
    """What a button is on: a report, or an alert of the courier watch (SPEC §11); `item` picks one of
    several buttons of one action (the check_address buttons: which look-alike address)."""

    kind: SubjectKind
    id: str
    item: int | None = None

    @classmethod
    def of(cls, value: str) -> Subject:
        """The subject a button's value names (`id` or `id:item`); the one place that tells an alert id
        from a report id."""
        kind = SubjectKind.ALERT if value.startswith(ALERT_ID_PREFIX) else SubjectKind.REPORT
        subject_id, _, item = value.partition(":")
        return cls(kind, subject_id, int(item) if item.isdigit() and len(item) < 3 else None)

    @property
    def value(self) -> str:
        return self.id if self.item is None else f"{self.id}:{self.item}"
