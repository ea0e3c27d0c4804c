"""Group a provider's flat events into messages, each with one outcome and its decisive SMTP reply,
every reply explained (SPEC §15).

The output is the JSON `details` of the provider check: `ProviderDetails` (workers/report/details_provider.py).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from workers.providers.base import DeliveryEvent, MessageEvent, ProviderRecord, Suppression, iso
from workers.report.details import ReplyExplained
from workers.report.details_provider import (
    ProviderDetails,
    ProviderEvent,
    ProviderMessage,
    SuppressionDetails,
)
from workers.report.replies import explain_reply

# A message's outcome is its strongest event, not its latest: provider subsystems stamp events with
# clocks that disagree, and a delivery after deferrals supersedes them while a complaint follows one.
OUTCOME_PRECEDENCE: tuple[DeliveryEvent, ...] = (
    DeliveryEvent.BOUNCED_HARD,
    DeliveryEvent.SUPPRESSED,
    DeliveryEvent.COMPLAINED,
    DeliveryEvent.DELIVERED,
    DeliveryEvent.BOUNCED_SOFT,
    DeliveryEvent.DEFERRED,
    DeliveryEvent.SENT,
)
# Reports stay readable and Redis entries small; the newest messages are the ones that matter.
MAX_MESSAGES = 20


def build_details(
    provider: str, record: ProviderRecord, *, since: datetime, lookback_days: int
) -> ProviderDetails:
    messages = build_messages(record, since=since)
    return {
        "provider": provider,
        "lookback_days": lookback_days,
        "suppressed": record.suppression is not None,
        "suppression": suppression_dict(record.suppression),
        "messages": messages,
        "newest": messages[0] if messages else None,
        "decisive": messages[0]["reply"] if messages else None,
        "correlated": False,
        "notes": list(record.notes),
    }


def suppression_dict(suppression: Suppression | None) -> SuppressionDetails | None:
    if suppression is None:
        return None
    return {
        "reason": suppression.reason,
        "since": iso(suppression.since) if suppression.since else None,
        "removable": suppression.removable,
    }


def build_messages(record: ProviderRecord, *, since: datetime) -> list[ProviderMessage]:
    by_message: dict[str, set[MessageEvent]] = defaultdict(set)  # a set: webhooks get redelivered
    for event in record.events:
        by_message[event.message_id].add(event)
    messages = []
    for message_id, events in by_message.items():
        # Same instant (Resend's list has no event times): the send first, the verdict last.
        timeline = sorted(events, key=lambda e: (e.at, -OUTCOME_PRECEDENCE.index(e.type)))
        sent_at = record.sent_at.get(message_id) or timeline[0].at
        if sent_at < since:
            continue
        messages.append((sent_at, _message(message_id, sent_at, timeline, record)))
    messages.sort(key=lambda pair: pair[0], reverse=True)
    return [message for _, message in messages[:MAX_MESSAGES]]


def _message(
    message_id: str, sent_at: datetime, timeline: list[MessageEvent], record: ProviderRecord
) -> ProviderMessage:
    outcome = outcome_of(timeline)
    reply = decisive_reply(timeline, outcome)
    return {
        "id": message_id,
        "sent_at": iso(sent_at),
        "events": [_event(e) for e in timeline],
        "outcome": outcome.value,
        "reply": reply,
        **explained(reply),
        "dashboard_url": record.dashboard_urls.get(message_id),
        "courier_message_id": None,
    }


def _event(event: MessageEvent) -> ProviderEvent:
    return {"type": event.type.value, "at": iso(event.at), "reply": event.reply, **explained(event.reply)}


def explained(reply: str | None) -> ReplyExplained:
    """SPEC §15: a reply's category, side, mailbox provider and meaning, beside its text."""
    return explain_reply(reply).to_details() if reply else {}


def outcome_of(timeline: list[MessageEvent]) -> DeliveryEvent:
    present = {event.type for event in timeline}
    return next((kind for kind in OUTCOME_PRECEDENCE if kind in present), DeliveryEvent.SENT)


def decisive_reply(timeline: list[MessageEvent], outcome: DeliveryEvent) -> str | None:
    """The latest reply of the deciding event, else of any trouble that led up to it."""
    for event in reversed(timeline):
        if event.type is outcome and event.reply:
            return event.reply
    if outcome in (DeliveryEvent.SENT, DeliveryEvent.DELIVERED):
        return None
    troubles = (DeliveryEvent.BOUNCED_HARD, DeliveryEvent.BOUNCED_SOFT, DeliveryEvent.DEFERRED)
    return next((e.reply for e in reversed(timeline) if e.type in troubles and e.reply), None)
