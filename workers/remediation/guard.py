"""Exactly-once presses and the per-recipient send budget (SPEC §7), kept in Redis so that every bot
and worker process sees the same state; each decision is one atomic Redis command or script.

A claim on (report, action) is `running` from the accepted press until its outcome is posted, then
`done` for DUPLICATE_WINDOW_S; any press meanwhile is a duplicate. The send budget is a sliding
one-hour window per recipient shared by both resend buttons, timed by the Redis server's clock so
that processes on different hosts agree.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import redis

from workers.clients.keyspace import (
    GUARD_CLAIM_PREFIX,
    GUARD_OUTCOME_PREFIX,
    GUARD_OUTCOME_TTL_S,
    GUARD_SENDS_PREFIX,
)
from workers.core.keys import recipient_key

DUPLICATE_WINDOW_S = 60
SEND_WINDOW_S = 3600
RUNNING, DONE = "running", "done"

# Only the holder of a claim may end it: a claim that expired and was taken again is left alone.
_FINISH = """
if redis.call('GET', KEYS[1]) == 'running|' .. ARGV[1] then
  redis.call('SET', KEYS[1], 'done|' .. ARGV[1], 'EX', tonumber(ARGV[2]))
  return 1
end
return 0
"""
_RELEASE = """
local value = redis.call('GET', KEYS[1])
if value == 'running|' .. ARGV[1] or value == 'done|' .. ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
_TAKE_SEND = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[1]) then
  local since = 0
  if oldest[2] then since = now - tonumber(oldest[2]) end
  return {0, count, tostring(since)}
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('EXPIRE', KEYS[1], window)
return {1, count + 1, '0'}
"""


@dataclass(frozen=True)
class Claim:
    report_id: str
    action: str
    token: str

    @property
    def key(self) -> str:
        return claim_key(self.report_id, self.action)


@dataclass(frozen=True)
class SendBudget:
    allowed: bool
    used: int  # sends in the last hour, this one included when allowed
    oldest_age_s: float  # when refused: age of the oldest counted send (it frees a slot at 3600 s)


def claim_key(report_id: str, action: str) -> str:
    return f"{GUARD_CLAIM_PREFIX}{report_id}:{action}"


def sends_key(email: str) -> str:
    return f"{GUARD_SENDS_PREFIX}{recipient_key(email)}"


class Guard:
    def __init__(self, connection: redis.Redis, *, hold_s: int) -> None:
        self._redis = connection
        self._hold_s = hold_s  # only a safety net for a lost worker; outcomes end claims normally
        self._finish = connection.register_script(_FINISH)
        self._release = connection.register_script(_RELEASE)
        self._take_send = connection.register_script(_TAKE_SEND)

    def claim(self, report_id: str, action: str) -> Claim | None:
        """Take (report, action) for one press; None when it is running or finished within 60 s."""
        claim = Claim(report_id, action, secrets.token_hex(12))
        taken = self._redis.set(claim.key, f"{RUNNING}|{claim.token}", nx=True, ex=self._hold_s)
        return claim if taken else None

    def state(self, report_id: str, action: str) -> str:
        """`running` or `done` for a held claim, "" when it is free."""
        value = self._redis.get(claim_key(report_id, action))
        return _text(value).split("|", 1)[0] if value is not None else ""

    def finish(self, claim: Claim) -> None:
        """The outcome is posted: presses stay duplicates for DUPLICATE_WINDOW_S more."""
        self._finish(keys=[claim.key], args=[claim.token, DUPLICATE_WINDOW_S])

    def release(self, claim: Claim) -> None:
        """Nothing was done after all (refused for the budget, could not be queued): free it now."""
        self._release(keys=[claim.key], args=[claim.token])

    def conclude_once(self, claim: Claim) -> bool:
        """True for the first caller only: an accepted press gets exactly one outcome reply."""
        return bool(self._redis.set(_outcome_key(claim), "1", nx=True, ex=GUARD_OUTCOME_TTL_S))

    def unconclude(self, claim: Claim) -> None:
        """The outcome could not be posted: let a later attempt (the failure callback) post it."""
        self._redis.delete(_outcome_key(claim))

    def take_send(self, email: str, claim: Claim, *, limit: int) -> SendBudget:
        """Count one remediation send to `email` unless RESEND_LIMIT_PER_HOUR is reached."""
        raw: Any = self._take_send(keys=[sends_key(email)], args=[limit, SEND_WINDOW_S, claim.token])
        allowed, used, oldest = raw
        return SendBudget(bool(int(allowed)), int(used), float(_text(oldest)))


def _outcome_key(claim: Claim) -> str:
    return f"{GUARD_OUTCOME_PREFIX}{claim.token}"


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
