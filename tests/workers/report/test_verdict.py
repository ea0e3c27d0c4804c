"""Verdict precedence (SPEC §6.1) over hand-made check results: the engine is a pure function."""

import json
from typing import Any

import pytest

from workers.report.model import CHECK_NAMES, CheckResult, Finding, Severity, Status, Verdict
from workers.report.verdict import decide_verdict, offered_actions, spam_risk
from workers.report.wording import HEADLINES


def ok(**details: Any) -> CheckResult:
    return CheckResult(Status.OK, "", details)


def message(status: str, *, failed: list[str] | None = None) -> dict[str, Any]:
    dispatches = [{"status": "failed", "error": e} for e in failed or []]
    return {"id": "m1", "status": status, "age_s": 10, "dispatches": dispatches}


def courier(newest: dict[str, Any] | None, **extra: Any) -> CheckResult:
    details = {"newest": newest, "stuck": False, "classification": None, "last_error": "", **extra}
    return CheckResult(Status.OK, "", details)


def checks(**given: CheckResult) -> dict[str, CheckResult]:
    base = {name: CheckResult.skipped("") for name in CHECK_NAMES}
    base["identity"] = ok(found=True, address={"verified": False})
    base["courier"] = courier(message("sent"))
    base.update(given)
    return base


def provider(outcome: str | None = None, suppressed: bool = False) -> CheckResult:
    newest = {"outcome": outcome} if outcome else None
    return ok(suppressed=suppressed, newest=newest, suppression={"removable": True} if suppressed else None)


def recipient(*codes: str, disposable: bool = False) -> CheckResult:
    findings = tuple(Finding(code, Severity.FAIL, "") for code in codes)
    return CheckResult(Status.FAIL if codes else Status.OK, "", {"disposable": disposable}, findings)


def probe(classification: str | None, status: Status = Status.FAIL) -> CheckResult:
    return CheckResult(status, "", {"classification": classification})


KRATOS_DOWN = {"identity": CheckResult.error("down"), "courier": CheckResult.error("down")}


@pytest.mark.parametrize(
    ("given", "verdict"),
    [
        # Rule 5's exception: the courier is unknown and the relay refuses us.
        ({**KRATOS_DOWN, "smtp": probe("smtp_auth_failed")}, "smtp_auth_failed"),
        (
            {"courier": CheckResult.skipped("no Kratos"), "smtp": probe("smtp_unreachable")},
            "smtp_unreachable",
        ),
        (
            {**KRATOS_DOWN, "smtp": probe("smtp_tls_failed"), "provider": provider("delivered")},
            "smtp_tls_failed",
        ),
        ({**KRATOS_DOWN, "smtp": probe("smtp_rejected")}, "smtp_rejected"),
        # Not a refusal by the relay: nothing to explain the missing mail with.
        ({**KRATOS_DOWN, "smtp": probe(None)}, "unknown"),
        ({**KRATOS_DOWN, "smtp": CheckResult.error("resolver down")}, "unknown"),
        ({**KRATOS_DOWN, "smtp": probe(None, Status.OK)}, "unknown"),
        # With the courier readable, its own record decides; the probe only adds evidence.
        ({"smtp": probe("smtp_auth_failed")}, "sent"),
    ],
)
def test_a_refusing_relay_decides_when_the_courier_is_unknown(
    given: dict[str, CheckResult], verdict: str
) -> None:
    assert decide_verdict(checks(**given)) == verdict


@pytest.mark.parametrize(
    ("given", "verdict"),
    [
        (
            {"recipient": recipient("disposable_domain", disposable=True), "identity": ok(found=False)},
            "disposable_domain",
        ),
        ({"recipient": recipient("recipient_nxdomain"), "identity": ok(found=False)}, "recipient_invalid"),
        ({"recipient": recipient("recipient_null_mx")}, "recipient_invalid"),
        ({"identity": ok(found=False), "courier": courier(message("queued"), stuck=True)}, "no_identity"),
        (
            {"courier": courier(message("queued"), stuck=True), "provider": provider(suppressed=True)},
            "courier_stuck",
        ),
        (
            {
                "courier": courier(
                    message("abandoned", failed=["x"]), classification="smtp_auth_failed", last_error="535"
                )
            },
            "smtp_auth_failed",
        ),
        ({"courier": courier(message("abandoned"))}, "courier_failing"),
        (
            {
                "courier": courier(message("queued", failed=["weird"]), last_error="weird"),
                "smtp": ok(classification="smtp_tls_failed"),
            },
            "courier_failing",
        ),
        (
            {
                "courier": courier(message("abandoned", failed=[""])),
                "smtp": ok(classification="smtp_tls_failed"),
            },
            "smtp_tls_failed",
        ),
        ({"provider": provider("delivered", suppressed=True)}, "provider_suppressed"),
        ({"courier": courier(message("queued")), "provider": provider("bounced_hard")}, "courier_pending"),
        ({"provider": provider("bounced_hard")}, "provider_bounced"),
        ({"provider": provider("deferred")}, "provider_deferred"),
        (
            {"courier": courier(None), "identity": ok(found=True, address={"verified": True})},
            "already_verified",
        ),
        ({"courier": courier(None)}, "no_message"),
        ({"provider": provider("delivered")}, "delivered"),
        ({}, "sent"),
        # Kratos down and the provider reporting delivery gives `delivered` (SPEC §6.1).
        (
            {
                "identity": CheckResult.error("down"),
                "courier": CheckResult.error("down"),
                "provider": provider("delivered"),
            },
            "delivered",
        ),
        ({"identity": CheckResult.error("down"), "courier": CheckResult.error("down")}, "unknown"),
        # A DNS outage skips rules 1-2.
        ({"recipient": CheckResult(Status.ERROR, "", {"disposable": True})}, "sent"),
    ],
)
def test_first_matching_rule_wins(given: dict[str, CheckResult], verdict: str) -> None:
    assert decide_verdict(checks(**given)) == verdict


def _auth(*severities: Severity, status: Status = Status.OK) -> CheckResult:
    return CheckResult(status, "", {}, tuple(Finding("x", s, "") for s in severities))


@pytest.mark.parametrize(
    ("sender_auth", "blocklists", "risk"),
    [
        (_auth(Severity.FAIL), _auth(), "high"),
        (_auth(Severity.INFO), _auth(Severity.WARN), "medium"),
        (_auth(Severity.INFO), _auth(), "low"),
        (CheckResult.skipped(""), CheckResult.error(""), "unknown"),
        # SPF/DKIM/DMARC not read is never "low", whatever the blocklists say (SPEC §6.1).
        (CheckResult.skipped(""), _auth(), "unknown"),
        (CheckResult.error("timed out"), _auth(), "unknown"),
        (CheckResult.error("timed out"), _auth(Severity.FAIL), "high"),
        (_auth(), CheckResult.error("zone refused"), "low"),
    ],
)
def test_spam_risk(sender_auth: CheckResult, blocklists: CheckResult, risk: str) -> None:
    assert spam_risk(checks(sender_auth=sender_auth, blocklists=blocklists)) == risk


def test_actions_follow_the_verdict() -> None:
    stuck = checks(courier=courier(message("queued"), stuck=True))
    assert offered_actions(stuck, "courier_stuck", flush_configured=True) == [
        "flush",
        "resend_verification",
        "resend_recovery",
        "rerun",
    ]
    assert offered_actions(stuck, "courier_stuck", flush_configured=False) == [
        "resend_verification",
        "resend_recovery",
        "rerun",
    ]
    verified = checks(identity=ok(found=True, address={"verified": True}))
    assert offered_actions(verified, "sent", flush_configured=True) == ["resend_recovery", "rerun"]
    suppressed = checks(provider=provider(suppressed=True), identity=ok(found=False))
    assert offered_actions(suppressed, "provider_suppressed", flush_configured=False) == [
        "unsuppress",
        "rerun",
    ]


def test_the_verdicts_are_specs_and_each_has_a_headline() -> None:
    spec_order = [
        "disposable_domain",
        "recipient_invalid",
        "address_mismatch",
        "no_identity",
        "courier_stuck",
        "smtp_auth_failed",
        "smtp_unreachable",
        "smtp_tls_failed",
        "smtp_rejected",
        "courier_failing",
        "provider_suppressed",
        "courier_pending",
        "provider_bounced",
        "provider_deferred",
        "already_verified",
        "no_message",
        "delivered",
        "sent",
        "unknown",
    ]
    assert [verdict.value for verdict in Verdict] == spec_order
    assert set(HEADLINES) == set(Verdict)
    assert json.dumps({"verdict": Verdict.SENT}) == '{"verdict": "sent"}'
