"""Block Kit rendering: escaped, within Slack's limits, metadata flat enough for Slack."""

from __future__ import annotations

import json

from tests.standins.providers import DEFAULT_DOMAIN, Smtp2goStandIn
from tests.standins.slack import metadata_problem
from tests.workers.providers.support import KEYS, run_check
from tests.workers.providers.worlds import day, populate
from workers.report.model import CHECK_NAMES, CheckResult, Finding, Report, Severity, State, Status
from workers.report.relay_replies import relay_reply_details
from workers.report.replies import explain_reply
from workers.slack.evidence import evidence_lines
from workers.slack.render import escape, render_report
from workers.slack.text import LINE_MAX

OUTLOOK = ["outlook.com", "hotmail.com", "live.com", "hotmail.co.uk"]
HOSTILE = "<!channel> <@U0BOSS> & <https://evil.example|click> `tick`"


def _report(**checks: CheckResult) -> Report:
    report = Report(
        report_id="r1",
        email="a&b@example.com",
        state=State.COMPLETE,
        verdict="smtp_rejected",
        spam_risk="high",
        tell_user="Check <spam> & wait",
        actions=["resend_recovery", "rerun"],
        elapsed_ms=12,
    )
    for name in CHECK_NAMES:
        report.checks[name] = CheckResult(Status.OK, "fine")
    report.checks.update(checks)
    return report


def test_escape_only_touches_the_three_characters() -> None:
    assert escape("a & b < c > d * _") == "a &amp; b &lt; c &gt; d * _"


def test_remote_text_is_escaped_everywhere() -> None:
    smtp = CheckResult(
        Status.FAIL,
        HOSTILE,
        {"relay": {"host": "h", "port": 25, "mode": "starttls"}, "failed_phase": "rcpt", "reply": HOSTILE},
        (Finding("smtp_probe_failed", Severity.FAIL, HOSTILE),),
    )
    rendered = json.dumps(render_report(_report(smtp=smtp), requester="U0AGENT")["blocks"])
    assert "<!channel>" not in rendered and "<@U0BOSS>" not in rendered and "<https://evil" not in rendered
    assert "&lt;!channel&gt;" in rendered
    assert "a&amp;b@example.com" in rendered
    assert "Check &lt;spam&gt; &amp; wait" in rendered
    assert "<@U0AGENT>" in rendered  # our own mention stays a mention


def test_huge_remote_text_is_clipped_within_limits() -> None:
    courier = CheckResult(
        Status.FAIL, "x" * 10_000, {"newest": {"status": "abandoned"}, "last_error": "y" * 10_000}
    )
    message = render_report(_report(courier=courier), requester="U0AGENT")
    assert len(message["blocks"]) <= 50
    for block in message["blocks"]:
        text = (block.get("text") or {}).get("text", "")
        assert len(text) <= 3000
    assert len(message["text"]) <= 3000


def test_summaries_findings_and_evidence_lines_are_clipped_alike() -> None:
    courier = CheckResult(
        Status.FAIL,
        "s" * 1000,
        {"newest": {"status": "abandoned"}, "last_error": "e" * 1000},
        (Finding("courier_abandoned", Severity.FAIL, "f" * 1000),),
    )
    [evidence] = [item.line for item in evidence_lines({"courier": courier})]
    rendered = json.dumps(
        render_report(_report(courier=courier), requester="U0AGENT")["blocks"], ensure_ascii=False
    )
    assert len(evidence) == LINE_MAX and evidence.endswith("…")
    assert "s" * (LINE_MAX - 1) + "…" in rendered and "s" * LINE_MAX not in rendered
    assert "f" * (LINE_MAX - 1) + "…" in rendered and "f" * LINE_MAX not in rendered


def test_metadata_is_the_flat_spec_payload() -> None:
    report = _report(
        sender_auth=CheckResult(Status.FAIL, "", {}, (Finding("dmarc_missing", Severity.WARN, "no"),))
    )
    metadata = render_report(report, requester="U0AGENT")["metadata"]
    assert metadata_problem(metadata) is None
    assert metadata["event_type"] == "mailcheck_report"
    assert metadata["event_payload"] == {
        "report_id": "r1",
        "email": "a&b@example.com",
        "state": "complete",
        "verdict": "smtp_rejected",
        "spam_risk": "high",
        "checks": {name: ("fail" if name == "sender_auth" else "ok") for name in CHECK_NAMES},
        "findings": [{"code": "dmarc_missing", "severity": "warn"}],
        "actions": "resend_recovery,rerun",
        "elapsed_ms": 12,
        "instance": "",  # SPEC §12: the deciding Kratos instance, "" when none decided
    }


def test_buttons_carry_only_the_report_id_and_changing_ones_confirm() -> None:
    blocks = render_report(_report(), requester="U0AGENT")["blocks"]
    actions = next(b for b in blocks if b["type"] == "actions")
    by_id = {e["action_id"]: e for e in actions["elements"]}
    assert set(by_id) == {"mailcheck.resend_recovery", "mailcheck.rerun"}
    assert all(e["value"] == "r1" for e in by_id.values())
    assert "confirm" in by_id["mailcheck.resend_recovery"] and "confirm" not in by_id["mailcheck.rerun"]


def test_running_report_has_no_buttons() -> None:
    report = Report(report_id="r2", email="a@example.com")
    blocks = render_report(report, requester="U0AGENT")["blocks"]
    assert all(b["type"] != "actions" for b in blocks)
    assert render_report(report, requester="U0AGENT")["metadata"]["event_payload"]["state"] == "running"


def test_provider_dashboard_link_only_when_safe() -> None:
    good = CheckResult(
        Status.OK, "", {"newest": {"outcome": "delivered", "dashboard_url": "https://resend.com/emails/e1"}}
    )
    bad = CheckResult(
        Status.OK, "", {"newest": {"outcome": "delivered", "dashboard_url": "https://x|<!here>"}}
    )
    assert "<https://resend.com/emails/e1|" in json.dumps(
        render_report(_report(provider=good), requester="U")["blocks"]
    )
    assert "https://x|" not in json.dumps(render_report(_report(provider=bad), requester="U")["blocks"])


def test_smtp_evidence_names_the_phase_in_words() -> None:
    smtp = CheckResult(
        Status.FAIL,
        "The relay refused the recipient.",
        {
            "relay": {"host": "smtp.example.net", "port": 587, "mode": "starttls"},
            "failed_phase": "rcpt_to",
            "reply": "550 5.1.1 no such user",
        },
    )
    [item] = evidence_lines({"smtp": smtp})
    assert item.line == "smtp.example.net:587 (starttls) failed at RCPT TO: 550 5.1.1 no such user"
    assert item.explained == ""  # a reply without SPEC §15's keys (an older stored report) is shown as is


# ---- SPEC §15: a reply shown as evidence is shown with what it means ---------------------------------


def test_a_reply_in_the_evidence_shows_its_category_and_meaning_next_to_it() -> None:
    error = "550 5.1.1 <x&y@gmail.com>: Recipient address rejected: User unknown"
    courier = CheckResult(
        Status.FAIL,
        "The newest message was abandoned.",
        {"newest": {"status": "abandoned"}, "last_error": error, **relay_reply_details(error)},
    )
    reply = "552 5.2.2 mailbox <full>"
    newest = {"outcome": "bounced_hard", "reply": reply, **explain_reply(reply).to_details()}
    provider = CheckResult(Status.FAIL, "", {"newest": newest, "decisive": reply})
    items = {item.check: item for item in evidence_lines({"courier": courier, "provider": provider})}
    assert items["courier"].explained.startswith(
        "invalid_recipient — the address does not exist (the user's side): The recipient's mail server"
    )
    assert items["provider"].explained.startswith("mailbox_full — the mailbox is full (the user's side): ")
    blocks = render_report(_report(courier=courier, provider=provider), requester="U0AGENT")["blocks"]
    evidence = next(
        b["text"]["text"] for b in blocks if b.get("text", {}).get("text", "").startswith("*Evidence*")
    )
    lines = evidence.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("• Courier:"))
    assert "x&amp;y@gmail.com" in lines[at] and lines[at + 1].startswith("      ↳ invalid_recipient — ")
    assert "mailbox &lt;full&gt;" in evidence and "↳ mailbox_full — the mailbox is full" in evidence
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in blocks)


def test_an_unverified_sender_domain_and_a_refusing_mailbox_provider_are_shown_as_counts() -> None:
    """Through the SMTP2GO stand-in: Outlook defers 40 of 100, the sender domain is pending."""
    with Smtp2goStandIn(KEYS["smtp2go"]) as api:
        populate("smtp2go", api, day(OUTLOOK, 100, deferred=40) + day(["gmail.com"], 230))
        api.set_domain(DEFAULT_DOMAIN, "pending")
        provider = run_check("smtp2go", api.url, email="someone@outlook.com")
    assert {f.code for f in provider.findings} >= {"sender_domain_unverified", "mailbox_provider_rejecting"}
    lines = [item for item in evidence_lines({"provider": provider}) if item.check == "provider"]
    domain = next(item.line for item in lines if item.line.startswith("sender domain"))
    counts = next(item for item in lines if "refused or deferred" in item.line)
    assert domain.startswith(f"sender domain {DEFAULT_DOMAIN}: ") and "unverified: " in domain
    assert counts.line.startswith(
        "Microsoft (Outlook.com / Microsoft 365), last 24 h: 40 of 100 refused or deferred (40 %)"
    )
    assert "other mail 0 of 230" in counts.line and "most common reply (40×): 451 4.7.650" in counts.line
    assert counts.explained.startswith("rate_limited — rate limiting (our side): ")
    rendered = json.dumps(render_report(_report(provider=provider), requester="U0AGENT"))
    assert "person." not in rendered and "@outlook.com" not in rendered  # counts, never another address
