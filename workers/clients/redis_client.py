"""Redis clients that open a connection in one round trip.

redis-py's default handshake is four round trips (HELLO, CLIENT MAINT_NOTIFICATIONS, two CLIENT
SETINFO) and a package-metadata lookup per client: 1.2 ms instead of 0.4 ms per new connection here.
Every RQ work-horse opens new connections (a pool does not survive the fork), so a report paid it
before its first command. Maintenance notifications are a Redis Enterprise feature we do not use; the
SETINFO labels only name the library in CLIENT LIST.
"""

from __future__ import annotations

from typing import Any

import redis
import redis.asyncio
from redis.maint_notifications import MaintNotificationsConfig

_LEAN: dict[str, Any] = {
    "driver_info": None,  # no CLIENT SETINFO, and no importlib.metadata lookup per client
    "maint_notifications_config": MaintNotificationsConfig(enabled=False),
}


def redis_client(url: str, **options: Any) -> redis.Redis:
    return redis.Redis.from_url(url, **_LEAN, **options)


def async_redis_client(url: str, **options: Any) -> redis.asyncio.Redis:
    return redis.asyncio.Redis.from_url(url, **_LEAN, **options)
