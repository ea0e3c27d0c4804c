"""What a receiving server's reply means when the cause is on our side (SPEC §15): the sender's outcomes.

Split from `reply_meanings.py` (which holds the vocabulary and every other side) to keep both readable.
Each meaning names the check that shows the cause where there is one (`sender_auth`, `blocklists`).
"""

from __future__ import annotations

from workers.report.reply_meanings import Category as C
from workers.report.reply_meanings import Outcome
from workers.report.reply_meanings import Side as S

# --- the sender: authentication -----------------------------------------------------------------------------
NOT_AUTHENTICATED = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "The receiver requires SPF or DKIM to pass and neither did; set both up for the From domain at the ESP "
    "(see the sender_auth check).",
)
SPF_FAILED = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "SPF did not pass for our mail; authorise the ESP in the SPF record of the MAIL FROM domain (see the "
    "sender_auth check).",
)
SPF_BROKEN = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "Our SPF record could not be evaluated or looks suspicious (syntax, too many lookups, too broad "
    "ranges); fix it (see the sender_auth check).",
)
DKIM_FAILED = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "DKIM did not pass for our mail; publish or fix the ESP's DKIM key for the From domain (see the "
    "sender_auth check).",
)
DMARC_FAILED = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "Our mail failed the From domain's DMARC policy; make SPF or DKIM pass aligned with the From domain "
    "(see the sender_auth check).",
)
DMARC_MISSING = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "Our sending domain has no DMARC record; publish one (p=none is enough) at _dmarc (see the sender_auth "
    "check).",
)
NOT_ALIGNED = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "The From domain is not aligned with the domain that passed SPF or DKIM; sign with the From domain or "
    "use a matching return-path (see the sender_auth check).",
)
OUTLOOK_AUTH_LEVEL = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "Outlook.com requires SPF and DKIM to pass and a DMARC record aligned with the From domain; fix "
    "whichever is missing (see the sender_auth check).",
)
YAHOO_POLICY = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "Yahoo refused the message for policy reasons, which Yahoo documents as a failed DMARC or DKIM check; "
    "fix authentication for the From domain (see the sender_auth check).",
)
NO_PTR = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "The sending IP has no matching reverse DNS (PTR) record; whoever runs the sending server or ESP must "
    "fix its PTR (see the sender_auth check).",
)
IPV6_RULES = Outcome(
    C.AUTHENTICATION,
    S.SENDER,
    "Mail sent over IPv6 needs a PTR record and a passing SPF or DKIM; fix those or deliver over IPv4 (see "
    "the sender_auth check).",
)
DMARC_DNS_TEMPFAIL = Outcome(
    C.TRANSIENT,
    S.SENDER,
    "The receiver could not check our DMARC because our DNS failed temporarily; the sending server retries, "
    "and our DNS servers should be checked if it repeats.",
)

# --- the sender: reputation, volume, content ----------------------------------------------------------------
LOW_REPUTATION = Outcome(
    C.REPUTATION,
    S.SENDER,
    "The receiver blocks our sending IP or domain for poor reputation; see the blocklists check and ask the "
    "ESP for a cleaner IP pool or warm up the domain.",
    deferred_meaning="The receiver defers our mail because of poor sending reputation; it is retried, but "
    "see the blocklists check and ask the ESP about the IP if it persists.",
)
BLOCKLISTED = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Our sending IP or domain is on a blocklist the receiver uses; see the blocklists check and request "
    "delisting, or ask the ESP to change the IP.",
)
MICROSOFT_BANNED_IP = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Microsoft has banned the sending IP; request delisting as the reply says (sender.office.com or "
    "delist@messaging.microsoft.com) or ask the ESP for another IP.",
)
OUTLOOK_NETWORK_BLOCKED = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Outlook.com blocks the sending IP's network (S3150 and similar); the ESP must request delisting from "
    "Outlook.com sender support or move us to another IP.",
)
OUTLOOK_POLICY_BLOCK = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Outlook.com rejected the mail for the sending IP's or domain's reputation (or spam-like content); "
    "check the blocklists check and ask the ESP to review the IP with Outlook.com.",
)
OUTLOOK_COMPLAINTS = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Outlook.com blocks the sending IP because its users complained about mail from it; join Microsoft's "
    "JMRP feedback loop and stop mailing those who complain.",
)
OUTLOOK_BAD_SOURCE_IP = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Outlook.com refuses the sending IP as a dynamic, open-relay or compromised host; send through the ESP, "
    "not from this IP.",
)
NAMESPACE_MINING = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Outlook.com blocked the sending IP for probing addresses without sending (namespace mining); stop such "
    "probes and ask the ESP to request delisting.",
)
YAHOO_COMPLAINTS = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Yahoo holds back mail from the sending IP because its users complain about it; reduce complaints "
    "(Yahoo's feedback loop) and expect delays until reputation recovers.",
)
YAHOO_PERMANENT_DEFERRAL = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Yahoo permanently refuses mail from the sending IP, so retrying will not help; contact Yahoo sender "
    "support or ask the ESP for another IP.",
)
YAHOO_CONTENT = Outcome(
    C.CONTENT,
    S.SENDER,
    "Yahoo refused the message for its content (its PH codes: malware, phishing or links to them); check "
    "every link in the email template.",
)
ICLOUD_LOCAL_POLICY = Outcome(
    C.REPUTATION,
    S.SENDER,
    "iCloud rejected the mail by local policy (CS01), usually sender reputation or content; see the "
    "blocklists check and write to icloudadmin@apple.com if it persists.",
)
GMX_BLOCKLISTED = Outcome(
    C.REPUTATION,
    S.SENDER,
    "GMX/WEB.DE has the sending IP on its block list; follow the case link at the end of the reply to "
    "request removal (see the blocklists check).",
)
YANDEX_SPAM_STATISTICS = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Yandex blocks the sending IP for a day because of spam sent from it; wait 24 hours and find out what "
    "sent spam from that IP.",
)
MAILRU_SPAM = Outcome(
    C.CONTENT,
    S.SENDER,
    "Mail.ru's spam filter rejected this message; ask for a review through the notspam-support link in the "
    "reply and see the blocklists check.",
)
SENDER_FLOOD_BLOCKED = Outcome(
    C.REPUTATION,
    S.SENDER,
    "Gmail blocked mail from us after an unusual rate of unsolicited email; stop any bulk sending from the "
    "same IP or domain and repair its reputation.",
)
SENDER_RATE_LIMITED = Outcome(
    C.RATE_LIMITED,
    S.SENDER,
    "The receiver is throttling mail from our sending IP or domain; it is retried, but slow down and check "
    "the reputation if the delays last more than a day.",
)
OUTLOOK_RATE_LIMITED = Outcome(
    C.RATE_LIMITED,
    S.SENDER,
    "Outlook.com limits the sending IP's rate or connections because of its reputation; it is retried, but "
    "the ESP should check the IP's reputation (SNDS) if it persists.",
)
MICROSOFT_THROTTLE = Outcome(
    C.RATE_LIMITED,
    S.TRANSIENT,
    "Microsoft is temporarily holding back the sending IP after unusual activity; the sending server "
    "retries and the limit lifts by itself for legitimate mail.",
)
DAILY_LIMIT = Outcome(
    C.RATE_LIMITED,
    S.SENDER,
    "Our sending account has reached its daily sending limit; wait for the limit to reset or have it raised.",
)
SPAM_CONTENT = Outcome(
    C.CONTENT,
    S.SENDER,
    "The receiver's spam filter rejected this message for its content or links; simplify the email template "
    "(no link shorteners or odd links) and see the blocklists check.",
    deferred_meaning="The receiver's spam filter defers this message for its content or links; simplify the "
    "email template (no link shorteners or odd links) and see the blocklists check.",
)
UNSAFE_CONTENT = Outcome(
    C.CONTENT,
    S.SENDER,
    "The receiver found the message unsafe (a virus, a blocked attachment or a malicious link); remove "
    "attachments and check every link in the email template.",
)
CONTENT_REFUSED = Outcome(
    C.CONTENT,
    S.SENDER,
    "The receiving server could not accept the message's content or encoding; check how the mailer encodes "
    "the email template.",
)
MESSAGE_TOO_BIG = Outcome(
    C.CONTENT,
    S.SENDER,
    "The message is larger than the receiver accepts; shrink the email template (no large images or "
    "attachments).",
)

# --- the sender: our own configuration ----------------------------------------------------------------------
BAD_HEADERS = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The message headers break the standard (a missing or repeated From, Message-ID or similar); the mailer "
    "that builds the email must be fixed.",
)
MESSAGE_ID_REUSED = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "Too many messages carried the same Message-ID; the mailer must give every email a unique Message-ID.",
)
PROTOCOL_ERROR = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The sending mail server broke the SMTP protocol; this is a problem of the ESP or our relay, so open a "
    "ticket with them.",
)
SENDER_NEEDS_TLS = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The server requires TLS and our mail was sent without it; enable STARTTLS or TLS for outbound mail at "
    "the relay or ESP.",
)
SENDER_ADDRESS_INVALID = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The receiving server refused our sender address; check that the From and MAIL FROM addresses are valid "
    "and their domain has working DNS.",
)
SENDER_DOMAIN_UNRESOLVABLE = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The receiving server cannot find our sender (MAIL FROM or From) domain in DNS; give that domain valid "
    "DNS records (SOA plus MX or A).",
)
SENDER_VERIFY_FAILED = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The receiving server called back to verify our sender address and the check failed; the MAIL FROM "
    "address must accept mail.",
)
SENDER_NULL_MX = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "Our sending domain publishes a null MX, so it cannot receive bounces; the MAIL FROM domain must accept "
    "mail.",
)
DIRECT_SENDING_REFUSED = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The sending IP may not deliver directly to this provider (typically a dynamic or residential IP); send "
    "through the ESP or a proper relay.",
)
BAD_HELO = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The sending server introduced itself (HELO) with a name that is not its own; the relay or ESP must use "
    "its own hostname.",
)
SMTP_LOGIN_FAILED = Outcome(
    C.SENDER_CONFIG,
    S.SENDER,
    "The relay did not accept our SMTP login; fix the username, password or mechanism in Kratos' courier "
    "SMTP connection URI.",
)
RELAY_REFUSED = Outcome(
    C.RELAY_DENIED,
    S.SENDER,
    "The server would not relay this message, so either our relay login is missing or wrong, or the server "
    "does not take mail for the recipient's domain; check the courier's SMTP settings first.",
)
