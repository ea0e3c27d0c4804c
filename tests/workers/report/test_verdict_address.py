"""Rule 3, `address_mismatch` (SPEC §6.1, §14), over hand-made check results: a look-alike identity, or an
unverified identity under a typo domain; typo before disposable; what the user is told and which
buttons are offered."""

from __future__ import annotations

from typing import Any

from tests.workers.report.test_verdict import checks, courier, ok
from workers.report.advice import tell_user
from workers.report.model import CheckResult, Status, Verdict
from workers.report.verdict import addresses_to_check, decide_verdict, offered_actions


def candidate(address: str, **extra: Any) -> dict[str, Any]:
    return {
        "address": address,
        "instance": "ciam",
        "verified": True,
        "created_at": "2026-11-01T10:00:00Z",
        "courier_status": "sent",
        "closeness": "gmail_equivalent",
        **extra,
    }


def not_found(*found: dict[str, Any]) -> CheckResult:
    return CheckResult(Status.FAIL, "", {"found": False, "candidates": list(found), "similar_search": "ok"})


def recipient(domain: str, typo_of: str | None = None, *, disposable: bool = False) -> CheckResult:
    suggested = f"jane@{typo_of}" if typo_of else None
    details = {"domain": domain, "disposable": disposable, "typo_of": typo_of, "suggested_address": suggested}
    return CheckResult(Status.WARN if typo_of else Status.OK, "", details)


def test_a_look_alike_identity_is_an_address_mismatch_not_no_identity() -> None:
    given = checks(identity=not_found(candidate("jane.doe@gmail.com")), recipient=recipient("gmail.com"))
    verdict = decide_verdict(given)
    assert verdict == Verdict.ADDRESS_MISMATCH
    assert offered_actions(given, verdict, flush_configured=True) == ["check_address", "rerun"]
    assert addresses_to_check(given) == ["jane.doe@gmail.com"]
    told = tell_user(verdict, given)
    assert "jane.doe" not in told and "similar" in told  # never a candidate's address to the user


def test_no_candidate_is_still_no_identity() -> None:
    given = checks(identity=not_found(), recipient=recipient("example.com"))
    assert decide_verdict(given) == Verdict.NO_IDENTITY


def test_an_unverified_identity_under_a_typo_domain_names_the_suggested_domain() -> None:
    identity = ok(found=True, address={"verified": False})
    given = checks(identity=identity, recipient=recipient("gmial.com", "gmail.com"), courier=courier(None))
    verdict = decide_verdict(given)
    assert verdict == Verdict.ADDRESS_MISMATCH
    told = tell_user(verdict, given)
    assert "@gmial.com" in told and "gmail.com" in told
    # No code is sent again to an address a typo-squatter may hold; the corrected address can be checked.
    assert offered_actions(given, verdict, flush_configured=False) == ["check_address", "rerun"]
    assert addresses_to_check(given) == ["jane@gmail.com"]


def test_a_verified_identity_under_a_lookalike_domain_is_not_a_mismatch() -> None:
    identity = ok(found=True, address={"verified": True})
    given = checks(identity=identity, recipient=recipient("gmial.com", "gmail.com"))
    assert decide_verdict(given) == Verdict.SENT


def test_a_disposable_domain_that_is_a_typo_is_a_typo_first() -> None:
    identity = ok(found=True, address={"verified": False})
    given = checks(identity=identity, recipient=recipient("gmial.com", "gmail.com", disposable=True))
    assert decide_verdict(given) == Verdict.ADDRESS_MISMATCH
    plain = checks(identity=identity, recipient=recipient("mailinator.com", disposable=True))
    assert decide_verdict(plain) == Verdict.DISPOSABLE_DOMAIN


def test_at_most_three_addresses_are_offered() -> None:
    many = [candidate(f"jane.doe{n}@gmail.com") for n in range(5)]
    given = checks(identity=not_found(*many), recipient=recipient("gmail.com"))
    assert len(addresses_to_check(given)) == 3


def test_a_dns_outage_skips_rule_three_as_spec_6_1_says() -> None:
    broken = CheckResult.error("resolver broken", typo_of="gmail.com", suggested_address="jane@gmail.com")
    identity = ok(found=True, address={"verified": False})
    assert decide_verdict(checks(identity=identity, recipient=broken)) == Verdict.SENT


def test_no_identity_under_a_typo_domain_asks_about_the_suggested_domain() -> None:
    given = checks(identity=not_found(), recipient=recipient("gmial.com", "gmail.com"))
    verdict = decide_verdict(given)
    assert verdict == Verdict.NO_IDENTITY
    assert "gmail.com" in tell_user(verdict, given)
