"""The courier watch's state in Redis (SPEC §11), shared by every worker and bot.

- `mailcheck:alert:<id>`: one alert (JSON, kept 7 days so its buttons still find it once resolved);
- `mailcheck:watch:alerts`: the open alert of each (instance, kind), field `instance|kind` → id;
- `mailcheck:watch:pending`: alerts whose Slack message does not yet show their state (Slack failed);
- `mailcheck:watch:open`: field = kind, value = open alerts of that kind over all instances (/metrics);
- `mailcheck:watch:abandoned:<instance>`: abandoned message ids already counted;
- `mailcheck:watch:last_round:<instance>`: when the last round read that instance's courier;
- `mailcheck:watch:post_problem`: why the last post to WATCH_CHANNEL failed ("" or absent: it worked);
- `mailcheck:watch:lock`: the one round running, with a TTL so a lost worker cannot hold it for good;
- `mailcheck:watch:slot:<n>`: the round of time slot n is scheduled (one per slot, whoever asks).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

import redis

from workers.clients import keyspace
from workers.clients.keyspace import REPORT_TTL_S
from workers.report.alerts import ALERT_KINDS, OPEN, Alert

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _field(instance: str, kind: str) -> str:
    return f"{instance}|{kind}"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class AlertStore:
    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection
        self._unlock = connection.register_script(_UNLOCK)

    # ---- alerts ---------------------------------------------------------------------------------

    def load(self, alert_id: str) -> Alert | None:
        raw = self._redis.get(keyspace.ALERT_PREFIX + alert_id)
        return Alert.from_json(raw) if isinstance(raw, (str, bytes)) else None

    def open_alert(self, instance: str, kind: str) -> Alert | None:
        alert_id = self._redis.hget(keyspace.WATCH_OPEN_INDEX_KEY, _field(instance, kind))
        return self.load(_text(alert_id)) if isinstance(alert_id, (str, bytes)) else None

    def open_alerts(self) -> list[Alert]:
        ids = self._redis.hvals(keyspace.WATCH_OPEN_INDEX_KEY)
        found = (self.load(_text(alert_id)) for alert_id in ids)
        return sorted((a for a in found if a is not None), key=lambda a: a.first_seen)

    def save(self, alert: Alert, *, pending: bool) -> None:
        """The alert, its place in the open index, and whether Slack still has to be told: one transaction."""
        with self._redis.pipeline() as pipe:
            pipe.multi()
            pipe.set(keyspace.ALERT_PREFIX + alert.alert_id, alert.to_json(), ex=REPORT_TTL_S)
            field = _field(alert.instance, alert.kind)
            if alert.state == OPEN:
                pipe.hset(keyspace.WATCH_OPEN_INDEX_KEY, field, alert.alert_id)
            else:
                pipe.hdel(keyspace.WATCH_OPEN_INDEX_KEY, field)
            if pending:
                pipe.sadd(keyspace.WATCH_PENDING_KEY, alert.alert_id)
            else:
                pipe.srem(keyspace.WATCH_PENDING_KEY, alert.alert_id)
            pipe.execute()

    def pending(self) -> list[Alert]:
        found = (self.load(_text(alert_id)) for alert_id in self._redis.smembers(keyspace.WATCH_PENDING_KEY))
        return [alert for alert in found if alert is not None]

    def write_open_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(ALERT_KINDS, 0)
        for alert in self.open_alerts():
            counts[alert.kind] = counts.get(alert.kind, 0) + 1
        self._redis.hset(keyspace.WATCH_OPEN_COUNTS_KEY, mapping=counts)  # type: ignore[arg-type]  # redis-py's stubs
        return counts

    # ---- abandoned messages already counted ------------------------------------------------------

    def seen_abandoned(self, instance: str) -> set[str]:
        return {_text(member) for member in self._redis.smembers(keyspace.WATCH_ABANDONED_PREFIX + instance)}

    def remember_abandoned(self, instance: str, ids: Iterable[str], *, at: float) -> None:
        """The abandoned messages this round counted or saw change, and when the round looked."""
        key = keyspace.WATCH_ABANDONED_PREFIX + instance
        with self._redis.pipeline() as pipe:
            pipe.multi()
            pipe.delete(key)
            ids = list(ids)
            if ids:
                pipe.sadd(key, *ids)
                pipe.expire(key, keyspace.WATCH_MEMORY_S)
            pipe.set(keyspace.WATCH_LAST_ROUND_PREFIX + instance, repr(at), ex=keyspace.WATCH_MEMORY_S)
            pipe.execute()

    def last_round(self, instance: str) -> float | None:
        """When the last round read this instance's courier; None before the first (or long ago)."""
        raw = self._redis.get(keyspace.WATCH_LAST_ROUND_PREFIX + instance)
        return float(raw) if isinstance(raw, (str, bytes)) else None

    # ---- whether WATCH_CHANNEL takes our posts (GET /healthz) --------------------------------------

    def post_problem(self) -> str:
        raw = self._redis.get(keyspace.WATCH_POST_PROBLEM_KEY)
        return _text(raw) if isinstance(raw, (str, bytes)) else ""

    def set_post_problem(self, problem: str) -> None:
        if problem:
            self._redis.set(keyspace.WATCH_POST_PROBLEM_KEY, problem, ex=keyspace.WATCH_MEMORY_S)
        else:
            self._redis.delete(keyspace.WATCH_POST_PROBLEM_KEY)

    # ---- one round at a time, one scheduled round per slot ----------------------------------------

    def lock(self, ttl_s: int) -> str | None:
        token = secrets.token_hex(8)
        return token if self._redis.set(keyspace.WATCH_LOCK_KEY, token, nx=True, ex=ttl_s) else None

    def unlock(self, token: str) -> None:
        self._unlock(keys=[keyspace.WATCH_LOCK_KEY], args=[token])

    def claim_slot(self, slot: int, ttl_s: int) -> bool:
        return bool(self._redis.set(f"{keyspace.WATCH_SLOT_PREFIX}{slot}", "1", nx=True, ex=ttl_s))
