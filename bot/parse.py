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
