"""Realistic DNS zones for a sender domain as each provider asks customers to publish them
(reference/providers.md §9), for serving from a DnsServer. Tests take a healthy zone and break it.
"""

from __future__ import annotations

from tests.standins.dkim_keys import dkim_record

SES_SPF = '"v=spf1 ip4:199.255.192.0/22 ip4:54.240.0.0/18 ip4:69.169.224.0/20 -all"'
RELAY_IP = "192.0.2.25"
Zones = dict[str, dict[str, list[str]]]


def sender_zones(
    provider: str, domain: str = "example.com", *, dkim_bits: int = 2048, dmarc: str | None = None
) -> Zones:
    """Zones under which `provider` mail from `domain` passes SPF, DKIM and DMARC (p=quarantine)."""
    zones: Zones = {f"_dmarc.{domain}": {"TXT": [f'"{dmarc or "v=DMARC1; p=quarantine; adkim=r; aspf=r"}"']}}
    builder = {
        "resend": _resend,
        "postmark": _postmark,
        "brevo": _brevo,
        "smtp2go": _smtp2go,
        "smtp": _smtp,
    }[provider]
    zones.update(builder(domain, dkim_bits))
    return zones


def _resend(domain: str, bits: int) -> Zones:
    return {
        f"send.{domain}": {
            "TXT": ['"v=spf1 include:amazonses.com ~all"'],
            "MX": ["10 feedback-smtp.us-east-1.amazonses.com."],
        },
        "amazonses.com": {"TXT": [SES_SPF]},
        f"resend._domainkey.{domain}": {"TXT": [dkim_record(bits)]},
    }


def _postmark(domain: str, bits: int) -> Zones:
    return {
        domain: {"TXT": ['"v=spf1 include:spf.mtasv.net ~all"']},
        "spf.mtasv.net": {"TXT": ['"v=spf1 ip4:50.31.156.96/27 ip4:104.245.209.192/26 ~all"']},
        f"pm-bounces.{domain}": {"CNAME": ["pm.mtasv.net."]},
        "pm.mtasv.net": {"TXT": ['"v=spf1 include:spf.mtasv.net ~all"']},
        f"20240101000000pm._domainkey.{domain}": {"TXT": [dkim_record(bits)]},
    }


def _brevo(domain: str, bits: int) -> Zones:
    dashed = domain.replace(".", "-")
    return {
        domain: {"TXT": ['"v=spf1 include:spf.brevo.com ~all"']},
        "spf.brevo.com": {"TXT": ['"v=spf1 ip4:1.179.112.0/20 ip4:185.41.28.0/22 ~all"']},
        f"brevo1._domainkey.{domain}": {"CNAME": [f"b1.{dashed}.dkim.brevo.com."]},
        f"brevo2._domainkey.{domain}": {"CNAME": [f"b2.{dashed}.dkim.brevo.com."]},
        f"b1.{dashed}.dkim.brevo.com": {"TXT": [dkim_record(bits)]},
        f"b2.{dashed}.dkim.brevo.com": {"TXT": [dkim_record(bits)]},
    }


def _smtp2go(domain: str, bits: int) -> Zones:
    return {
        domain: {"TXT": ['"v=spf1 include:spf.smtp2go.com ~all"']},
        "spf.smtp2go.com": {"TXT": ['"v=spf1 ip4:203.31.36.0/22 ~all"']},
        f"s123456._domainkey.{domain}": {"CNAME": ["dkim.smtp2go.net."]},
        "dkim.smtp2go.net": {"TXT": [dkim_record(bits)]},
    }


def _smtp(domain: str, bits: int) -> Zones:
    return {
        domain: {"TXT": [f'"v=spf1 a:smtp.{domain} mx -all"'], "MX": [f"10 mx.{domain}."]},
        f"smtp.{domain}": {"A": [RELAY_IP]},
        f"mx.{domain}": {"A": ["192.0.2.30"]},
        f"mail._domainkey.{domain}": {"TXT": [dkim_record(bits)]},
    }
