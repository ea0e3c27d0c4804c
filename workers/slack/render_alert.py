"""Block Kit for the courier watch's alerts (SPEC §11): pure functions of an alert.

One message per alert, updated in place; state changes (resolved, the round could not look, it can
again) as thread replies. Both carry the flat `mailcheck_alert` metadata. Recipients are a count.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from workers.report.alerts import (
    BLOCKLISTED,
    COURIER_ABANDONED,
    COURIER_STUCK,
    MAILBOX_PROVIDER_REJECTING,
    OPEN,
    SENDER_AUTH_BROKEN,
    SMTP_FAILING,
    Alert,
    Change,
)
from workers.slack.audit import slack_time
from workers.slack.ids import BlockId, EventType
from workers.slack.render import HEADER_TEXT_MAX, SECTION_TEXT_MAX, action_button
from workers.slack.text import clip, escape

TITLES = {
    COURIER_STUCK: "Kratos's courier is stuck",
    COURIER_ABANDONED: "Kratos's courier is abandoning mail",
    SMTP_FAILING: "The SMTP relay is failing",
    SENDER_AUTH_BROKEN: "SPF / DKIM / DMARC is broken",
    BLOCKLISTED: "Our mail is blocklisted",
    MAILBOX_PROVIDER_REJECTING: "A mailbox provider is refusing our mail",
}
WHAT_TO_DO = {
    COURIER_STUCK: "Look at the Kratos courier's logs and whether it runs at all "
    "(`kratos courier watch`, or `serve --watch-courier`); *Flush courier* restarts it.",
    COURIER_ABANDONED: "The courier gave up after its retries: fix what the dispatch error names, "
    "then let the users ask for a new code (or resend from their report).",
    SMTP_FAILING: "Kratos cannot hand mail to the relay. A refused login means the SMTP password changed: "
    "update COURIER_SMTP_CONNECTION_URI in Kratos and in mailcheck. Otherwise check host, port and TLS.",
    SENDER_AUTH_BROKEN: "Receivers will reject our mail or file it as spam: restore the DNS record named above, "
    "or, when the provider has not verified the sender domain, publish the records it names and re-verify the "
    "domain in its dashboard.",
    BLOCKLISTED: "Receivers refuse mail from the listed address: find why (a leaked credential, a spam run), "
    "then follow the blocklist's delisting procedure.",
    MAILBOX_PROVIDER_REJECTING: "Read what the most common reply blames. Authentication: fix SPF, DKIM and "
    "DMARC first (the sender_auth check of any report). Reputation or rate limiting: slow down and warm up the "
    "sending IP/domain (small volumes to engaged users first, ramping up over weeks), and ask the provider "
    "about the IP. Users of that mailbox provider get their mail late or not at all meanwhile.",
}
# What `affected` counts, where it is not recipients.
AFFECTED = {MAILBOX_PROVIDER_REJECTING: "message(s) refused or deferred in the last hour"}


def title(alert: Alert) -> str:
    name = TITLES.get(alert.kind, alert.kind)
    prefix = "" if alert.state == OPEN else "Resolved: "
    return clip(f"{prefix}{name} ({alert.instance})", HEADER_TEXT_MAX)


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT_MAX)))


def _code_safe(text: str) -> str:
    return escape(text).replace("`", "'")


def _facts(alert: Alert) -> str:
    seen = "round(s)" if alert.kind != COURIER_ABANDONED else "message(s)"
    facts = (
        f"*{alert.count}* {seen} · first seen {slack_time(alert.first_seen)} · "
        f"last seen {slack_time(alert.last_seen)} · *{alert.affected}* "
        f"{AFFECTED.get(alert.kind, 'affected recipient(s)')}"
    )
    if alert.state != OPEN:
        facts += f" · resolved {slack_time(alert.resolved_at)}"
        if alert.resolution:
            facts += f": {escape(alert.resolution)}"
    return facts


def alert_blocks(alert: Alert, *, extra_context: str = "") -> list[Block]:
    icon = ":rotating_light:" if alert.state == OPEN else ":white_check_mark:"
    blocks: list[Block] = [
        HeaderBlock(text=title(alert)),
        _section(f"{icon} {escape(alert.detail)}"),
        _section(_facts(alert)),
    ]
    if alert.evidence:
        lines = "\n".join(f"• `{_code_safe(line)}`" for line in alert.evidence)
        blocks.append(_section("*Evidence*\n" + lines))
    if alert.error and alert.state == OPEN:
        blocks.append(_section(f":grey_question: the last round could not look: {escape(alert.error)}"))
    if alert.state == OPEN:
        blocks.append(_section("*What to do*\n" + WHAT_TO_DO.get(alert.kind, "")))
        if alert.actions:
            buttons = [action_button(action, alert.alert_id) for action in alert.actions]
            blocks.append(ActionsBlock(block_id=BlockId.ACTIONS, elements=buttons))
    context = f"alert `{alert.alert_id}` · `{alert.kind}` on `{escape(alert.instance)}`"
    if extra_context:
        context += f" · {extra_context}"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(context, SECTION_TEXT_MAX))]))
    return blocks


def alert_metadata(alert: Alert) -> dict[str, Any]:
    return {"event_type": EventType.ALERT.value, "event_payload": alert.payload()}


def render_alert(alert: Alert, *, extra_context: str = "") -> dict[str, Any]:
    """chat.postMessage / chat.update keyword arguments for the alert's one message."""
    return {
        "text": f"mailcheck alert: {title(alert)}",
        "blocks": [block.to_dict() for block in alert_blocks(alert, extra_context=extra_context)],
        "metadata": alert_metadata(alert),
    }


def change_text(alert: Alert, change: Change) -> str | None:
    """The thread reply for a state change, or None when the change needs none."""
    if change is Change.RESOLVED:
        return f":white_check_mark: Resolved {slack_time(alert.resolved_at)}: {_resolved_because(alert)}"
    if change is Change.ERROR:
        return f":grey_question: The watch could not look this round: {escape(alert.error)}. The alert stays open."
    if change is Change.RECOVERED:
        return ":eyes: The watch can look again."
    return None


def _resolved_because(alert: Alert) -> str:
    if alert.resolution:
        return escape(alert.resolution)
    if alert.kind == COURIER_ABANDONED:
        return "no message was abandoned for an hour."
    if alert.kind == MAILBOX_PROVIDER_REJECTING:
        return "under the warning line (10 % of at least 20 messages refused or deferred) in two rounds in a row."
    return "not seen in two rounds in a row."


def render_change(alert: Alert, change: Change) -> dict[str, Any] | None:
    text = change_text(alert, change)
    if text is None:
        return None
    return {
        "text": f"mailcheck alert {alert.alert_id}: {change.value}",
        "blocks": [_section(text).to_dict()],
        "metadata": alert_metadata(alert),
    }
