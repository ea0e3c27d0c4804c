"""The mailbox providers' documented replies (reference/bounces.md §4), one table per provider.

Rows are (basic, enhanced, fragment, outcome), read as in `reply_rules.py`. They are tried before the
servers' default texts and the RFC 3463 codes, and only for replies known to come from that provider.
Within a table the first matching row wins, so narrower rows come first (Gmail's "out of storage space
and inactive" before its "out of storage space").
Sources: Gmail "SMTP errors and codes" [G]; Exchange Online NDRs [MS-NDR]; Outlook.com postmaster
[MS-OLC]; Yahoo Sender Hub [Y] with bracket codes seen in real bounces [SIS-Y]; iCloud [SIS-A]; GMX/WEB.DE
postmaster [GMX]; Yandex [YDX]; Mail.ru and Zoho as seen in real bounces. Proton's own list could not be
read: its replies are Postfix's wording, which `reply_rules.SERVER_TEXT_RULES` covers.
"""

from __future__ import annotations

from workers.report import mailboxes as mb
from workers.report import reply_meanings as m
from workers.report import reply_meanings_sender as ms
from workers.report.reply_rules import TextRule, rows

GMAIL = rows(
    mb.GOOGLE.key,
    (None, "x.2.1", r"receiving (e-?mail|mail) (too quickly|at a rate)", m.RECIPIENT_FLOODED),
    (None, "x.2.1", r"account that you tried to reach is (inactive|disabled)", m.MAILBOX_DISABLED),
    (None, "x.2.2", r"out of storage space and inactive", m.GMAIL_FULL_AND_INACTIVE),
    (None, "x.2.2", r"inbox is out of storage space|over (their|the) storage quota", m.MAILBOX_FULL),
    (None, "x.1.1", r"account that you tried to reach does not exist", m.NO_SUCH_MAILBOX),
    (None, "x.1.2", r"(weren't|were not) able to find the recipient domain", m.NO_SUCH_DOMAIN),
    (None, "x.1.3", r"is not a valid RFC ?5321 address", m.BAD_ADDRESS_SYNTAX),
    (None, "x.1.7", r"is not a valid RFC ?5321 address", ms.SENDER_ADDRESS_INVALID),
    (None, None, r"(does not|doesn't) have a PTR record", ms.NO_PTR),
    (None, None, r"IPv6 sending guidelines", ms.IPV6_RULES),
    (None, None, r"TLS required for RCPT domain", m.ORG_REQUIRES_TLS),
    (None, None, r"(wasn't sent over|not using) a TLS connection", ms.SENDER_NEEDS_TLS),
    (None, None, r"DMARC policy, but temporary DNS failures", ms.DMARC_DNS_TEMPFAIL),
    (None, None, r"not accepted due to (the )?domain's DMARC policy", ms.DMARC_FAILED),
    (None, None, r"hard fail policy \(-all\) but it fails", ms.SPF_FAILED),
    (None, None, r"authenticate with either SPF or DKIM", ms.NOT_AUTHENTICATED),
    (None, None, r"SPF authentication didn't pass|didn't pass SPF", ms.SPF_FAILED),
    (None, None, r"DKIM authentication didn't pass|didn't pass DKIM", ms.DKIM_FAILED),
    (None, None, r"isn't aligned with either the authenticated SPF or DKIM", ms.NOT_ALIGNED),
    (None, None, r"(doesn't|does not) have a DMARC record|doesn't specify a DMARC policy", ms.DMARC_MISSING),
    (None, None, r"SPF record of the sending domain has one or more suspicious entries", ms.SPF_BROKEN),
    (None, None, r"same Message-ID", ms.MESSAGE_ID_REUSED),
    (r"5\d\d", None, r"unusual (rate|amount) of", ms.SENDER_FLOOD_BLOCKED),
    (None, None, r"unusual (rate|amount) of", ms.SENDER_RATE_LIMITED),
    (None, None, r"very low reputation of the sending (IP address|domain)", ms.LOW_REPUTATION),
    (None, None, r"likely unsolicited (e-?mail|mail)|nature of the content or the links", ms.SPAM_CONTENT),
    (None, None, r"content presents a potential security issue", ms.UNSAFE_CONTENT),
    (None, "x.3.4", r"exceed(s|ed)? Google's .{0,40}limit", ms.MESSAGE_TOO_BIG),
    (None, None, r"policy that prohibits the (e-?mail|mail)|\bgcdp\b", m.ORG_POLICY),
    (None, None, r"IP not in whitelist for RCPT domain", m.ORG_ALLOWLIST),
    (None, None, r"not RFC ?5322 compliant|missing a valid (address in the From|Message-ID)", ms.BAD_HEADERS),
    (None, None, r"multiple addresses in the From|unicode character in a disallowed header", ms.BAD_HEADERS),
    (None, None, r"Encoded-word syntax is not permitted", ms.BAD_HEADERS),
    (None, None, r"exceeded \d+ hops|may indicate an? (e-?mail|mail) loop", m.MAIL_LOOP),
    (None, None, r"daily (user|SMTP relay) (sending )?limit exceeded", ms.DAILY_LIMIT),
    (None, None, r"peak SMTP relay limit exceeded", ms.SENDER_RATE_LIMITED),
    (None, None, r"email relay denied|invalid credentials for relay|email sending denied", ms.RELAY_REFUSED),
    (None, None, r"not authorized to send e?mail directly to our servers", ms.DIRECT_SENDING_REFUSED),
    (None, None, r"username and password not accepted|application-specific password", ms.SMTP_LOGIN_FAILED),
    (None, None, r"log in (with|through) your web browser", ms.SMTP_LOGIN_FAILED),
    (None, None, r"temporary system problem|server busy|timeout - closing connection", m.TEMPORARY),
    (None, None, r"temporarily rejected this message|try again later, closing connection", m.TEMPORARY),
    (None, None, r"has been rate limited", ms.SENDER_RATE_LIMITED),
)

MICROSOFT = rows(
    mb.MICROSOFT.key,
    (None, None, r"RESOLVER\.ADR\.(Ex)?Recip(ient)?NotFound|recipient not found by SMTP", m.NO_SUCH_MAILBOX),
    (None, None, r"bad destination mailbox address", m.NO_SUCH_MAILBOX),
    ("550", "5.5.0, x.1.*", r"requested action not taken: mailbox unavailable", m.NO_SUCH_MAILBOX),
    (None, "5.4.1, 5.7.504", r"recipient address rejected: access denied", m.NO_SUCH_MAILBOX),
    (None, None, r"access denied, banned recipient", m.BANNED_RECIPIENT),
    (None, None, r"domain is not reachable", m.NO_SUCH_DOMAIN),
    (None, None, r"does not meet the required authentication level", ms.OUTLOOK_AUTH_LEVEL),
    (None, None, r"does not pass DMARC verification", ms.DMARC_FAILED),
    (None, None, r"sender policy framework violation", ms.SPF_FAILED),
    (None, None, r"must have a reverse DNS record", ms.NO_PTR),
    (None, None, r"must pass either SPF or DKIM", ms.NOT_AUTHENTICATED),
    (None, None, r"banned sending IP|access denied, banned sender", ms.MICROSOFT_BANNED_IP),
    (None, None, r"on our block list|\bA?S31[45]0\b", ms.OUTLOOK_NETWORK_BLOCKED),
    (None, "4.7.650, 4.7.651", r"rate limited due to IP reputation", ms.OUTLOOK_RATE_LIMITED),
    (None, None, r"\bRP-00[1-3]\b", ms.OUTLOOK_RATE_LIMITED),
    (None, None, r"\b(SC-001|OU-002)\b", ms.OUTLOOK_POLICY_BLOCK),
    (None, None, r"\bSC-002\b|namespace mining", ms.NAMESPACE_MINING),
    (None, None, r"\bSC-004\b", ms.OUTLOOK_COMPLAINTS),
    (None, None, r"\b(SC-003|DY-00[12])\b", ms.OUTLOOK_BAD_SOURCE_IP),
    (None, None, r"\bOU-001\b", ms.BLOCKLISTED),
    (None, None, r"customer block list|\bAS16012607\b|access denied, rejected by recipient", m.ORG_BLOCKS_US),
    (None, None, r"not authenticated (by organization|for (group|mailbox))", m.ORG_INTERNAL_ONLY),
    (None, "5.7.900-999", r"delivery not authorized, message refused", m.ORG_POLICY),
    (None, None, r"per hour message receive limit", m.RECIPIENT_HOURLY_LIMIT),
    (None, "4.7.500-699, 4.7.850-899", r"please try again later|server busy", ms.MICROSOFT_THROTTLE),
    (None, None, r"access denied, bad (HELO|EHLO)", ms.BAD_HELO),
    (None, None, r"has exceeded permitted limits within", ms.SENDER_RATE_LIMITED),
)

YAHOO = rows(
    mb.YAHOO.key,
    (None, None, r"\[TSS04\]|unexpected volume or user complaints", ms.SENDER_RATE_LIMITED),
    (None, None, r"\[(TS03|TSS09|TSS11)\]|permanently deferred", ms.YAHOO_PERMANENT_DEFERRAL),
    (None, None, r"\[TS0[12]\]|deferred due to user complaints", ms.YAHOO_COMPLAINTS),
    (None, None, r"\[BL2\d\]", ms.BLOCKLISTED),
    (None, None, r"requires all senders to authenticate with either SPF or DKIM", ms.NOT_AUTHENTICATED),
    (None, None, r"\[PH\d\d\]|email not accepted for policy reasons", ms.YAHOO_CONTENT),
    (None, "5.7.9", r"message not accepted for policy reasons", ms.YAHOO_POLICY),
    (None, None, r"doesn't have an? \S+ account", m.NO_SUCH_MAILBOX),
    (None, None, r"this mailbox is disabled|is no longer valid|disabled or discontinued", m.MAILBOX_DISABLED),
    (None, None, r"user is receiving mail too quickly", m.RECIPIENT_FLOODED),
    (None, None, r"unresolvable RFC\.?532[12] (from )?domain", ms.SENDER_DOMAIN_UNRESOLVABLE),
    (None, None, r"headers are not RFC compliant", ms.BAD_HEADERS),
)

APPLE = rows(
    mb.APPLE.key,
    (None, None, r"inactive email address|unknown or illegal alias", m.NO_SUCH_MAILBOX),
    (None, None, r"recipient no longer on server", m.MAILBOX_GONE),
    (None, None, r"user is over quota", m.MAILBOX_FULL),
    (None, None, r"\[HME1\]|failing both SPF and DKIM", ms.NOT_AUTHENTICATED),
    (None, None, r"rejected due to \S+ DMARC policy", ms.DMARC_FAILED),
    (None, None, r"\[CS\d\d\]", ms.ICLOUD_LOCAL_POLICY),
    (None, None, r"support\.proofpoint\.com/dnsbl-lookup", ms.BLOCKLISTED),
    (None, None, r"deferred due to excessive volume", ms.SENDER_RATE_LIMITED),
)

# GMX and WEB.DE send no enhanced codes; their multi-line reply ends in a postmaster link, c= names the case.
GMX = rows(
    mb.GMX.key,
    (None, None, r"IP address is (block|black) ?listed|case\?c=r0201", ms.GMX_BLOCKLISTED),
    (None, None, r"reject due to SPF policy", ms.SPF_FAILED),
    ("550", None, r"requested action not taken: mailbox unavailable", m.NO_SUCH_MAILBOX),
    (None, None, r"exhausted allowed storage space|Speichervolumen", m.MAILBOX_FULL),
    (None, None, r"too many messages on the server", m.MAILBOX_FULL),
    (None, None, r"postmaster\.(gmx|web)\.\w+/\w+/(case|error-messages)", m.GMX_CASE),
)

# Yandex answers an unknown recipient with a policy code: "550 5.7.1 No such user!".
YANDEX = rows(
    mb.YANDEX.key,
    (None, "x.7.1, x.1.1", r"no such user", m.NO_SUCH_MAILBOX),
    (None, None, r"suspicion of spam", ms.SPAM_CONTENT),
    (None, None, r"blocked by spam statistics", ms.YANDEX_SPAM_STATISTICS),
    (None, None, r"client host \[[^\]]*\] blocked using", ms.YANDEX_SPAM_STATISTICS),
    (None, None, r"mailbox size limit exceeded", m.MAILBOX_FULL),
    (r"4\d\d", None, r"service is currently unavailable", m.TEMPORARY),
)

MAILRU = rows(
    mb.MAILRU.key,
    (None, None, r"is unavailable: (account is disabled|user is terminated)", m.MAILBOX_DISABLED),
    (None, None, r"invalid mailbox.{0,80}user not found", m.NO_SUCH_MAILBOX),
    (None, None, r"spam message (rejected|discarded)", ms.MAILRU_SPAM),
)

ZOHO = rows(
    mb.ZOHO.key,
    (None, "x.1.1", r"mailbox delivery failure policy error", m.NO_SUCH_MAILBOX),
    (None, None, r"email rejected per DMARC policy", ms.DMARC_FAILED),
    (None, None, r"MailPolicy violation|mailbox delivery restricted by policy", m.ORG_POLICY),
    (None, None, r"mail rejected by destination domain", m.ORG_POLICY),
    (None, None, r"email flagged as spam", ms.SPAM_CONTENT),
    (None, None, r"virus .{0,60} detected by Zoho Mail", ms.UNSAFE_CONTENT),
    (None, None, r"temporary system error", m.TEMPORARY),
)

MAILBOX_TEXT_RULES: tuple[TextRule, ...] = (*GMAIL, *MICROSOFT, *YAHOO, *APPLE, *GMX, *YANDEX, *MAILRU, *ZOHO)
