"""The App Home's state in Redis (SPEC §17), shared by every bot and worker.

- `mailcheck:home:courier`: each Kratos instance's courier status at the last look, with when (JSON);
- `mailcheck:home:courier:listing`: held for a minute by whoever lists the courier (`SET NX EX`), so
  that Kratos is listed at most once per instance and status a minute however many people open Home;
- `mailcheck:home:courier:asked`: held for a minute by the bot that queued the refresh, so that a
  crowd opening Home queues one job, not one each;
- `mailcheck:home:waiting`: the viewers whose Home shows an older status, published again once the
  refresh is in;
- `mailcheck:permalink:<channel>:<ts>`: a message's permalink (it never changes), so that Home asks
  Slack for each link once.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

import redis

from workers.clients import keyspace
from workers.report.courier_status import CourierStatus, InstanceStatus, QueueVerdict

# Everyone who waits, taken at once: a viewer added after this is seen by the next refresh.
_TAKE_ALL = """
local members = redis.call('SMEMBERS', KEYS[1])
redis.call('DEL', KEYS[1])
return members
"""


@dataclass(frozen=True)
class CourierSnapshot:
    """Each instance's courier as the last refresh found it (`health` None: it could not be read)."""

    at: float  # epoch seconds of the look
    instances: tuple[InstanceStatus, ...]

    def fresh(self, now: float) -> bool:
        return now - self.at < keyspace.HOME_REFRESH_S


def _health_json(item: InstanceStatus) -> dict[str, Any]:
    health = None
    if item.health is not None:
        health = {**asdict(item.health), "at_least": sorted(item.health.at_least)}
        health["verdict"] = str(item.health.verdict)
    return {"instance": item.instance, "health": health, "reason": item.reason}


def _health_from(raw: dict[str, Any]) -> InstanceStatus:
    found = raw.get("health")
    health = None
    if isinstance(found, dict):
        health = CourierStatus(
            queued=int(found["queued"]),
            processing=int(found["processing"]),
            abandoned=int(found["abandoned"]),
            oldest_queued_age_s=int(found["oldest_queued_age_s"]),
            verdict=QueueVerdict(found["verdict"]),
            at_least=frozenset(found.get("at_least") or ()),
        )
    return InstanceStatus(str(raw["instance"]), health, str(raw.get("reason") or ""))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class HomeStore:
    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection
        self._take_all = connection.register_script(_TAKE_ALL)

    # ---- the courier status ---------------------------------------------------------------------

    def courier(self) -> CourierSnapshot | None:
        raw = self._redis.get(keyspace.HOME_COURIER_KEY)
        if not isinstance(raw, (str, bytes)):
            return None
        try:
            data = json.loads(raw)
            return CourierSnapshot(float(data["at"]), tuple(_health_from(i) for i in data["instances"]))
        except (ValueError, KeyError, TypeError):  # written by another version: as if none
            return None

    def save_courier(self, found: list[InstanceStatus], *, at: float) -> None:
        data = {"at": at, "instances": [_health_json(item) for item in found]}
        self._redis.set(keyspace.HOME_COURIER_KEY, json.dumps(data), ex=keyspace.HOME_COURIER_TTL_S)

    def claim_listing(self) -> bool:
        """Whether the caller may list the courier now: once per keyspace.HOME_REFRESH_S across every process."""
        return bool(self._redis.set(keyspace.HOME_LISTING_KEY, "1", nx=True, ex=keyspace.HOME_REFRESH_S))

    def ask_refresh(self) -> bool:
        """Whether the caller should queue a refresh: once per keyspace.HOME_REFRESH_S across every bot."""
        return bool(self._redis.set(keyspace.HOME_ASKED_KEY, "1", nx=True, ex=keyspace.HOME_REFRESH_S))

    # ---- who waits for it -----------------------------------------------------------------------

    def wait(self, viewer: str) -> None:
        with self._redis.pipeline() as pipe:
            pipe.sadd(keyspace.HOME_WAITING_KEY, viewer)
            pipe.expire(keyspace.HOME_WAITING_KEY, keyspace.HOME_WAITING_TTL_S)
            pipe.execute()

    def take_waiting(self) -> list[str]:
        return sorted(_text(member) for member in self._take_all(keys=[keyspace.HOME_WAITING_KEY]))

    # ---- permalinks -------------------------------------------------------------------------------

    def permalink(self, channel: str, ts: str) -> str | None:
        raw = self._redis.get(f"{keyspace.PERMALINK_PREFIX}{channel}:{ts}")
        return _text(raw) if isinstance(raw, (str, bytes)) else None

    def save_permalink(self, channel: str, ts: str, link: str) -> None:
        self._redis.set(f"{keyspace.PERMALINK_PREFIX}{channel}:{ts}", link, ex=keyspace.PERMALINK_TTL_S)
