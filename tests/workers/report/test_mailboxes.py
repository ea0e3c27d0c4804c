import pytest

from workers.report.mailboxes import (
    CONSUMER_DOMAINS,
    MX_SUFFIXES,
    detect_provider,
    provider_for_domain,
    provider_for_mx_host,
)


@pytest.mark.parametrize(
    ("host", "key"),
    [
        ("aspmx.l.google.com", "google"),
        ("ALT1.ASPMX.L.GOOGLE.COM.", "google"),
        ("smtp.google.com", "google"),
        ("gmail-smtp-in.l.google.com", "google"),
        ("aspmx2.googlemail.com", "google"),
        ("contoso-com.mail.protection.outlook.com", "microsoft"),
        ("hotmail-com.olc.protection.outlook.com", "microsoft"),
        ("contoso-com.o-v1.mx.microsoft", "microsoft"),
        ("mta5.am0.yahoodns.net", "yahoo"),
        ("mx-aol.mail.gm0.yahoodns.net", "yahoo"),
        ("mx01.mail.icloud.com", "apple"),
        ("mail.protonmail.ch", "proton"),
        ("mx.zoho.eu", "zoho"),
        ("in1-smtp.messagingengine.com", "fastmail"),
        ("mx00.gmx.net", "gmx"),
        ("mx-ha02.web.de", "gmx"),
        ("mx.yandex.net", "yandex"),
        ("mxs.mail.ru", "mailru"),
        ("eu-smtp-inbound-1.mimecast.com", "mimecast"),
        ("mx0a-00123401.pphosted.com", "proofpoint"),
        ("mx1-us1.ppe-hosted.com", "proofpoint"),
        ("d123a.ess.barracudanetworks.com", "barracuda"),
        ("mx1.hc1234-56.iphmx.com", "cisco"),
    ],
)
def test_known_mx_hosts_map_to_their_provider(host: str, key: str) -> None:
    provider = provider_for_mx_host(host)
    assert provider is not None
    assert provider.key == key


@pytest.mark.parametrize("host", ["notgoogle.com", "mx.google.com.evil.example", "mail.example.com", ""])
def test_suffix_match_is_label_aligned(host: str) -> None:
    assert provider_for_mx_host(host) is None


@pytest.mark.parametrize(
    ("domain", "key"),
    [("gmail.com", "google"), ("Hotmail.co.uk", "microsoft"), ("aol.com", "yahoo"), ("me.com", "apple")],
)
def test_consumer_domains(domain: str, key: str) -> None:
    provider = provider_for_domain(domain)
    assert provider is not None
    assert provider.key == key


def test_yahoo_japan_is_not_yahoo() -> None:
    assert provider_for_domain("yahoo.co.jp") is None


def test_mx_wins_over_domain_and_first_known_mx_wins() -> None:
    # The MX says who really holds the mailbox, whatever the domain name suggests.
    provider = detect_provider(
        "gmail.com", ["mx.example.net", "x.mail.protection.outlook.com", "aspmx.l.google.com"]
    )
    assert provider is not None
    assert provider.key == "microsoft"


def test_domain_fallback_when_mx_is_unknown_or_missing() -> None:
    provider = detect_provider("icloud.com", [])
    assert provider is not None
    assert provider.key == "apple"
    assert detect_provider("example.org", ["mx.example.org"]) is None


def test_tables_are_normalized() -> None:
    for suffix, _ in MX_SUFFIXES:
        assert suffix == suffix.lower().strip(".")
    for domain in CONSUMER_DOMAINS:
        assert domain == domain.lower().strip(".")
