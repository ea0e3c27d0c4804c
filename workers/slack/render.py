"""Block Kit for reports: pure functions of a report, no client or network handle.

All user-supplied and remote text is mrkdwn-escaped. Lengths are capped by named constants and the
blocks are built with slack_sdk models, which validate Slack's limits when serialized.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ConfirmObject,
    ContextBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from workers.report.model import CHECK_NAMES, Report, State, Status
from workers.report.verdict import addresses_to_check
from workers.report.wording import CHECK_LABELS, headline
from workers.slack.evidence import dashboard_url, evidence_lines
from workers.slack.ids import Action, BlockId, EventType
from workers.slack.text import clip, escape

SECTION_TEXT_MAX = 2900  # Slack allows 3000; keep room for the ellipsis and markup
HEADER_TEXT_MAX = 150
FALLBACK_TEXT_MAX = 3000

STATUS_ICONS = {
    Status.OK: ":white_check_mark:",
    Status.WARN: ":warning:",
    Status.FAIL: ":x:",
    Status.ERROR: ":grey_question:",
    Status.SKIPPED: ":heavy_minus_sign:",
    Status.RUNNING: ":hourglass_flowing_sand:",
}

BUTTONS: dict[str, tuple[str, str | None, str | None]] = {
    # action: (label, style, confirmation text — None when the action changes nothing)
    Action.FLUSH: ("Flush courier", "danger", "Run the courier flush command on this deployment?"),
    Action.RESEND_VERIFICATION: ("Resend verification", "primary", "Send a new verification email?"),
    Action.RESEND_RECOVERY: ("Send recovery", None, "Send a recovery email to this address?"),
    Action.UNSUPPRESS: (
        "Lift suppression",
        "danger",
        "Remove this address from the provider's suppression list?",
    ),
    Action.RERUN: ("Re-run", None, None),
    Action.CHECK_ADDRESS: ("Check", None, None),  # one per look-alike address: "Check <address>"
}
BUTTON_TEXT_MAX = 75  # Slack's limit on a button's text


# Shown under the buttons while nobody may press the changing ones (SPEC §7: fail closed).
OPERATORS_HINT = (
    ":lock: Nobody may press the fixing buttons yet: set `MAILCHECK_OPERATORS` (Slack user IDs) or "
    "`MAILCHECK_OPERATOR_GROUP` (a user-group ID) and restart mailcheck. Re-run works for everyone."
)
READ_ONLY_ACTIONS = frozenset({Action.RERUN, Action.CHECK_ADDRESS})


def fallback_text(report: Report) -> str:
    return clip(f"mailcheck {report.email}: {headline(report)}", FALLBACK_TEXT_MAX)


def _check_lines(report: Report) -> str:
    lines = []
    for name in CHECK_NAMES:
        result = report.checks[name]
        lines.append(f"{STATUS_ICONS[result.status]} *{CHECK_LABELS[name]}* — {escape(clip(result.summary))}")
    return "\n".join(lines)


def _finding_lines(report: Report) -> str:
    icons = {"fail": ":x:", "warn": ":warning:", "info": ":information_source:"}
    return "\n".join(
        f"{icons[f.severity.value]} `{f.code}` {escape(clip(f.summary))}" for f in report.findings
    )


def _code_safe(text: str) -> str:
    """Escaped, and without backticks, which would end the inline code span early."""
    return escape(text).replace("`", "'")


def _evidence(report: Report) -> str:
    """One bullet per line of evidence, the reply shown as code and, under it, what it means."""
    lines = []
    for item in evidence_lines(report.checks):
        lines.append(f"• {CHECK_LABELS[item.check]}: `{_code_safe(item.line)}`")
        if item.explained:
            lines.append(f"      ↳ {escape(item.explained)}")
    url = dashboard_url(report.checks)
    if url:
        lines.append(f"• <{url}|Open this message in the provider's dashboard>")
    return "\n".join(lines)


def action_button(action: str, subject_id: str) -> ButtonElement:
    """A §7 button whose value is the report (or alert) it acts on; changing ones ask to confirm."""
    label, style, confirm_text = BUTTONS[action]
    confirm = (
        ConfirmObject(title="Are you sure?", text=confirm_text, confirm=label, deny="Cancel")
        if confirm_text
        else None
    )
    return ButtonElement(
        text=label, action_id=Action(action).action_id, value=subject_id, style=style, confirm=confirm
    )


def check_address_blocks(report: Report) -> list[Block]:
    """SPEC §14: a button per look-alike address (at most three), each in a block of its own (a block's
    buttons need distinct action ids, and these share `mailcheck.check_address`); the value names the
    report and which address, never the address itself."""
    addresses = addresses_to_check(report.checks)
    intro = ":mag: *Check one of these addresses instead* (a full report for it, in this thread)"
    blocks: list[Block] = [SectionBlock(text=MarkdownTextObject(text=intro))] if addresses else []
    for index, address in enumerate(addresses):
        label = clip(f"Check {address}", BUTTON_TEXT_MAX)
        button = ButtonElement(
            text=label, action_id=Action.CHECK_ADDRESS.action_id, value=f"{report.report_id}:{index}"
        )
        blocks.append(ActionsBlock(block_id=f"{BlockId.CHECK_ADDRESS}_{index}", elements=[button]))
    return blocks


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=clip(text, SECTION_TEXT_MAX)))


def report_blocks(
    report: Report, *, requester: str, extra_context: str = "", operators_configured: bool = True
) -> list[Block]:
    blocks: list[Block] = [
        HeaderBlock(text=clip(headline(report), HEADER_TEXT_MAX)),
        _section(f"*{escape(report.email)}* — requested by <@{escape(requester)}>"),
        _section(_check_lines(report)),
    ]
    if report.state == State.FAILED:
        blocks.append(_section(f":x: {escape(report.failure_reason or 'the check could not finish')}"))
    evidence = _evidence(report)
    if evidence:
        blocks.append(_section("*Evidence*\n" + evidence))
    if report.findings:
        blocks.append(_section("*Findings*\n" + _finding_lines(report)))
    if report.tell_user:
        blocks.append(_section("*What to tell the user*\n```" + escape(report.tell_user) + "```"))
    if report.actions and report.state != State.RUNNING:
        plain = [a for a in report.actions if a != Action.CHECK_ADDRESS]
        blocks.append(
            ActionsBlock(
                block_id=BlockId.ACTIONS, elements=[action_button(a, report.report_id) for a in plain]
            )
        )
        if Action.CHECK_ADDRESS in report.actions:
            blocks += check_address_blocks(report)
        if not operators_configured and set(report.actions) - READ_ONLY_ACTIONS:
            blocks.append(ContextBlock(elements=[MarkdownTextObject(text=OPERATORS_HINT)]))
    context = f"report `{report.report_id}`"
    if report.state != State.RUNNING:
        context += f" · spam risk *{report.spam_risk or 'unknown'}* · {report.elapsed_ms} ms"
    if extra_context:
        context += f" · {extra_context}"
    blocks.append(ContextBlock(elements=[MarkdownTextObject(text=clip(context, SECTION_TEXT_MAX))]))
    return blocks


def report_metadata(report: Report) -> dict[str, Any]:
    payload = {**report.metadata_payload(), "instance": report.instance}  # SPEC §12, flat
    return {"event_type": EventType.REPORT.value, "event_payload": payload}


def render_report(
    report: Report, *, requester: str, extra_context: str = "", operators_configured: bool = True
) -> dict[str, Any]:
    """The keyword arguments for chat.postMessage / chat.update.

    `extra_context` ends the context line (the last action on the report and who did it);
    `operators_configured=False` adds how to name operators under changing buttons.
    """
    blocks = report_blocks(
        report, requester=requester, extra_context=extra_context, operators_configured=operators_configured
    )
    return {
        "text": fallback_text(report),
        "blocks": [block.to_dict() for block in blocks],
        "metadata": report_metadata(report),
    }
