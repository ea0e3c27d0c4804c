"""One recipient-key digest for every Redis key that names a recipient, byte-identical to the keys
already in Redis (the provider cache, the Resend webhook events, the send budget)."""

from __future__ import annotations

import pytest

from workers.core.keys import recipient_key
from workers.providers.cache import cache_key
from workers.providers.resend_webhook import events_key
from workers.remediation.guard import sends_key

# sha256(b"user@example.com").hexdigest()[:32], the digest the keys were written with before.
DIGEST = "b4c9a289323b21a01c3e940f150eb9b8"


@pytest.mark.parametrize("spelling", ["user@example.com", " User@Example.COM\n"])
def test_every_spelling_of_an_address_has_one_digest(spelling: str) -> None:
    assert recipient_key(spelling) == DIGEST


def test_the_keys_in_redis_are_unchanged() -> None:
    assert cache_key("brevo", "User@Example.com") == f"mailcheck:provider:cache:brevo:{DIGEST}"
    assert events_key("User@Example.com") == f"mailcheck:resend:events:{DIGEST}"
    assert sends_key("User@Example.com") == f"mailcheck:guard:sends:{DIGEST}"


def test_a_composed_and_a_decomposed_address_share_one_key() -> None:
    """SPEC §14: a pasted decomposed "é" (NFD) keys the same history and send counter as a typed one."""
    composed, decomposed = "jos\u00e9@example.com", "jose\u0301@example.com"
    assert composed != decomposed
    assert recipient_key(composed) == recipient_key(decomposed) == recipient_key("JOSE\u0301@Example.com")
    assert sends_key(composed) == sends_key(decomposed)
