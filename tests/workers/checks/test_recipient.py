"""The `recipient` check against a real DNS server on 127.0.0.1."""

import asyncio
from collections.abc import Iterator

import pytest
from disposable_email_domains import blocklist

from tests.standins.dns_server import BROKEN_MODES, DnsServer
from workers.checks.recipient import check_recipient, disposable_match, domain_of
from workers.clients.dns import make_resolver
from workers.report.model import CheckResult, Status


@pytest.fixture
def dns_server() -> Iterator[DnsServer]:
    with DnsServer() as server:
        yield server


def run(server: DnsServer, email: str, *, dns_timeout: float = 1.0, timeout: float = 5.0) -> CheckResult:
    resolver = make_resolver([server.nameserver], dns_timeout)
    return asyncio.run(check_recipient(email, resolver=resolver, timeout=timeout))


def codes(result: CheckResult) -> list[str]:
    return [finding.code for finding in result.findings]


def test_google_workspace_mx_is_ok_and_names_google(dns_server: DnsServer) -> None:
    dns_server.add("acme.example", "MX", "5 alt1.aspmx.l.google.com.", "1 aspmx.l.google.com.")
    result = run(dns_server, "Jane@Acme.Example")
    assert result.status is Status.OK
    assert result.findings == ()
    assert result.details["mx"] == [
        {"preference": 1, "exchange": "aspmx.l.google.com"},
        {"preference": 5, "exchange": "alt1.aspmx.l.google.com"},
    ]
    assert result.details["mailbox_provider"] == "google"
    assert result.details["mailbox_provider_name"] == "Gmail / Google Workspace"
    assert result.details["nxdomain"] is False
    assert result.details["implicit_mx"] is False
    assert result.details["disposable"] is False
    assert dns_server.queries == [("acme.example", "MX")]


def test_microsoft_365_mx_names_microsoft(dns_server: DnsServer) -> None:
    dns_server.add("contoso.example", "MX", "0 contoso-example.mail.protection.outlook.com.")
    result = run(dns_server, "bob@contoso.example")
    assert result.status is Status.OK
    assert result.details["mailbox_provider"] == "microsoft"
    assert "contoso-example.mail.protection.outlook.com" in result.summary


def test_null_mx_fails_with_recipient_null_mx(dns_server: DnsServer) -> None:
    dns_server.add("nomail.example", "MX", "0 .")
    result = run(dns_server, "x@nomail.example")
    assert result.status is Status.FAIL
    assert codes(result) == ["recipient_null_mx"]
    assert result.details["null_mx"] is True
    assert result.details["mx"] == [{"preference": 0, "exchange": "."}]
    assert result.details["mailbox_provider"] is None


def test_nxdomain_gives_recipient_nxdomain_alone(dns_server: DnsServer) -> None:
    dns_server.add("gmail.example", "MX", "5 mx.gmail.example.")
    result = run(dns_server, "x@gmial.example")
    assert result.status is Status.FAIL
    assert codes(result) == ["recipient_nxdomain"]
    assert result.details["nxdomain"] is True
    assert "does not exist" in result.summary
    # NXDOMAIN settles it once the TLD's SOA shows our resolver works: no A/AAAA fallback queries.
    assert dns_server.queries == [("gmial.example", "MX"), ("example", "SOA")]


def test_nxdomain_tld_is_believed_when_the_root_answers(dns_server: DnsServer) -> None:
    dns_server.add("gmail.com", "MX", "5 gmail-smtp-in.l.google.com.")
    result = run(dns_server, "x@gmail.cmo")
    assert result.status is Status.FAIL
    assert codes(result) == ["recipient_nxdomain", "recipient_domain_typo"]  # .cmo is a TLD slip
    assert result.details["typo_of"] == "gmail.com"
    # The TLD itself is the typo; the root's SOA shows the resolver is fine.
    assert dns_server.queries == [("gmail.cmo", "MX"), ("cmo", "SOA"), ("", "SOA")]


def test_found_mx_needs_no_control_query(dns_server: DnsServer) -> None:
    dns_server.add("gmail.com", "MX", "5 gmail-smtp-in.l.google.com.")
    run(dns_server, "x@gmail.com")
    assert dns_server.queries == [("gmail.com", "MX")]


@pytest.mark.parametrize("mode", BROKEN_MODES)
def test_broken_resolver_is_error_naming_the_setting(dns_server: DnsServer, mode: str) -> None:
    dns_server.add("gmail.com", "MX", "5 gmail-smtp-in.l.google.com.")
    dns_server.broken = mode
    result = run(dns_server, "user@gmail.com", dns_timeout=0.3)
    assert result.status is Status.ERROR
    assert result.findings == ()
    assert "DNS_NAMESERVERS" in result.summary
    assert "broken or filtering" in result.summary
    assert dns_server.nameserver in result.summary
    assert "SOA of com." in result.details["resolver_problem"]


def test_no_mx_but_a_record_is_implicit_mx(dns_server: DnsServer) -> None:
    dns_server.add("host.example", "A", "192.0.2.25")
    result = run(dns_server, "x@host.example")
    assert result.status is Status.OK
    assert result.findings == ()
    assert result.details["implicit_mx"] is True
    assert result.details["addresses"] == ["192.0.2.25"]
    assert "RFC 5321" in result.details["note"]
    assert sorted(dns_server.queries) == [
        ("host.example", "A"),
        ("host.example", "AAAA"),
        ("host.example", "MX"),
    ]


def test_no_mx_and_no_address_fails_with_recipient_no_mx(dns_server: DnsServer) -> None:
    dns_server.add("txtonly.example", "TXT", '"v=spf1 -all"')
    result = run(dns_server, "x@txtonly.example")
    assert result.status is Status.FAIL
    assert codes(result) == ["recipient_no_mx"]
    assert result.details["implicit_mx"] is False


def test_disposable_domain_from_the_package_list(dns_server: DnsServer) -> None:
    assert "mailinator.com" in blocklist
    dns_server.add("mailinator.com", "MX", "10 mail.mailinator.com.")
    result = run(dns_server, "someone@mailinator.com")
    assert result.status is Status.FAIL
    assert codes(result) == ["disposable_domain"]
    assert result.details["disposable"] is True
    assert result.details["disposable_match"] == "mailinator.com"


def test_disposable_parent_domain_matches(dns_server: DnsServer) -> None:
    dns_server.add("sub.mailinator.com", "MX", "10 mail.mailinator.com.")
    result = run(dns_server, "someone@sub.mailinator.com")
    assert codes(result) == ["disposable_domain"]
    assert result.details["disposable_match"] == "mailinator.com"


def test_disposable_match_never_matches_a_bare_tld() -> None:
    assert disposable_match("com") is None
    assert disposable_match("example.com") is None
    assert disposable_match("a.b.mailinator.com") == "mailinator.com"


def test_dns_down_is_error_not_invalid_recipient(dns_server: DnsServer) -> None:
    dns_server.drop = True
    result = run(dns_server, "x@mailinator.com", dns_timeout=0.2)
    assert result.status is Status.ERROR
    assert result.findings == ()
    assert "timed out" in result.summary
    assert result.details["disposable"] is True  # known offline, but the verdict must not use it


def test_servfail_is_error(dns_server: DnsServer) -> None:
    dns_server.servfail.add("broken.example")
    result = run(dns_server, "x@broken.example")
    assert result.status is Status.ERROR
    assert result.findings == ()
    assert "SERVFAIL" in result.summary
    # The control query worked: the domain's own servers fail, not our resolver.
    assert "DNS_NAMESERVERS" not in result.summary
    assert ("example", "SOA") in dns_server.queries


def test_check_deadline_is_error(dns_server: DnsServer) -> None:
    dns_server.latency = 1.0
    result = run(dns_server, "x@slow.example", dns_timeout=2.0, timeout=0.1)
    assert result.status is Status.ERROR
    assert "0.1 s" in result.summary


def test_address_without_domain_is_error() -> None:
    assert domain_of("no-at-sign") is None
    assert domain_of("a@B.Example.") == "b.example"
    resolver = make_resolver(["127.0.0.1:9"], 0.1)
    result = asyncio.run(check_recipient("no-at-sign", resolver=resolver, timeout=1.0))
    assert result.status is Status.ERROR


# --- The address itself (SPEC §14): typo domains and mixed scripts ----------------------------------


def finding(result: CheckResult, code: str) -> str:
    return next(f.summary for f in result.findings if f.code == code)


def test_typo_domain_that_does_not_exist_names_the_suggestion(dns_server: DnsServer) -> None:
    dns_server.add("gmail.com", "MX", "5 gmail-smtp-in.l.google.com.")  # gmial.com is not in the zones
    result = run(dns_server, "jane@gmial.com")
    assert result.status is Status.FAIL
    assert codes(result) == ["disposable_domain", "recipient_nxdomain", "recipient_domain_typo"]
    assert finding(result, "recipient_nxdomain") == (
        "The domain gmial.com does not exist (NXDOMAIN), so it cannot receive mail: "
        "did the user mean jane@gmail.com?"
    )
    assert finding(result, "recipient_domain_typo") == (
        "gmial.com looks like a typo of gmail.com: did the user mean jane@gmail.com?"
    )
    assert result.summary.count("did the user mean jane@gmail.com?") == 1  # said once
    details = result.details
    assert details["typo_of"] == "gmail.com" and details["suggested_address"] == "jane@gmail.com"
    assert details["disposable"] is True  # gmial.com is on both lists: the verdict puts the typo first
    assert details["mixed_script"] is None


def test_typo_squatter_with_mx_still_gets_the_typo_finding(dns_server: DnsServer) -> None:
    dns_server.add("gmial.com", "MX", "10 mx.typo-catcher.example.")
    result = run(dns_server, "jane@gmial.com")
    typo = finding(result, "recipient_domain_typo")
    assert typo.startswith("gmial.com looks like a typo of gmail.com: did the user mean jane@gmail.com?")
    assert "accepts mail" in typo
    assert "recipient_nxdomain" not in codes(result)
    assert result.details["mx"] == [{"preference": 10, "exchange": "mx.typo-catcher.example"}]
    assert result.details["typo_of"] == "gmail.com"


def test_typo_of_a_domain_not_on_the_disposable_list_is_a_warning(dns_server: DnsServer) -> None:
    dns_server.add("outlok.com", "MX", "10 mx.outlok.com.")
    result = run(dns_server, "bob@outlok.com")
    assert result.status is Status.WARN
    assert codes(result) == ["recipient_domain_typo"]
    assert result.details["disposable"] is False
    assert result.details["suggested_address"] == "bob@outlook.com"
    assert result.summary.startswith("outlok.com accepts mail via MX mx.outlok.com.")


@pytest.mark.parametrize("domain", ["mail.com", "gmx.com", "gmail.com", "aim.com", "me.com", "acme.example"])
def test_a_listed_provider_or_a_corporate_domain_is_never_a_typo(dns_server: DnsServer, domain: str) -> None:
    dns_server.add(domain, "MX", f"10 mx.{domain}.")
    result = run(dns_server, f"jane@{domain}")
    assert "recipient_domain_typo" not in codes(result)
    assert result.details["typo_of"] is None and result.details["suggested_address"] is None


def test_cyrillic_letter_in_the_local_part_is_mixed_script(dns_server: DnsServer) -> None:
    dns_server.add("example.com", "MX", "10 mx.example.com.")
    result = run(dns_server, "j\u0430ne@example.com")  # CYRILLIC SMALL LETTER A
    assert result.status is Status.WARN
    assert codes(result) == ["address_mixed_script"]
    assert result.details["mixed_script"] == {"local_part": ["Latin", "Cyrillic"], "domain": []}
    assert "the local part mixes Latin and Cyrillic" in finding(result, "address_mixed_script")


@pytest.mark.parametrize("mode", BROKEN_MODES)
def test_broken_resolver_keeps_the_findings_that_need_no_dns(dns_server: DnsServer, mode: str) -> None:
    """SPEC §5: no DNS finding while our resolver is broken, but the typo and the mixed scripts are
    read from the address itself: they stay in the `error` result for the reader to see."""
    dns_server.broken = mode
    result = run(dns_server, "j\u0430ne@gmial.com", dns_timeout=0.3)
    assert result.status is Status.ERROR
    assert "DNS_NAMESERVERS" in result.summary
    assert codes(result) == ["recipient_domain_typo", "address_mixed_script"]  # no recipient_nxdomain
    assert "did the user mean j\u0430ne@gmail.com?" in result.summary
    assert result.details["typo_of"] == "gmail.com"
    assert result.details["mixed_script"]["local_part"] == ["Latin", "Cyrillic"]


def test_dns_timeout_keeps_the_typo_finding(dns_server: DnsServer) -> None:
    dns_server.drop = True
    result = run(dns_server, "jane@outlok.com", dns_timeout=0.2)
    assert result.status is Status.ERROR
    assert codes(result) == ["recipient_domain_typo"]
    assert result.details["suggested_address"] == "jane@outlook.com"
