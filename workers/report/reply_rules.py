"""Rules that explain a receiving server's SMTP reply (SPEC §15), as tables read top to bottom.

`replies.explain_reply` tries, in order, the first row that matches:

1. text rows: the mailbox providers' documented replies (`reply_rules_mailboxes.py`), then the default texts
   of common mail servers (`SERVER_TEXT_RULES` below). A text row matches when its fragment (a
   case-insensitive regular expression) is found in the reply and its codes agree with the reply's. A
   provider's rows apply only to replies known to be that provider's: the caller names it (from the
   recipient's MX) or `PROVIDER_MARKERS` find it in the text; a provider's reading is never lent to a
   server that merely words a reply the same way;
2. `CODE_RULES`: RFC 3463 enhanced status codes, exact details before the subject-level fallbacks;
3. `CLASS_RULES`: what the reply's class alone says (2xx accepted, 4xx deferred);
4. otherwise the reply is unclassified.

Code patterns: `basic` is a regular expression for the 3-digit reply code; `enhanced` is one or more
comma-separated `class.subject.detail` patterns, where the class may be `x` (4 or 5), the subject or the
detail `*` (any), and the detail a range `500-699`. A code the reply does not carry never disagrees.
Sources are keyed as in reference/bounces.md.
"""

from __future__ import annotations

from dataclasses import dataclass

from workers.report import mailboxes as mb
from workers.report import reply_meanings as m
from workers.report import reply_meanings_sender as ms
from workers.report.reply_meanings import Category, Outcome, Side


@dataclass(frozen=True)
class TextRule:
    provider: str  # a key of workers/report/mailboxes.py, "" for any server
    basic: str | None
    enhanced: str | None
    fragment: str
    outcome: Outcome

    @property
    def category(self) -> Category:
        return self.outcome.category

    @property
    def side(self) -> Side:
        return self.outcome.side

    @property
    def meaning(self) -> str:
        return self.outcome.meaning


@dataclass(frozen=True)
class CodeRule:
    enhanced: str
    outcome: Outcome


TextRow = tuple[str | None, str | None, str, Outcome]  # basic, enhanced, fragment, outcome


def rows(provider: str, *specs: TextRow) -> tuple[TextRule, ...]:
    """One provider's text rows, written as (basic, enhanced, fragment, outcome) tuples."""
    return tuple(TextRule(provider, *spec) for spec in specs)


# Who sent the reply, from its text, when the caller does not know the recipient's MX. Hosts, help URLs and
# the providers' own bracket codes first; an address's domain (x@gmail.com, quoted in many replies) only
# after all of them. Exchange's RESOLVER.* texts are no marker: on-premises Exchange writes them too.
PROVIDER_MARKERS: tuple[tuple[str, str], ...] = (
    (r"\bgsmtp\b|support\.google\.com|google\.com/mail|\bgcdp\b", mb.GOOGLE.key),
    (r"protection\.outlook\.com|prod\.outlook\.com|postmaster\.live\.com", mb.MICROSOFT.key),
    (r"sender\.office\.com|messaging\.microsoft\.com|\bmx\.microsoft\b", mb.MICROSOFT.key),
    (r"\b(RP|SC|DY|OU)-00\d\b|customer block list|\bAS\(\d+\)|\bAS16012607\b", mb.MICROSOFT.key),
    (r"yahooinc\.com|postmaster\.yahoo|yahoodns\.net|\.mail\.\w+\.yahoo\.com", mb.YAHOO.key),
    (r"\[(TSS?\d\d|BL\d\d|PH\d\d)\]", mb.YAHOO.key),
    (r"support\.apple\.com|mail\.icloud\.com|icloudadmin@apple\.com|\[(CS\d\d|HME\d)\]", mb.APPLE.key),
    (r"postmaster\.(gmx|web)\.\w+", mb.GMX.key),
    (r"ya\.cc/|help\.yandex\.|yandex\.net\b", mb.YANDEX.key),
    (r"help\.mail\.ru|corp\.mail\.ru|\bmxs\.mail\.ru", mb.MAILRU.key),
    (r"detected by zoho mail|\b(mx\d?|smtpin)\.zoho\.\w+", mb.ZOHO.key),
    (r"protonmail\.ch\b", mb.PROTON.key),
    (r"@(gmail|googlemail)\.com\b|\bgmail\b", mb.GOOGLE.key),
    (r"@(outlook|hotmail|live|msn)\.\w+|\boutlook\.com\b|\bhotmail\b", mb.MICROSOFT.key),
    (r"@(yahoo|ymail|rocketmail|aol)\.\w+|\byahoo\b", mb.YAHOO.key),
    (r"@(icloud|me|mac)\.com\b|\bicloud\b", mb.APPLE.key),
    (r"@(gmx|web)\.(de|net|com|at|ch)\b", mb.GMX.key),
    (r"@(yandex|ya)\.\w+|\byandex\b", mb.YANDEX.key),
    (r"@(mail|bk|inbox|list)\.ru\b", mb.MAILRU.key),
    (r"@zoho(mail)?\.com\b|\bzoho\b", mb.ZOHO.key),
    (r"@(proton\.me|protonmail\.com|pm\.me)\b", mb.PROTON.key),
)

# Default texts of common mail servers (Postfix, Exim, Sendmail, qmail, Dovecot, Exchange) and plain wording
# any server uses. Sender-side refusals come first: Postfix quotes the recipient check's "User unknown"
# inside its "Sender verify failed" reply, and a relay's failed login may mention an unknown user.
SERVER_TEXT_RULES: tuple[TextRule, ...] = rows(
    "",
    (None, None, r"sender verif\w* failed", ms.SENDER_VERIFY_FAILED),
    (None, None, r"sender address rejected: domain not found", ms.SENDER_DOMAIN_UNRESOLVABLE),
    (None, None, r"sender address rejected", ms.SENDER_ADDRESS_INVALID),
    (None, None, r"sender (address|domain) (is )?(invalid|unknown)", ms.SENDER_ADDRESS_INVALID),
    (None, None, r"relay(ing)? access denied|relaying denied|unable to relay", ms.RELAY_REFUSED),
    (None, None, r"relay not permitted|not permitted to relay", ms.RELAY_REFUSED),
    (None, None, r"relaying (is )?(disallowed|not allowed)", ms.RELAY_REFUSED),
    (None, None, r"must issue a starttls command first|starttls is required", ms.SENDER_NEEDS_TLS),
    (None, None, r"authentication (failed|unsuccessful|credentials invalid)", ms.SMTP_LOGIN_FAILED),
    # The recipient: Postfix's lookup tables, then wording shared by many servers.
    (None, None, r"user unknown in (local recipient|virtual \w+|relay recipient) table", m.NO_SUCH_MAILBOX),
    (None, None, r"\buser (is )?unknown\b|unknown user|no such (user|mailbox|recipient)", m.NO_SUCH_MAILBOX),
    (None, None, r"user not found|user does not exist|address does not exist", m.NO_SUCH_MAILBOX),
    (None, None, r"mailbox not found|no mailbox here by that name|recipient not found", m.NO_SUCH_MAILBOX),
    (None, None, r"unknown local.part|addressee unknown|not listed in domino directory", m.NO_SUCH_MAILBOX),
    (None, None, r"invalid (recipient|mailbox)\b", m.NO_SUCH_MAILBOX),
    (None, "x.1.*, x.2.*, x.5.0", r"requested action not taken: mailbox unavailable", m.NO_SUCH_MAILBOX),
    (None, None, r"\bunrouteable address\b", m.EXIM_UNROUTEABLE),
    (None, None, r"mailbox (is )?full|over ?quota|quota (limit )?exceeded", m.MAILBOX_FULL),
    (None, None, r"mailbox size limit exceeded|exceeded storage allocation", m.MAILBOX_FULL),
    (None, "x.0.0, x.1.*, x.2.*", r"(mailbox|account) (is |has been )?disabled", m.MAILBOX_DISABLED),
    (None, "x.0.0, x.1.*, x.2.*", r"(mailbox|account|user) (is |has been )?inactive", m.MAILBOX_DISABLED),
    (None, None, r"mailbox (has )?moved|recipient no longer on|no longer at this address", m.MAILBOX_GONE),
    (None, None, r"host or domain name not found", m.NO_SUCH_DOMAIN),
    (None, None, r"recipient address rejected: domain not found", m.NO_SUCH_DOMAIN),
    (None, None, r"domain (does not exist|is not reachable)|unrouteable (mail )?domain", m.NO_SUCH_DOMAIN),
    (None, None, r"retry timeout exceeded|message expired|queue expired|delivery time expired", m.EXPIRED),
    (None, None, r"greylist|graylist", m.GREYLISTED),
    (None, None, r"cannot find your (reverse )?hostname|reverse dns|\bptr record", ms.NO_PTR),
    # The sender: blocklists, then content, then the authentication the text names.
    (None, None, r"blocked using|spamhaus|spamcop|\b(dnsbl|rbl)\b", ms.BLOCKLISTED),
    (None, None, r"\b(block|black) ?list(ed)?\b", ms.BLOCKLISTED),
    (None, None, r"(classified|identified|detected|rejected|flagged) as spam", ms.SPAM_CONTENT),
    (None, None, r"spam message|suspicion of spam|looks like spam|likely spam", ms.SPAM_CONTENT),
    (None, None, r"\b(spf (or|and) dkim|dkim (or|and) spf)\b", ms.NOT_AUTHENTICATED),
    (None, None, r"\bdmarc\b", ms.DMARC_FAILED),
    (None, None, r"\bspf\b|sender policy framework", ms.SPF_FAILED),
    (None, None, r"\bdkim\b", ms.DKIM_FAILED),
    (None, None, r"message (size )?(is )?too (large|big)|message size exceeds", ms.MESSAGE_TOO_BIG),
    (None, None, r"\bvirus\b|\bmalware\b", ms.UNSAFE_CONTENT),
    (r"4\d\d", None, r"too many (connections|messages)|rate limit|throttl", ms.SENDER_RATE_LIMITED),
    (r"4\d\d", None, r"try again later|temporar(il)?y|server busy", m.TEMPORARY),
    (r"4\d\d", None, r"service (is )?(currently )?(not |un)available", m.TEMPORARY),
    (r"4\d\d", None, r"local error in processing|insufficient system (storage|resources)", m.TEMPORARY),
)

# RFC 3463 enhanced status codes (the IANA registry), exact details first, then each subject's fallback.
# x.7.0 and x.7.1 are mostly spam or policy refusals, seldom authentication: the text decides, and a text no
# row knows stays "could not be classified further" rather than a guess.
CODE_RULES: tuple[CodeRule, ...] = (
    CodeRule("x.1.1", m.NO_SUCH_MAILBOX),
    CodeRule("x.1.2", m.NO_SUCH_DOMAIN),
    CodeRule("x.1.3", m.BAD_ADDRESS_SYNTAX),
    CodeRule("x.1.4", m.NO_SUCH_MAILBOX),
    CodeRule("x.1.6", m.MAILBOX_GONE),
    CodeRule("x.1.7", ms.SENDER_ADDRESS_INVALID),
    CodeRule("x.1.8", ms.SENDER_DOMAIN_UNRESOLVABLE),
    CodeRule("x.1.10", m.NULL_MX),
    CodeRule("x.2.1", m.MAILBOX_DISABLED),
    CodeRule("x.2.2", m.MAILBOX_FULL),
    CodeRule("x.2.3", ms.MESSAGE_TOO_BIG),
    CodeRule("x.2.4", m.ORG_POLICY),
    CodeRule("x.3.4", ms.MESSAGE_TOO_BIG),
    CodeRule("x.4.3", m.TEMPORARY),
    CodeRule("x.4.4", m.NO_SUCH_DOMAIN),
    CodeRule("x.4.6", m.MAIL_LOOP),
    CodeRule("x.4.7", m.EXPIRED),
    CodeRule("x.6.7", m.NON_ASCII_ADDRESS),
    CodeRule("x.7.0, x.7.1", m.POLICY_UNSPECIFIED),
    CodeRule("x.7.2", m.ORG_POLICY),
    CodeRule("x.7.8, x.7.9", ms.SMTP_LOGIN_FAILED),
    CodeRule("x.7.10, x.7.11", ms.SENDER_NEEDS_TLS),
    CodeRule("x.7.13", m.MAILBOX_DISABLED),
    CodeRule("x.7.17, x.7.18", m.ADDRESS_RECYCLED),
    CodeRule("x.7.20, x.7.21, x.7.22", ms.DKIM_FAILED),
    CodeRule("x.7.23", ms.SPF_FAILED),
    CodeRule("x.7.24", ms.SPF_BROKEN),
    CodeRule("x.7.25", ms.NO_PTR),
    CodeRule("x.7.26", ms.DMARC_FAILED),
    CodeRule("x.7.27", ms.SENDER_NULL_MX),
    CodeRule("x.7.28", ms.SENDER_RATE_LIMITED),
    CodeRule("x.7.30", ms.SENDER_NEEDS_TLS),
    # Subject-level fallbacks (reference/bounces.md §1).
    CodeRule("x.1.*", m.NO_SUCH_MAILBOX),
    CodeRule("x.2.*", m.MAILBOX_DISABLED),
    CodeRule("x.3.*", m.RECEIVER_SYSTEM_PROBLEM),
    CodeRule("x.4.*", m.NETWORK_PROBLEM),
    CodeRule("x.5.*", ms.PROTOCOL_ERROR),
    CodeRule("x.6.*", ms.CONTENT_REFUSED),
    CodeRule("x.7.*", m.POLICY_UNSPECIFIED),
)

# The reply's class alone: a success is no failure; a 4xx is a deferral the sending server retries.
CLASS_RULES: tuple[tuple[str, Outcome], ...] = (
    ("2", m.ACCEPTED),
    ("4", m.DEFERRED),
)
