"""The one way a recipient address becomes part of a Redis key."""

from __future__ import annotations

import hashlib
import unicodedata

RECIPIENT_KEY_LEN = 32  # hex characters of the digest kept in key names


def address_form(email: str) -> str:
    """The one spelling of an address that keys, counters and the report use (SPEC §4.2, §14): trimmed,
    lower-cased, Unicode NFC, so that a pasted decomposed "é" is the same address as a typed one."""
    return unicodedata.normalize("NFC", email.strip().lower())


def recipient_key(email: str) -> str:
    """A digest of the address, so that recipient addresses do not sit in Redis key names; the same for
    every spelling of one address (case, surrounding blanks, Unicode composition)."""
    return hashlib.sha256(address_form(email).encode()).hexdigest()[:RECIPIENT_KEY_LEN]
