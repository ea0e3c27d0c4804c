"""Which mailbox provider receives mail for a recipient domain (SPEC §5, `recipient` check).

The advice we give ("check Gmail's spam folder", "Microsoft 365 quarantine", "ask IT to release it
from Mimecast") depends on who runs the recipient's mailbox, and the MX hosts say that more reliably
than the domain name does: most Google Workspace and Microsoft 365 customers use their own domains.
The well-known consumer domains are a fallback for when the MX lookup tells us nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class MailboxProvider:
    key: str
    name: str


GOOGLE = MailboxProvider("google", "Gmail / Google Workspace")
MICROSOFT = MailboxProvider("microsoft", "Microsoft (Outlook.com / Microsoft 365)")
YAHOO = MailboxProvider("yahoo", "Yahoo / AOL")
APPLE = MailboxProvider("apple", "Apple iCloud Mail")
PROTON = MailboxProvider("proton", "Proton Mail")
ZOHO = MailboxProvider("zoho", "Zoho Mail")
FASTMAIL = MailboxProvider("fastmail", "Fastmail")
GMX = MailboxProvider("gmx", "GMX / WEB.DE / mail.com")
IONOS = MailboxProvider("ionos", "IONOS")
YANDEX = MailboxProvider("yandex", "Yandex Mail")
MAILRU = MailboxProvider("mailru", "Mail.ru")
TUTA = MailboxProvider("tuta", "Tuta (Tutanota)")
# Security gateways in front of a corporate mailbox: mail is often held in their quarantine.
MIMECAST = MailboxProvider("mimecast", "Mimecast (email security gateway)")
PROOFPOINT = MailboxProvider("proofpoint", "Proofpoint (email security gateway)")
BARRACUDA = MailboxProvider("barracuda", "Barracuda (email security gateway)")
CISCO = MailboxProvider("cisco", "Cisco Secure Email (email security gateway)")

# MX host suffixes (label-aligned: "google.com" matches "aspmx.l.google.com", never "notgoogle.com").
MX_SUFFIXES: tuple[tuple[str, MailboxProvider], ...] = (
    ("google.com", GOOGLE),  # aspmx.l.google.com, smtp.google.com, gmail-smtp-in.l.google.com
    ("googlemail.com", GOOGLE),  # aspmx2.googlemail.com (legacy Workspace MX)
    ("mail.protection.outlook.com", MICROSOFT),  # Microsoft 365 tenants
    ("olc.protection.outlook.com", MICROSOFT),  # hotmail/outlook.com consumer mail
    ("outlook.com", MICROSOFT),
    ("hotmail.com", MICROSOFT),
    ("mx.microsoft", MICROSOFT),  # Microsoft 365 DNSSEC/DANE MX (*.mx.microsoft)
    ("yahoodns.net", YAHOO),  # mta5.am0.yahoodns.net, mx-aol.mail.gm0.yahoodns.net
    ("mail.icloud.com", APPLE),  # mx01.mail.icloud.com
    ("protonmail.ch", PROTON),  # mail.protonmail.ch, mailsec.protonmail.ch
    ("zoho.com", ZOHO),
    ("zoho.eu", ZOHO),
    ("zoho.in", ZOHO),
    ("zoho.com.au", ZOHO),
    ("zoho.jp", ZOHO),
    ("zohocloud.ca", ZOHO),
    ("messagingengine.com", FASTMAIL),  # in1-smtp.messagingengine.com
    ("gmx.net", GMX),
    ("gmx.com", GMX),
    ("web.de", GMX),
    ("mail.com", GMX),
    ("ionos.de", IONOS),
    ("ionos.com", IONOS),
    ("kundenserver.de", IONOS),
    ("yandex.net", YANDEX),
    ("yandex.ru", YANDEX),
    ("mail.ru", MAILRU),
    ("tutanota.de", TUTA),
    ("mimecast.com", MIMECAST),
    ("mimecast.co.za", MIMECAST),
    ("mimecast-offshore.com", MIMECAST),
    ("pphosted.com", PROOFPOINT),  # Proofpoint enterprise
    ("ppe-hosted.com", PROOFPOINT),  # Proofpoint Essentials
    ("barracudanetworks.com", BARRACUDA),  # *.ess.barracudanetworks.com
    ("iphmx.com", CISCO),  # Cisco Secure Email Cloud (IronPort)
)

# Exact consumer domains. Explicit rather than a pattern: yahoo.co.jp, for one, is not Yahoo's.
CONSUMER_DOMAINS: dict[str, MailboxProvider] = {
    **dict.fromkeys(("gmail.com", "googlemail.com"), GOOGLE),
    **dict.fromkeys(
        (
            "outlook.com",
            "hotmail.com",
            "live.com",
            "msn.com",
            "hotmail.co.uk",
            "hotmail.fr",
            "hotmail.de",
            "hotmail.it",
            "hotmail.es",
            "outlook.de",
            "outlook.fr",
            "live.co.uk",
            "live.fr",
            "live.de",
        ),
        MICROSOFT,
    ),
    **dict.fromkeys(
        ("yahoo.com", "yahoo.co.uk", "yahoo.fr", "yahoo.de", "ymail.com", "rocketmail.com", "aol.com"),
        YAHOO,
    ),
    **dict.fromkeys(("icloud.com", "me.com", "mac.com"), APPLE),
    **dict.fromkeys(("proton.me", "protonmail.com", "protonmail.ch", "pm.me"), PROTON),
    **dict.fromkeys(("zohomail.com", "zoho.com"), ZOHO),
    **dict.fromkeys(("fastmail.com", "fastmail.fm"), FASTMAIL),
    **dict.fromkeys(("gmx.de", "gmx.net", "gmx.com", "gmx.at", "gmx.ch", "web.de", "mail.com"), GMX),
    **dict.fromkeys(("yandex.ru", "yandex.com", "ya.ru"), YANDEX),
    **dict.fromkeys(("mail.ru", "bk.ru", "inbox.ru", "list.ru"), MAILRU),
    **dict.fromkeys(("tuta.com", "tuta.io", "tutanota.com", "tutanota.de"), TUTA),
}


def _normalize(host: str) -> str:
    return host.strip().lower().rstrip(".")


def provider_for_mx_host(host: str) -> MailboxProvider | None:
    host = _normalize(host)
    for suffix, provider in MX_SUFFIXES:
        if host == suffix or host.endswith("." + suffix):
            return provider
    return None


def provider_for_domain(domain: str) -> MailboxProvider | None:
    return CONSUMER_DOMAINS.get(_normalize(domain))


def detect_provider(domain: str, mx_hosts: Iterable[str] = ()) -> MailboxProvider | None:
    """The provider behind `mx_hosts` (most preferred first), else a known consumer domain."""
    for host in mx_hosts:
        provider = provider_for_mx_host(host)
        if provider is not None:
            return provider
    return provider_for_domain(domain)
