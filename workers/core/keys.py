"""The one way a recipient address becomes part of a Redis key."""

from __future__ import annotations

import hashlib

RECIPIENT_KEY_LEN = 32  # hex characters of the digest kept in key names


def recipient_key(email: str) -> str:
    """A digest of the address, so that recipient addresses do not sit in Redis key names; the same for
    every spelling of one address (case, surrounding blanks)."""
    return hashlib.sha256(email.strip().lower().encode()).hexdigest()[:RECIPIENT_KEY_LEN]
