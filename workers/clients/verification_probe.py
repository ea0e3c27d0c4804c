"""Does an instance let anyone start a verification flow? (SPEC §12: Olympus's IAM has
`selfservice.flows.verification.enabled: false`, and a Resend verification button there could only fail.)

Kratos answers `GET /self-service/verification/api` with its herodot error (400 "Verification is not
allowed because it was disabled.", or 404 when the strategy is off) instead of a flow. Only such a
Kratos answer counts as "disabled": an unreachable or misdirected public URL is "cannot tell" (None),
which keeps the button, whose press then says what is wrong. Answers are cached in Redis for a few
minutes, so a busy day creates few flows.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from typing import Any

import httpx
import redis.asyncio

from workers.clients.keyspace import VERIFICATION_ENABLED_PREFIX, VERIFICATION_ENABLED_TTL_S
from workers.clients.tls import client_tls_context
from workers.core.settings import KratosInstance

log = logging.getLogger(__name__)

DISABLED_STATUSES = (400, 404)


def _is_herodot(response: httpx.Response) -> bool:
    try:
        body: Any = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and isinstance(body.get("error"), dict)


async def _ask(instance: KratosInstance, timeout: float) -> bool | None:
    async with httpx.AsyncClient(
        base_url=instance.public_url, timeout=httpx.Timeout(timeout), verify=client_tls_context()
    ) as http:
        try:
            response = await http.get(
                "/self-service/verification/api", headers={"Accept": "application/json"}
            )
        except httpx.HTTPError as exc:
            log.info("verification probe of %s: %s", instance.name, type(exc).__name__)
            return None
    if response.status_code == 200:
        return True
    if response.status_code in DISABLED_STATUSES and _is_herodot(response):
        return False
    return None


async def verification_enabled(
    instance: KratosInstance, *, cache: redis.asyncio.Redis | None, timeout: float
) -> bool | None:
    """True/False as the instance's public API says; None when it cannot tell. Never raises."""
    # The URL is part of the key: an instance re-pointed elsewhere is asked again.
    key = f"{VERIFICATION_ENABLED_PREFIX}{instance.name}:{hashlib.sha256(instance.public_url.encode()).hexdigest()[:16]}"
    if cache is not None:
        try:
            cached = await cache.get(key)
        except redis.RedisError:
            cached = None
        if cached in (b"1", b"0"):
            return cached == b"1"
    enabled = await _ask(instance, timeout)
    if cache is not None and enabled is not None:
        with contextlib.suppress(redis.RedisError):  # only a cache
            await cache.set(key, b"1" if enabled else b"0", ex=VERIFICATION_ENABLED_TTL_S)
    return enabled
