"""Parse the `/mailcheck` text (SPEC §4.1). Pure functions; raise UsageError on anything else."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email

from bot.errors import UsageError
from workers.core.keys import address_form

MAX_ADDRESS_LENGTH = 254
_MAILTO = re.compile(r"^<mailto:([^|>]+)(?:\|([^>]*))?>$", re.IGNORECASE)
_MENTION = re.compile(r"<[@#!]|^@|\s@\w")


@dataclass(frozen=True)
class Help:
    pass


@dataclass(frozen=True)
class Status:
    pass


@dataclass(frozen=True)
class Check:
    email: str  # normalized: lower-cased, Unicode NFC (the report, history and counters use it)
    typed: str = ""  # as typed (lower-cased) when that differs: Kratos is asked for both (SPEC §14)


@dataclass(frozen=True)
class History:
    email: str


Command = Help | Status | Check | History


def _unescape(text: str) -> str:
    # Slack escapes these three in command text; undo it in the reverse order of escaping.
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _unwrap_mailto(token: str) -> str:
    match = _MAILTO.match(token)
    if match is None:
        return token
    address, label = match.group(1), match.group(2)
    if label and label.strip().lower() != address.strip().lower():
        raise UsageError("the mailto link and its text name different addresses.")
    return address


def typed_address(raw: str) -> str:
    """The address as typed: mailto unwrapped, trimmed, lower-cased (all that Kratos does to it)."""
    return _unwrap_mailto(raw.strip()).strip().lower()


def normalize_address(raw: str) -> str:
    """Validate one address and return it trimmed, lower-cased and in Unicode NFC (SPEC §4.2)."""
    # Lower-cased before it is judged: lower() can lengthen a string ("İ" becomes two code points), and
    # what is validated must be what is returned.
    address = address_form(typed_address(raw))
    if len(address) > MAX_ADDRESS_LENGTH:
        raise UsageError(f"that address is longer than {MAX_ADDRESS_LENGTH} characters.")
    if "@" not in address:
        raise UsageError("that is not an email address (no `@`).")
    try:
        validate_email(address, check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise UsageError(f"that is not a valid email address: {exc}") from None
    return address


def parse_command(text: str) -> Command:
    if any(unicodedata.category(ch) == "Cc" and ch not in " \t" for ch in text):
        raise UsageError("the text contains control characters.")
    if _MENTION.search(text):
        raise UsageError("mentions are not accepted; give one email address.")
    words = text.strip().split()
    if not words or (len(words) == 1 and words[0].lower() == "help"):
        return Help()
    if len(words) == 1 and words[0].lower() == "status":
        return Status()
    if words[0].lower() == "history":
        if len(words) != 2:
            raise UsageError("give exactly one email address after `history`.")
        return History(_address(words[1]))
    if len(words) > 1:
        raise UsageError("give exactly one email address.")
    email = _address(words[0])
    typed = typed_address(_unescape(words[0]))
    return Check(email, typed if typed != email else "")


def _address(word: str) -> str:
    if len(word) > MAX_ADDRESS_LENGTH * 3:
        raise UsageError(f"that address is longer than {MAX_ADDRESS_LENGTH} characters.")
    return normalize_address(_unescape(word))


# -- a message's addresses (the message shortcut, SPEC §17) -------------------------------------------
MAX_OFFERED = 10  # addresses a message shortcut offers; the rest are counted
# Full validation costs ~20 µs a token: a message of thousands of address-shaped tokens that are not
# valid must not use up Slack's 3 seconds, so past this many tries the rest are only counted.
MAX_VALIDATED = 200
# Slack's markup in a message's text: links, mailto links and mentions, `<target|label>`.
_MARKUP = re.compile(r"<([^<>]*)>")
# Characters no unquoted address contains, around which message text glues addresses ("mail:a@b.c,").
_NOT_IN_ADDRESS = re.compile(r"[\s<>()\[\]{}|,;:\"'`*~]+")
_EDGE_PUNCTUATION = "._!?"  # sentence punctuation and mrkdwn italics at a token's ends


@dataclass(frozen=True)
class Found:
    """The distinct addresses of a message, in the order they appear: the first MAX_OFFERED valid ones,
    and how many more (distinct, address-shaped) there are."""

    checks: tuple[Check, ...]
    more: int = 0


def _plain_tokens(text: str) -> list[str]:
    return [t.strip(_EDGE_PUNCTUATION) for t in _NOT_IN_ADDRESS.split(_unescape(text)) if "@" in t]


def _candidates(text: str) -> list[str]:
    """Address-like tokens in order: plain ones, mailto targets, and the labels of links. Mentions
    (`<@U…>`, `<#C…|…>`, `<!here>`) are never candidates, nor is a link's URL."""
    found: list[str] = []
    position = 0
    for markup in _MARKUP.finditer(text):
        found += _plain_tokens(text[position : markup.start()])
        position = markup.end()
        target, _bar, label = markup.group(1).partition("|")
        if target.startswith(("@", "#", "!")):
            continue
        if target.lower().startswith("mailto:"):
            found.append(_unescape(target[len("mailto:") :]).strip())
        found += _plain_tokens(label)
    return found + _plain_tokens(text[position:])


def _valid(token: str) -> Check | None:
    """The token as /mailcheck would take it (same length, control-character and address rules)."""
    if len(token) > MAX_ADDRESS_LENGTH * 3 or any(unicodedata.category(ch) == "Cc" for ch in token):
        return None
    try:
        email = normalize_address(token)
    except UsageError:
        return None
    typed = token.strip().lower()
    return Check(email, typed if typed != email else "")


def _address_shaped(token: str) -> bool:
    """Cheap: what is counted past the offered ones (a message may hold thousands)."""
    local, _at, domain = token.partition("@")
    return bool(local) and "." in domain.strip(".") and "@" not in domain and len(token) <= MAX_ADDRESS_LENGTH


def find_addresses(text: str) -> Found:
    """The addresses in a message's text (plain and `<mailto:…|…>`), deduplicated after normalization."""
    offered: dict[str, Check] = {}
    counted: set[str] = set()
    tried = 0
    for token in filter(_address_shaped, _candidates(text)):
        if len(offered) < MAX_OFFERED and tried < MAX_VALIDATED:
            tried += 1
            if (check := _valid(token)) is not None:
                offered.setdefault(check.email, check)
        elif (key := address_form(token)) not in offered:
            counted.add(key)
    return Found(tuple(offered.values()), len(counted))


def parse_address_input(text: str) -> Check:
    """A modal's address field: exactly what `/mailcheck EMAIL` accepts, with its wording; anything
    that is not one address (empty, `help`, `status`, `history …`) is a UsageError."""
    parsed = parse_command(text)
    if not isinstance(parsed, Check):
        raise UsageError("give one email address.")
    return parsed
