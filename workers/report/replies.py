"""Explain a receiving server's SMTP reply (SPEC §15): its category, whose side it is, and what to do.

Every SMTP reply a report shows (a courier dispatch error, a provider's bounce or deferral diagnostic, the
probe's reply) carries `ReplyExplanation.to_details()` beside its text. Pure functions over the tables in
`reply_rules.py` and `reply_rules_mailboxes.py`; the order in which they are tried is described there. A
reply no rule knows is `unclassified`, never a guess.

Replies arrive in many wrappings: "550 5.1.1 text", multi-line "550-5.1.1 …\\n550 5.1.1 …", a DSN's
"smtp; 550 …", Kratos' "Dial failed: 550 5.7.1 …" or "gomail: could not send email 1: 550 …", and GMX's
multi-line replies without enhanced codes. The codes are read from the reply's last line when its lines
start with a code (the last line is the one that counts), else from the first code in the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from workers.report.details import ReplyExplained
from workers.report.reply_meanings import ACCEPTED, UNCLASSIFIED, Category, Outcome, Side
from workers.report.reply_rules import CLASS_RULES, CODE_RULES, PROVIDER_MARKERS, SERVER_TEXT_RULES, TextRule
from workers.report.reply_rules_mailboxes import MAILBOX_TEXT_RULES

__all__ = [
    "Category",
    "ReplyCodes",
    "ReplyExplanation",
    "Side",
    "explain_reply",
    "parse_reply_codes",
    "provider_from_reply",
]

# Mailbox providers' own replies are more specific than what any server says by default.
TEXT_RULES: tuple[TextRule, ...] = (*MAILBOX_TEXT_RULES, *SERVER_TEXT_RULES)

_ENHANCED = r"[245]\.[0-7]\.\d{1,3}(?![\d.])"
# A code opening a line: "550 5.1.1 …", "550-5.1.1 …", "554-gmx.net …", "550 #5.1.0 …".
_LINE_CODE = re.compile(rf"^[ \t]*([245]\d\d)(?:[ -]+|$)(?:#?({_ENHANCED}))?", re.M)
# A code after a prefix: "smtp; 550 …", "Dial failed: 550 …", "… said: 451 4.7.1 …" (not an IP or a port).
_EMBEDDED_CODE = re.compile(rf"(?<![\w.:/-])([245]\d\d)(?:[ -]+|$)(?:#?({_ENHANCED}))?", re.M)
# An enhanced code on its own ("(#5.1.1)", "dsn=5.7.1"); only failures, so a version like "2.3.16" is no code.
_LONE_ENHANCED = re.compile(r"(?<![\w.])([45]\.[0-7]\.\d{1,3})(?![\w.])")
# The code prefix of each line, dropped before matching fragments that a multi-line reply wraps.
_LINE_PREFIX = re.compile(rf"^[ \t]*[245]\d\d(?:[ -]+|$)(?:#?{_ENHANCED}[ \t]*)?", re.M)

_SUCCESS, _TEMPORARY = "2", "4"


@dataclass(frozen=True)
class ReplyCodes:
    basic: str | None  # "550"
    enhanced: str | None  # "5.1.1"

    @property
    def reply_class(self) -> str | None:
        """The first digit that says whether the reply is retried: the basic code's, else the enhanced's."""
        code = self.basic or self.enhanced
        return code[0] if code else None


@dataclass(frozen=True)
class ReplyExplanation:
    category: Category
    side: Side
    mailbox_provider: str  # a key of workers/report/mailboxes.py, "" when unknown
    meaning: str
    basic_code: str | None = None
    enhanced_code: str | None = None

    @property
    def temporary(self) -> bool:
        """A 4xx reply: the sending server retries by itself (a deferral, never a bounce)."""
        return ReplyCodes(self.basic_code, self.enhanced_code).reply_class == _TEMPORARY

    def to_details(self) -> ReplyExplained:
        """The four SPEC §15 keys, to merge into the details object that holds the reply's text."""
        return {
            "category": self.category.value,
            "side": self.side.value,
            "mailbox_provider": self.mailbox_provider,
            "meaning": self.meaning,
        }


def explain_reply(text: str | None, *, mailbox_provider: str | None = None) -> ReplyExplanation:
    """What `text` (a receiving server's reply) means. `mailbox_provider`, from the recipient's MX, wins
    over the provider recognised in the text."""
    provider = (mailbox_provider or "").strip().lower()
    if not text or not text.strip():
        return _explanation(UNCLASSIFIED, provider, ReplyCodes(None, None))
    codes = parse_reply_codes(text)
    joined = " ".join(_LINE_PREFIX.sub("", text).split())
    provider = provider or provider_from_reply(joined)
    return _explanation(_outcome(joined, codes, provider), provider, codes)


def parse_reply_codes(text: str) -> ReplyCodes:
    """The basic (RFC 5321) and enhanced (RFC 3463) codes of a reply, each None when absent."""
    found = list(_LINE_CODE.finditer(text))
    match = found[-1] if found else _EMBEDDED_CODE.search(text)
    basic, enhanced = (match.group(1), match.group(2)) if match else (None, None)
    if enhanced is None:
        lone = _LONE_ENHANCED.search(text)
        enhanced = lone.group(1) if lone else None
    return ReplyCodes(basic, enhanced)


def provider_from_reply(text: str) -> str:
    """The mailbox provider a reply's text names (its host, help URL or quoted address), "" when none."""
    for pattern, provider in PROVIDER_MARKERS:
        if _compiled(pattern).search(text):
            return provider
    return ""


def _outcome(joined: str, codes: ReplyCodes, provider: str) -> Outcome:
    if codes.reply_class == _SUCCESS:
        return ACCEPTED  # a success is no failure, whatever its text says
    for rule in TEXT_RULES:
        if _applies(rule, joined, codes, provider):
            return rule.outcome
    if codes.enhanced:
        for code_rule in CODE_RULES:
            if _enhanced_agrees(code_rule.enhanced, codes.enhanced):
                return code_rule.outcome
    for reply_class, outcome in CLASS_RULES:
        if reply_class == codes.reply_class:
            return outcome
    return UNCLASSIFIED


def _applies(rule: TextRule, joined: str, codes: ReplyCodes, provider: str) -> bool:
    """A mailbox provider's row applies to that provider's replies only; a code the reply lacks cannot
    disagree."""
    if rule.provider and rule.provider != provider:
        return False
    if rule.basic and codes.basic and not re.fullmatch(rule.basic, codes.basic):
        return False
    if rule.enhanced and codes.enhanced and not _enhanced_agrees(rule.enhanced, codes.enhanced):
        return False
    return _compiled(rule.fragment).search(joined) is not None


def _enhanced_agrees(spec: str, code: str) -> bool:
    """`code` ("5.7.606") matches one of the comma-separated patterns of `spec` ("x.7.1, 5.7.600-649")."""
    klass, subject, detail = (int(part) for part in code.split("."))
    for pattern in spec.split(","):
        want_class, want_subject, want_detail = pattern.strip().split(".")
        if (want_class == "x" and klass not in (4, 5)) or want_class not in ("x", str(klass)):
            continue
        if want_subject not in ("*", str(subject)):
            continue
        low, _, high = want_detail.partition("-")
        if want_detail == "*" or int(low) <= detail <= int(high or low):
            return True
    return False


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def _explanation(outcome: Outcome, provider: str, codes: ReplyCodes) -> ReplyExplanation:
    deferred = codes.reply_class == _TEMPORARY and bool(outcome.deferred_meaning)
    return ReplyExplanation(
        category=outcome.category,
        side=outcome.side,
        mailbox_provider=provider,
        meaning=outcome.deferred_meaning if deferred else outcome.meaning,
        basic_code=codes.basic,
        enhanced_code=codes.enhanced,
    )
