"""Look-alike identities (SPEC §14) through whole reports, against real Kratos and DNS stand-ins: one
Kratos, and Olympus's two (CIAM and IAM, SPEC §12)."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.processes import BASE_ZONES
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from workers.checks.diagnostics import run_diagnostics
from workers.checks.lookalike_search import search_prefix
from workers.core.settings import load_settings
from workers.report.model import CheckResult, Report, Status

_ids = itertools.count(1)
ZONES = {
    **BASE_ZONES,
    "gmail.com": {"MX": ["5 gmail-smtp-in.l.google.com."]},
    "gmial.com": {"MX": ["10 mx.typo-catcher.example."]},
}


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    with DnsServer(ZONES) as server:
        yield server


@pytest.fixture(scope="module")
def standins() -> Iterator[dict[str, KratosStandIn]]:
    with KratosStandIn() as solo, KratosStandIn() as ciam, KratosStandIn(verification_enabled=False) as iam:
        yield {"solo": solo, "ciam": ciam, "iam": iam}


@pytest.fixture
def solo(standins: dict[str, KratosStandIn]) -> KratosStandIn:
    return standins["solo"]


@pytest.fixture
def ciam(standins: dict[str, KratosStandIn]) -> KratosStandIn:
    return standins["ciam"]


@pytest.fixture
def iam(standins: dict[str, KratosStandIn]) -> KratosStandIn:
    return standins["iam"]


@pytest.fixture(autouse=True)
def _fresh(standins: dict[str, KratosStandIn]) -> Iterator[None]:
    """Each test starts with empty Kratoses, and whatever they answered must match Kratos's OpenAPI."""
    for standin in standins.values():
        standin.reset()
    yield
    for standin in standins.values():
        assert standin.violations == []


def diagnose(email: str, dns: DnsServer, *kratoses: KratosStandIn, **overrides: Any) -> Report:
    if len(kratoses) == 1:
        where = {"kratos_admin_url": kratoses[0].admin_url, "kratos_public_url": kratoses[0].public_url}
    else:
        ciam, iam = kratoses
        where = {
            "kratos_instances": f"ciam={ciam.admin_url}|{ciam.public_url},iam={iam.admin_url}|{iam.public_url}"
        }
    settings = load_settings(
        {"dns_nameservers": dns.nameserver, "dns_timeout": 0.5, "report_deadline": 5, **where, **overrides}
    )
    return asyncio.run(run_diagnostics(email, settings, report_id=f"l{next(_ids)}"))


def similar_finding(result: CheckResult) -> str | None:
    return next((f.summary for f in result.findings if f.code == "similar_identity"), None)


def test_the_prefix_is_three_typed_letters_that_every_look_alike_shares() -> None:
    assert search_prefix("janedoe@gmail.com") == "jan"
    assert search_prefix("Jane.Doe+news@gmial.com") == "jan"
    assert search_prefix("j.doe@gmail.com") == "j.d"  # the typed dot is kept: the corrected address has it
    assert search_prefix("jo@example.com") == "jo@"
    assert search_prefix("j@example.com") is None  # too short to search


def test_gmail_dot_variant_is_one_candidate(dns, solo) -> None:
    solo.add_identity("jane.doe@gmail.com", verified=True)
    solo.add_message("jane.doe@gmail.com", status="sent", age_s=86400 * 40)  # older than the look-back
    report = diagnose("janedoe@gmail.com", dns, solo)
    identity = report.checks["identity"]
    assert identity.status == Status.FAIL and identity.details["found"] is False
    assert identity.details["similar_search"] == "ok" and "similar_search_note" not in identity.details
    [candidate] = identity.details["candidates"]
    assert candidate["address"] == "jane.doe@gmail.com" and candidate["instance"] == "kratos"
    assert candidate["verified"] is True and candidate["courier_status"] == "sent"
    assert candidate["closeness"] == "gmail_equivalent" and candidate["created_at"]
    text = similar_finding(identity)
    assert text is not None and "`jane.doe@gmail.com` in Kratos `kratos`" in text
    assert "the same Gmail mailbox, verified, created " in text and "newest mail `sent`" in text
    assert "similar_identity" in [f.code for f in report.findings]
    assert solo.similar_searches() == [["jan"]]


def test_the_typo_corrected_address_is_a_candidate(dns, solo) -> None:
    solo.add_identity("jane@gmail.com")
    report = diagnose("jane@gmial.com", dns, solo)
    [candidate] = report.checks["identity"].details["candidates"]
    assert candidate["address"] == "jane@gmail.com" and candidate["closeness"] == "domain_typo"
    assert candidate["verified"] is False and candidate["courier_status"] is None  # no mail on record
    assert report.checks["recipient"].details["typo_of"] == "gmail.com"


def test_identity_registered_under_the_typo_is_found_and_the_typo_recorded(dns, solo) -> None:
    solo.add_identity("jane@gmial.com")  # unverified
    report = diagnose("jane@gmial.com", dns, solo)
    identity = report.checks["identity"]
    assert identity.details["found"] is True and identity.details["address"]["verified"] is False
    assert "candidates" not in identity.details and "similar_search" not in identity.details
    assert solo.similar_searches() == []  # an identity has the address: no search
    recipient = report.checks["recipient"]
    assert recipient.details["typo_of"] == "gmail.com"
    assert recipient.details["suggested_address"] == "jane@gmail.com"
    assert "recipient_domain_typo" in [f.code for f in recipient.findings]  # MX or not


def test_kratos_rejecting_the_parameter_is_a_note_not_an_error(dns, solo) -> None:
    solo.add_identity("jane.doe@gmail.com")
    solo.similar_search = "rejected"
    identity = diagnose("janedoe@gmail.com", dns, solo).checks["identity"]
    assert identity.status == Status.FAIL and identity.details["found"] is False
    assert identity.details["similar_search"] == "unsupported" and identity.details["candidates"] == []
    assert "refused the experimental similar search" in identity.details["similar_search_note"]
    assert "refused the experimental similar search" in identity.summary
    assert similar_finding(identity) is None


def test_an_older_kratos_ignoring_the_parameter_gives_no_candidate(dns, solo) -> None:
    for email in ("bob@example.com", "alice@example.com", "jane.doe@gmail.com"):
        solo.add_identity(email)
    solo.similar_search = "ignored"  # v1.0 lists everyone
    identity = diagnose("janedoe@gmail.com", dns, solo).checks["identity"]
    assert identity.details["candidates"] == []
    assert identity.details["similar_search"] == "unsupported"
    assert "ignored" in identity.details["similar_search_note"]
    assert solo.similar_searches() == [["jan"]]


def test_a_stranger_sharing_the_prefix_is_not_a_candidate(dns, solo) -> None:
    solo.add_identity("jane.smith@gmail.com", verified=True)
    solo.add_identity("janet@gmail.com")
    identity = diagnose("jane.doe@gmail.com", dns, solo).checks["identity"]
    assert identity.details["found"] is False
    assert identity.details["similar_search"] == "ok" and identity.details["candidates"] == []
    assert similar_finding(identity) is None


def test_no_candidate_is_still_not_found(dns, solo) -> None:
    solo.add_identity("someone@example.com")
    report = diagnose("nobody@example.com", dns, solo)
    identity = report.checks["identity"]
    assert identity.status == Status.FAIL and identity.details["found"] is False
    assert identity.details["candidates"] == [] and identity.details["similar_search"] == "ok"
    assert identity.summary.endswith("No look-alike identity either.")
    assert "similar_identity" not in [f.code for f in report.findings]
    assert solo.similar_searches() == [["nob"]]


def test_at_most_five_candidates_closest_then_newest(dns, solo) -> None:
    for email in (  # added oldest first
        "janedo@gmail.com",  # a slip in the local part
        "janedoe@gmial.com",  # a typo of the domain
        "jane.doe@gmail.com",  # Gmail equivalents from here on
        "janedoe+news@gmail.com",
        "jan.edoe@gmail.com",
        "janedoe@googlemail.com",
        "jane.d.oe@gmail.com",
        "janette@gmail.com",  # a stranger
    ):
        solo.add_identity(email)
    report = diagnose("janedoe@gmail.com", dns, solo)
    candidates = report.checks["identity"].details["candidates"]
    assert [c["address"] for c in candidates] == [
        "jane.d.oe@gmail.com",
        "janedoe@googlemail.com",
        "jan.edoe@gmail.com",
        "janedoe+news@gmail.com",
        "jane.doe@gmail.com",
    ]
    assert {c["closeness"] for c in candidates} == {"gmail_equivalent"}
    listings = [p for _, p in solo.requests if p.startswith("/admin/courier/messages?page_size=1&")]
    assert len(listings) == 5  # one courier listing per kept candidate
    assert solo.similar_searches() == [["jan"]]


def test_the_search_out_of_time_is_a_note(dns, solo) -> None:
    solo.add_identity("jane.doe@gmail.com")
    solo.latency = 1.5  # the lookup fits in the identity check's time; the search's 30 % of 4 s does not
    identity = diagnose("janedoe@gmail.com", dns, solo, report_deadline=4).checks["identity"]
    assert identity.status == Status.FAIL and identity.details["found"] is False
    assert identity.details["similar_search"] == "error" and identity.details["candidates"] == []
    assert "no answer within 1.2 s" in identity.details["similar_search_note"]


# --- Two instances (SPEC §12, §16) ---------------------------------------------------------------


def test_candidate_in_the_other_instance(dns, ciam, iam) -> None:
    iam.add_identity("jane.doe@gmail.com", verified=True)
    iam.add_message("jane.doe@gmail.com", status="sent", age_s=120)
    report = diagnose("janedoe@gmail.com", dns, ciam, iam)
    identity = report.checks["identity"]
    assert identity.details["found"] is False
    [candidate] = identity.details["candidates"]
    assert candidate["instance"] == "iam" and candidate["courier_status"] == "sent"
    assert identity.details["instances"]["iam"]["details"]["candidates"] == [candidate]
    assert identity.details["instances"]["ciam"]["details"]["candidates"] == []
    assert "in Kratos `iam`" in str(similar_finding(identity))
    assert ciam.similar_searches() == [["jan"]] and iam.similar_searches() == [["jan"]]


def test_candidates_of_every_instance_reach_the_top_level(dns, ciam, iam) -> None:
    ciam.add_identity("jane.doe@gmail.com")
    iam.add_identity("janedoe@googlemail.com", verified=True)
    identity = diagnose("janedoe@gmail.com", dns, ciam, iam).checks["identity"]
    assert sorted(c["instance"] for c in identity.details["candidates"]) == ["ciam", "iam"]
    assert identity.details["similar_search"] == "ok"
    text = str(similar_finding(identity))
    assert (
        "`jane.doe@gmail.com` in Kratos `ciam`" in text and "`janedoe@googlemail.com` in Kratos `iam`" in text
    )
    assert ciam.similar_searches() == [["jan"]] and iam.similar_searches() == [["jan"]]


def test_one_instance_rejecting_the_search_names_it_and_keeps_the_others_candidates(dns, ciam, iam) -> None:
    ciam.add_identity("jane.doe@gmail.com")
    iam.similar_search = "rejected"
    identity = diagnose("janedoe@gmail.com", dns, ciam, iam).checks["identity"]
    assert identity.status == Status.FAIL
    assert identity.details["similar_search"] == "unsupported"
    assert identity.details["similar_search_note"].startswith("Kratos `iam`: Kratos refused")
    assert [c["instance"] for c in identity.details["candidates"]] == ["ciam"]


def test_an_unread_instance_means_no_search(dns, ciam, iam) -> None:
    """SPEC §16: "not found" is not established while IAM is down, so there is nothing to search for."""
    ciam.add_identity("jane.doe@gmail.com")
    iam.fail_with = 503
    identity = diagnose("janedoe@gmail.com", dns, ciam, iam).checks["identity"]
    assert identity.status == Status.ERROR
    assert ciam.similar_searches() == [] and iam.similar_searches() == []
    assert identity.details["similar_search"] == "skipped" and identity.details["candidates"] == []
    assert "KRATOS_INSTANCES (iam admin URL)" in identity.details["similar_search_note"]


def test_an_identity_in_one_instance_means_no_search_anywhere(dns, ciam, iam) -> None:
    iam.add_identity("janedoe@gmail.com", verified=True)
    ciam.add_identity("jane.doe@gmail.com")
    identity = diagnose("janedoe@gmail.com", dns, ciam, iam).checks["identity"]
    assert identity.details["found"] is True and "candidates" not in identity.details
    assert ciam.similar_searches() == [] and iam.similar_searches() == []
