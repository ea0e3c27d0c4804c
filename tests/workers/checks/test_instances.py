"""Several Kratos instances in one report (SPEC §12), in-process against two real Kratos stand-ins:
CIAM (verification on) and IAM (verification off), as Olympus runs them."""

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
from workers.checks.instances import merged, settle_instances
from workers.core.settings import load_settings
from workers.report.model import CheckResult, Report, Status, Verdict
from workers.report.verdict import decide_verdict

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def dns() -> Iterator[DnsServer]:
    server = DnsServer(BASE_ZONES).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ciam() -> Iterator[KratosStandIn]:
    with KratosStandIn() as standin:
        yield standin
        assert standin.violations == []


@pytest.fixture(scope="module")
def iam() -> Iterator[KratosStandIn]:
    with KratosStandIn(verification_enabled=False) as standin:
        yield standin
        assert standin.violations == []


def diagnose(email: str, dns: DnsServer, ciam: KratosStandIn, iam: KratosStandIn, **overrides: Any) -> Report:
    instances = f"ciam={ciam.admin_url}|{ciam.public_url},iam={iam.admin_url}|{iam.public_url}"
    settings = load_settings(
        {
            "kratos_instances": instances,
            "dns_nameservers": dns.nameserver,
            "dns_timeout": 0.5,
            "report_deadline": 5,
            **overrides,
        }
    )
    return asyncio.run(run_diagnostics(email, settings, report_id=f"r{next(_ids)}"))


def _email(label: str) -> str:
    return f"{label}.{next(_ids)}@example.com"


def test_identity_in_ciam_only_is_decided_there(dns, ciam, iam) -> None:
    email = _email("ciam-only")
    ciam.add_identity(email)
    ciam.add_message(email, status="sent", age_s=60)
    report = diagnose(email, dns, ciam, iam)
    identity = report.checks["identity"]
    assert report.instance == "ciam" and identity.details["instance"] == "ciam"
    assert identity.status == Status.OK and identity.details["found"] is True
    assert identity.summary.startswith("ciam: Identity") and "iam: No Kratos identity" in identity.summary
    assert identity.details["instances"]["iam"]["details"]["found"] is False
    assert report.checks["courier"].details["newest"]["status"] == "sent"
    assert report.verdict == "sent"
    assert "resend_verification" in report.actions  # CIAM has verification on


def test_identity_in_iam_only_offers_no_resend_verification(dns, ciam, iam) -> None:
    email = _email("iam-only")
    iam.add_identity(email)  # unverified: CIAM would offer Resend verification
    report = diagnose(email, dns, ciam, iam)
    assert report.instance == "iam"
    assert report.checks["identity"].details["verification_enabled"] is False
    assert report.verdict == "no_message"
    assert report.actions == ["resend_recovery", "rerun"]


def test_identity_in_both_is_decided_by_the_newest_courier_message(dns, ciam, iam) -> None:
    email = _email("both")
    ciam.add_identity(email, verified=True)
    iam.add_identity(email, verified=True)
    ciam.add_message(email, status="sent", age_s=3600)
    iam.add_message(email, status="abandoned", age_s=60, dispatches=[("failed", "535 5.7.8 auth failed")] * 3)
    report = diagnose(email, dns, ciam, iam)
    assert report.instance == "iam"
    assert report.verdict == "smtp_auth_failed"  # IAM's newer message decides, not CIAM's sent one
    courier = report.checks["courier"]
    assert courier.details["newest"]["status"] == "abandoned"
    assert set(courier.details["instances"]) == {"ciam", "iam"}
    assert "ciam:" in courier.summary and "iam:" in courier.summary
    identity = report.checks["identity"]
    assert all(identity.details["instances"][n]["details"]["found"] for n in ("ciam", "iam"))


def test_a_hung_instance_is_error_for_itself_and_the_other_decides(dns, ciam, iam) -> None:
    email = _email("one-down")
    iam.add_identity(email, verified=True)
    iam.add_message(email, status="sent", age_s=60)
    ciam.hang = True
    try:
        report = diagnose(email, dns, ciam, iam, report_deadline=3)
    finally:
        ciam.hang = False
    identity = report.checks["identity"]
    assert identity.status == Status.OK and report.instance == "iam"
    assert identity.details["instances"]["ciam"]["status"] == "error"
    assert report.checks["courier"].details["instances"]["ciam"]["status"] == "error"
    assert report.verdict == "sent"


def test_every_instance_dead_is_error(dns, ciam, iam) -> None:
    email = _email("all-down")
    ciam.fail_with = iam.fail_with = 500
    try:
        report = diagnose(email, dns, ciam, iam)
    finally:
        ciam.fail_with = iam.fail_with = None
    assert report.checks["identity"].status == Status.ERROR
    assert report.checks["courier"].status == Status.ERROR
    assert report.instance == "" and report.verdict == "unknown"


def test_a_dead_instance_never_lets_another_conclude_no_identity(dns, ciam, iam) -> None:
    """SPEC §16: the identity lives in IAM, IAM's admin API is down, CIAM answers "not found"."""
    email = _email("iam-down")
    iam.add_identity(email)
    iam.fail_with = 503
    try:
        report = diagnose(email, dns, ciam, iam)
    finally:
        iam.fail_with = None
    identity = report.checks["identity"]
    assert identity.status == Status.ERROR
    assert "KRATOS_INSTANCES (iam admin URL)" in identity.summary
    assert identity.details["setting"] == "KRATOS_INSTANCES (iam admin URL)"
    assert identity.details["instances"]["ciam"]["details"]["found"] is False
    assert report.checks["courier"].status == Status.ERROR  # IAM's courier could hold the mail
    assert report.verdict == "unknown"
    assert "sign up" not in report.tell_user


def _result(status: Status, **details: Any) -> CheckResult:
    return CheckResult(status, f"{status} result", details)


def test_the_holders_courier_unread_is_error_not_another_instances_empty_courier() -> None:
    """SPEC §16: IAM holds the identity (verified) but its courier could not be read; CIAM's courier is
    empty. Without the rule, CIAM's empty courier made the verdict `already_verified`."""
    instances = load_settings(
        {"kratos_instances": "ciam=http://c:1|http://c:2,iam=http://i:1|http://i:2"}
    ).instances
    identity = {
        "ciam": _result(Status.FAIL, found=False),
        "iam": _result(Status.OK, found=True, address={"verified": True, "value": "a@b.c"}),
    }
    courier = {
        "ciam": _result(Status.OK, newest=None, messages=[], stuck=False),
        "iam": CheckResult.error("Kratos admin API timed out (ReadTimeout)"),
    }
    checks = {
        "identity": merged(identity, "", instances),
        "courier": merged(courier, "", instances, holders=[]),
    }
    chosen = settle_instances(checks, instances)
    assert chosen == "iam"
    assert checks["identity"].status == Status.OK and checks["identity"].details["found"] is True
    assert checks["courier"].status == Status.ERROR
    assert (
        "`iam`" in checks["courier"].summary
        and "KRATOS_INSTANCES (iam admin URL)" in checks["courier"].summary
    )
    assert decide_verdict(checks) != Verdict.ALREADY_VERIFIED


def _candidate(address: str, instance: str, closeness: str, created_at: str) -> dict[str, Any]:
    return {
        "address": address,
        "instance": instance,
        "verified": False,
        "created_at": created_at,
        "courier_status": None,
        "closeness": closeness,
    }


def test_settling_keeps_the_candidates_of_every_instance_at_the_top_level() -> None:
    """Before the look-alikes, only the deciding instance's details survived a merge."""
    instances = load_settings(
        {"kratos_instances": "ciam=http://c:1|http://c:2,iam=http://i:1|http://i:2"}
    ).instances
    ciam = _candidate("jane@gmail.com", "ciam", "domain_typo", "2024-01-01T00:00:00Z")
    iam_old = _candidate("jane+x@gmial.com", "iam", "subaddress", "2023-01-01T00:00:00Z")
    iam_new = _candidate("jane@gmial.co", "iam", "subaddress", "2025-01-01T00:00:00Z")
    identity = {
        "ciam": _result(Status.FAIL, found=False, candidates=[ciam], similar_search="ok"),
        "iam": _result(
            Status.FAIL,
            found=False,
            candidates=[iam_new, iam_old],
            similar_search="ok",
            similar_search_note="At least 500 identities start with `jan`: …",
        ),
    }
    checks = {"identity": merged(identity, "", instances)}  # as the report shows it while running
    settle_instances(checks, instances)
    details = checks["identity"].details
    assert details["candidates"] == [iam_new, iam_old, ciam]  # closest (a +tag) first, then newest
    assert details["similar_search"] == "ok"
    assert details["similar_search_note"].startswith("Kratos `iam`: At least 500")
    findings = [f for f in checks["identity"].findings if f.code == "similar_identity"]
    assert len(findings) == 1 and "`jane@gmail.com` in Kratos `ciam`" in findings[0].summary
