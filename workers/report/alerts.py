"""The courier watch's alerts (SPEC §11): pure state machine, no I/O.

A round turns what it saw into one `Sighting` per (instance, kind): the problem is there (`seen`
True), it is not (False), or the round could not look (None: Kratos or DNS down). `advance` moves an
alert from one round to the next and says what changed, so that the caller knows what to post:

- opens on the first round that sees the problem; nothing happens while nothing is seen;
- stays open while seen (count, last seen, affected, evidence refreshed), or while the sighting `holds`:
  below the line that opens the kind but above the one that resolves it (`mailbox_provider_rejecting`
  opens at 30 % and resolves below 10 %, SPEC §15);
- resolves after `CLEAN_ROUNDS_TO_RESOLVE` clean rounds in a row, or for `courier_abandoned` after
  `ABANDONED_QUIET_S` without a new abandoned message;
- a round that could not look is an `error` line on an open alert: never an opening, never a clean
  round (it breaks a clean streak, so no outage can resolve an alert).

`count` is how often the problem was seen: rounds for every kind but `courier_abandoned`, where it is
the number of abandoned messages. `affected` counts recipients (for `mailbox_provider_rejecting`, the
messages refused or deferred in the last hour); an alert never holds an address.
"""

from __future__ import annotations

import enum
import json
import secrets
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from workers.report.actions import ALERT_ID_PREFIX

COURIER_STUCK = "courier_stuck"
COURIER_ABANDONED = "courier_abandoned"
SMTP_FAILING = "smtp_failing"
SENDER_AUTH_BROKEN = "sender_auth_broken"
BLOCKLISTED = "blocklisted"
MAILBOX_PROVIDER_REJECTING = "mailbox_provider_rejecting"
ALERT_KINDS = (
    COURIER_STUCK,
    COURIER_ABANDONED,
    SMTP_FAILING,
    SENDER_AUTH_BROKEN,
    BLOCKLISTED,
    MAILBOX_PROVIDER_REJECTING,
)
COURIER_KINDS = frozenset({COURIER_STUCK, COURIER_ABANDONED})

CLEAN_ROUNDS_TO_RESOLVE = 2
ABANDONED_QUIET_S = 3600
OPEN, RESOLVED = "open", "resolved"


def new_alert_id() -> str:
    """Safe as an RQ job id and a Slack button value, and never a report id."""
    return ALERT_ID_PREFIX + secrets.token_hex(8)


@dataclass(frozen=True)
class Sighting:
    """What one round saw of one kind on one instance."""

    kind: str
    seen: bool | None  # None: the round could not look
    count: int = 1  # occurrences this round (courier_abandoned: new abandoned messages)
    affected: int = 0  # recipients concerned this round
    detail: str = ""  # one sentence for a support engineer
    evidence: tuple[str, ...] = ()  # classified dispatch error, SMTP reply, the record…
    error: str = ""  # why the round could not look
    # Not seen, but not clean either: keeps an open alert open (as seen), never opens one.
    holds: bool = False


class Change(enum.StrEnum):
    NONE = "none"
    OPENED = "opened"
    UPDATED = "updated"
    RESOLVED = "resolved"
    ERROR = "error"  # an open alert's round could not look (first such round)
    RECOVERED = "recovered"  # the round could look again after an error


@dataclass
class Alert:
    alert_id: str
    instance: str
    kind: str
    first_seen: float
    last_seen: float
    state: str = OPEN
    count: int = 0
    affected: int = 0
    detail: str = ""
    evidence: list[str] = field(default_factory=list)
    clean_rounds: int = 0
    error: str = ""  # the outage line of the last round, "" when it could look
    resolved_at: float = 0.0
    channel: str = ""
    ts: str = ""  # the Slack message; "" until posted
    actions: list[str] = field(default_factory=list)  # offered buttons (without the prefix)
    posted_at: float = 0.0  # when its message was first sent to Slack (0: never), to find it again
    resolution: str = ""  # why it resolved, when not by the rule of its kind

    def payload(self) -> dict[str, Any]:
        """The flat `mailcheck_alert` event_payload (strings and integers)."""
        return {
            "alert_id": self.alert_id,
            "instance": self.instance,
            "kind": self.kind,
            "state": self.state,
            "count": self.count,
            "first_seen": iso(self.first_seen),
            "last_seen": iso(self.last_seen),
            "detail": self.detail,
        }

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Alert:
        known = set(cls.__dataclass_fields__)
        return cls(**{key: value for key, value in data.items() if key in known})

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, raw: str | bytes) -> Alert:
        return cls.from_dict(json.loads(raw))


def iso(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _seen(alert: Alert, sighting: Sighting, now: float) -> Alert:
    affected = alert.affected + sighting.affected if alert.kind == COURIER_ABANDONED else sighting.affected
    return replace(
        alert,
        count=alert.count + sighting.count,
        affected=affected,
        last_seen=now,
        detail=sighting.detail or alert.detail,
        evidence=list(sighting.evidence) or alert.evidence,
        clean_rounds=0,
        error="",
    )


def _clean(alert: Alert, now: float) -> tuple[Alert, Change]:
    was_error = bool(alert.error)
    alert = replace(alert, clean_rounds=alert.clean_rounds + 1, error="")
    if alert.kind == COURIER_ABANDONED:
        done = now - alert.last_seen >= ABANDONED_QUIET_S
    else:
        done = alert.clean_rounds >= CLEAN_ROUNDS_TO_RESOLVE
    if done:
        return replace(alert, state=RESOLVED, resolved_at=now), Change.RESOLVED
    return alert, (Change.RECOVERED if was_error else Change.UPDATED)


def retire(alert: Alert, *, now: float, why: str) -> Alert:
    """Resolve an open alert that no round can look at any more (its Kratos instance is gone)."""
    return replace(alert, state=RESOLVED, resolved_at=now, resolution=why, error="")


def advance(
    alert: Alert | None, sighting: Sighting, *, instance: str, now: float, alert_id: str = ""
) -> tuple[Alert | None, Change]:
    """The alert after this round, and what changed. `alert` is the open alert of (instance, kind)."""
    if alert is None or alert.state != OPEN:
        if not sighting.seen:
            return None, Change.NONE
        opened = Alert(alert_id or new_alert_id(), instance, sighting.kind, first_seen=now, last_seen=now)
        return _seen(opened, sighting, now), Change.OPENED
    if sighting.seen is None:
        reason = sighting.error or "the round could not look"
        # A broken streak: clean rounds must be "in a row" of rounds that could look.
        change = Change.NONE if alert.error == reason else Change.ERROR
        return replace(alert, error=reason, clean_rounds=0), change
    if sighting.seen or sighting.holds:
        change = Change.RECOVERED if alert.error else Change.UPDATED
        return _seen(alert, sighting, now), change
    return _clean(alert, now)
