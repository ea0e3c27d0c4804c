"""The small pure pieces the sections rely on, row by row: record names made absolute, replies scrubbed
and grouped, DNS values compared."""

from __future__ import annotations

import pytest

from workers.providers.base import absolute_host
from workers.providers.domain_dns import matches
from workers.providers.traffic import normalized_reply


@pytest.mark.parametrize(
    ("host", "domain", "absolute"),
    [
        ("send", "acme.test", "send.acme.test"),
        ("resend._domainkey", "acme.test", "resend._domainkey.acme.test"),
        ("@", "acme.test", "acme.test"),
        ("", "acme.test", "acme.test"),
        ("mail._domainkey.", "acme.test", "mail._domainkey.acme.test"),  # Brevo's trailing dot
        ("pm-bounces.acme.test", "acme.test", "pm-bounces.acme.test"),  # already absolute
        ("resend._domainkey.updates", "updates.example.com", "resend._domainkey.updates.example.com"),
        ("subdomain", "subdomain.mydomain.com", "subdomain.mydomain.com"),  # Brevo's "@" of a subdomain
        ("send", "updates.example.com", "send.updates.example.com"),
        ("send", "send.com", "send.send.com"),  # an apex is never cut down to its TLD
        ("S1._DomainKey", "Acme.Test", "s1._domainkey.acme.test"),
    ],
)
def test_record_names_are_made_absolute(host: str, domain: str, absolute: str) -> None:
    assert absolute_host(host, domain) == absolute


@pytest.mark.parametrize(
    ("reply", "shown"),
    [
        (
            "550 5.1.1 <jane.doe@hotmail.com>: Recipient address rejected",
            "550 5.1.1 <address>: Recipient address rejected",
        ),
        ("452 4.2.2 The mailbox of bob@example.org is full", "452 4.2.2 The mailbox of <address> is full"),
        (
            "451 4.7.650 The mail server [52.100.1.7] has been temporarily rate limited due to IP reputation.",
            "451 4.7.650 The mail server [x.x.x.x] has been temporarily rate limited due to IP reputation.",
        ),
        (
            "421-4.7.28 Gmail has detected an unusual rate d9443c01a7336-2b0d41a2f2csi1234567pfb.123 - gsmtp",
            "421-4.7.28 Gmail has detected an unusual rate … - gsmtp",
        ),
        ("  550   5.7.1   blocked\n  by policy ", "550 5.7.1 blocked by policy"),
    ],
)
def test_replies_are_scrubbed_and_grouped(reply: str, shown: str) -> None:
    assert normalized_reply(reply) == shown


@pytest.mark.parametrize(
    ("rdtype", "expected", "found", "same"),
    [
        ("CNAME", "pm.mtasv.net", "PM.MTASV.NET.", True),
        ("CNAME", "dkim.smtp2go.net", "return.smtp2go.net", False),
        ("MX", "10 feedback-smtp.us-east-1.amazonses.com", "feedback-smtp.us-east-1.amazonses.com", True),
        ("TXT", "v=spf1 include:amazonses.com ~all", "v=spf1  include:amazonses.com ~all", True),
        ("TXT", "v=spf1 include:amazonses.com ~all", "v=spf1 include:amazonses.com -all", False),
        ("TXT", "p=MIGfKEY", "v=DKIM1; k=rsa; p=MIGfKEY", True),
        ("TXT", "k=rsa;p=MIGfKEY", "v=DKIM1; k=rsa; p=OTHER", False),
        ("TXT", "brevo-code:5a1f", "brevo-code:5a1f", True),
    ],
)
def test_dns_values_are_compared_as_their_type_says(
    rdtype: str, expected: str, found: str, same: bool
) -> None:
    assert matches(rdtype, expected, found) is same
