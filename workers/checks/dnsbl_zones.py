"""What we know about each DNS blocklist zone (reference/deliverability.md §4): the default zones,
what their answer codes mean, and what to do when a zone will not serve us.

A zone that answers 127.255.255.x (or another "refused" code) did not answer our question at all.
Why, and how to fix it, depends on who runs the zone: Spamhaus wants a non-public resolver or a DQS
key, Barracuda serves registered resolvers only, others simply refuse or rate-limit.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

# Live lists only (reference/deliverability.md §4.2): SORBS is gone since June 2024; UCEPROTECT L2/L3
# list whole ranges and ASNs, so only L1. Barracuda answers registered resolvers only; elsewhere it
# shows up as "unknown", never as clean.
DEFAULT_IP_ZONES: tuple[str, ...] = (
    "zen.spamhaus.org",
    "bl.spamcop.net",
    "b.barracudacentral.org",
    "bl.mailspike.net",
    "psbl.surriel.com",
    "dnsbl-1.uceprotect.net",
)
DEFAULT_DOMAIN_ZONES: tuple[str, ...] = ("dbl.spamhaus.org", "multi.surbl.org", "multi.uribl.com")

IP, DOMAIN = "ip", "domain"
_ERROR_RANGE = ipaddress.ip_network("127.255.255.0/24")
_NOT_A_LISTING = "127.0.0.1"  # RFC 5782 §5: the test point no IP list may list
_IP_ON_DOMAIN_LIST = "127.0.1.255"
_DQS_KEY = re.compile(r"^[a-z0-9]{26}\.(?=.*\.dq\.spamhaus\.net$)")

_ZEN_CODES = {
    "127.0.0.2": "SBL",
    "127.0.0.3": "SBL CSS",
    "127.0.0.4": "XBL (exploited/infected host)",
    "127.0.0.9": "SBL DROP",
    "127.0.0.10": "PBL (ISP: end-user range)",
    "127.0.0.11": "PBL (Spamhaus: end-user range)",
    "127.0.0.30": "BCL",
}
_DBL_CODES = {
    "127.0.1.2": "spam domain",
    "127.0.1.4": "phishing domain",
    "127.0.1.5": "malware domain",
    "127.0.1.6": "botnet C&C domain",
    "127.0.1.102": "abused legit domain (spam)",
    "127.0.1.103": "abused legit redirector",
    "127.0.1.104": "abused legit domain (phishing)",
    "127.0.1.105": "abused legit domain (malware)",
    "127.0.1.106": "abused legit domain (botnet C&C)",
}
# Public mirror and DQS (<key>.zen.dq.spamhaus.net) names of the same data.
_CODE_TABLES = (
    (("zen.spamhaus.org", "zen.dq.spamhaus.net"), _ZEN_CODES),
    (("dbl.spamhaus.org", "dbl.dq.spamhaus.net"), _DBL_CODES),
)


@dataclass(frozen=True)
class Refusal:
    """A zone's answer that is not a listing: what it means and what the operator can do."""

    meaning: str
    advice: str


def _under(zone: str, *suffixes: str) -> bool:
    zone = zone.lower().rstrip(".")
    return any(zone == suffix or zone.endswith("." + suffix) for suffix in suffixes)


def _setting(kind: str) -> str:
    return "DNSBL_ZONES" if kind == IP else "DNSBL_DOMAIN_ZONES"


def code_meaning(zone: str, code: str) -> str:
    for suffixes, table in _CODE_TABLES:
        if _under(zone, *suffixes):
            return table.get(code, "")
    return ""


def public_zone_name(zone: str) -> str:
    """The zone as shown in results: a DQS key is an account secret, so mask it."""
    return _DQS_KEY.sub("<dqs-key>.", zone.lower().rstrip("."))


def is_refusal(code: str) -> bool:
    """Whether an A answer says "not served" rather than "listed", whatever the zone."""
    return code in (_NOT_A_LISTING, _IP_ON_DOMAIN_LIST) or ipaddress.ip_address(code) in _ERROR_RANGE


def refusal(zone: str, kind: str, code: str) -> Refusal:
    """Why `zone` answered `code` instead of a listing, and the fix that fits that zone."""
    if code == _IP_ON_DOMAIN_LIST:
        return Refusal(
            "an IP address was queried on a domain list",
            f"Move {public_zone_name(zone)} from DNSBL_ZONES to DNSBL_DOMAIN_ZONES.",
        )
    if _under(zone, "spamhaus.org", "spamhaus.net"):
        return _spamhaus(zone, kind, code)
    if _under(zone, "barracudacentral.org"):
        return Refusal("Barracuda refused the query", barracuda_advice(zone))
    if code == _NOT_A_LISTING and _under(zone, "uribl.com", "surbl.org"):
        return Refusal(
            "URIBL and SURBL answer 127.0.0.1 to resolvers they block (public resolvers, too many queries)",
            f"Query it from your own recursive resolver (DNS_NAMESERVERS), or remove it from {_setting(kind)}.",
        )
    return Refusal(
        "the zone refused or rate-limited the query from this resolver",
        f"Query it from your own recursive resolver (DNS_NAMESERVERS), or remove it from "
        f"{_setting(kind)} if it keeps refusing.",
    )


def _spamhaus(zone: str, kind: str, code: str) -> Refusal:
    setting = _setting(kind)
    dqs = f"a free Spamhaus DQS key (<key>.{'zen' if kind == IP else 'dbl'}.dq.spamhaus.net)"
    if code in ("127.255.255.250", "127.255.255.251"):
        return Refusal(
            "Spamhaus says the DQS key is disabled or invalid",
            f"Check the DQS key in {setting}, or renew it in the Spamhaus portal.",
        )
    if code == "127.255.255.252":
        return Refusal("Spamhaus says the zone name is mistyped", f"Check the zone name in {setting}.")
    if code == "127.255.255.254":
        return Refusal(
            "Spamhaus refuses queries that come through a public or open resolver",
            f"Point DNS_NAMESERVERS at your own recursive resolver (with reverse DNS), or use {dqs} "
            f"in {setting}.",
        )
    if code == "127.255.255.255":
        return Refusal(
            "Spamhaus says this resolver sent too many queries",
            f"Use {dqs} in {setting}, or your own recursive resolver.",
        )
    return Refusal(f"Spamhaus refused the query (code {code})", f"Use {dqs} in {setting}.")


def barracuda_advice(zone: str) -> str:
    return (
        "Barracuda answers only DNS resolvers whose public IP address is registered with it: register the "
        f"resolver in DNS_NAMESERVERS at barracudacentral.org (free), or remove {zone} from DNSBL_ZONES."
    )


def unanswered_advice(zone: str) -> str | None:
    """Advice for a zone that timed out or failed; only Barracuda is known to stay silent on purpose."""
    return barracuda_advice(public_zone_name(zone)) if _under(zone, "barracudacentral.org") else None
