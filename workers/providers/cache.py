"""A short-lived Redis cache of provider answers: what the provider saw of one recipient per
(provider, recipient), the From domain's verification per (provider, from domain), the last 24 hours
of mail per (provider, mailbox-provider group), and the courier watch's last hour of every group.

Provider budgets are small (Brevo: 300 event queries an hour shared by the whole account), a support
agent tends to re-run a check within a minute, and a burst of reports for Gmail users needs the Gmail
aggregate once, not once per report: the same answer is reused briefly. A cache that cannot be reached
is skipped, never an error of the check.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Iterable
from typing import Any

import redis.asyncio
from redis.exceptions import RedisError

from workers.clients.keyspace import PROVIDER_CACHE_PREFIX, PROVIDER_CACHE_TTL_S
from workers.core.keys import recipient_key

log = logging.getLogger(__name__)

# A cache slower than this is treated as absent: it must never eat the check's own time budget.
CACHE_OP_TIMEOUT_S = 0.5


def cache_key(provider: str, email: str) -> str:
    """Keyed by a digest so recipient addresses do not sit in Redis key names."""
    return f"{PROVIDER_CACHE_PREFIX}{provider}:{recipient_key(email)}"


def domain_key(provider: str, from_domain: str) -> str:
    """Our own From domain is no secret; it stays readable in the key."""
    return f"{PROVIDER_CACHE_PREFIX}domain:{provider}:{from_domain.strip().lower()}"


def traffic_key(provider: str, group: Iterable[str], window_hours: int = 24) -> str:
    """One entry per mailbox-provider group and window (its domains, digested: the recipient's own
    domain is one); the courier watch's tally of every group is keyed by all their domains."""
    digest = hashlib.sha256(f"{window_hours}h:{','.join(sorted(group))}".encode()).hexdigest()[:32]
    return f"{PROVIDER_CACHE_PREFIX}traffic:{provider}:{digest}"


async def load(cache: redis.asyncio.Redis | None, key: str) -> dict[str, Any] | None:
    if cache is None:
        return None
    try:
        async with asyncio.timeout(CACHE_OP_TIMEOUT_S):
            raw = await cache.get(key)
    except (RedisError, TimeoutError) as exc:
        log.warning("provider cache unreadable: %s", type(exc).__name__)
        return None
    if raw is None:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


async def save(cache: redis.asyncio.Redis | None, key: str, details: dict[str, Any]) -> None:
    if cache is None:
        return
    try:
        async with asyncio.timeout(CACHE_OP_TIMEOUT_S):
            await cache.set(key, json.dumps(details), ex=PROVIDER_CACHE_TTL_S)
    except (RedisError, TimeoutError) as exc:
        log.warning("provider cache unwritable: %s", type(exc).__name__)


async def forget(cache: redis.asyncio.Redis | None, key: str) -> None:
    """Drop an answer that an action (lifting a suppression) has made stale."""
    if cache is None:
        return
    try:
        async with asyncio.timeout(CACHE_OP_TIMEOUT_S):
            await cache.delete(key)
    except (RedisError, TimeoutError) as exc:
        log.warning("provider cache entry not dropped: %s", type(exc).__name__)
