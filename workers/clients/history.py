"""The history per address (SPEC §12): every report and every button outcome, for HISTORY_DAYS; and
the history per asker (SPEC §17): each agent's own reports, for the App Home's "your last checks".

One Redis sorted set per address, scored by time, trimmed by age on each write, with its TTL
refreshed. The set's name is a keyed hash (HMAC-SHA256) of the normalized address, with a random key
created once in Redis (`SET NX`), so it survives restarts and is the same in every process; the
address itself is never a key, and no entry holds it. Writing is best effort: the history never
fails a report or a press.

The per-asker index is one sorted set per Slack user (`mailcheck:history:asker:<user id>`) holding
only the reports that user asked for, each with the address it checked: it is read for that user's
own Home tab only, which Slack shows to nobody else. Kept HISTORY_DAYS and at most ASKER_KEPT entries.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from dataclasses import asdict, dataclass, replace

import redis

from workers.clients.keyspace import DAY_S, HISTORY_ADDRESS_PREFIX, HISTORY_ASKER_PREFIX, HISTORY_HMAC_KEY
from workers.clients.store import ReportStore, StoredReport
from workers.core.keys import address_form

log = logging.getLogger(__name__)

DIGEST_LEN = 32
MAX_SHOWN = 20
MAX_KEPT = 200  # entries per address (SPEC §16); the oldest go first
REPORT, ACTION = "report", "action"
ASKER_SHOWN = 10  # the Home tab's "your last checks" (SPEC §17)
ASKER_KEPT = 50  # entries per asker; a retried report may be listed twice, and is shown once


@dataclass(frozen=True)
class HistoryEntry:
    kind: str  # REPORT | ACTION
    report_id: str
    channel: str
    ts: str  # the Slack message: the report, or the action's thread reply ("" when none was posted)
    actor: str  # who asked for the report / who pressed
    at: float = 0.0  # epoch seconds (the sorted set's score)
    verdict: str = ""
    state: str = ""
    instance: str = ""
    action: str = ""
    outcome: str = ""
    ref: str = ""  # tells two presses apart that would otherwise be equal
    # Posted in a private channel, a DM or a group DM: shown only where history is asked in that same
    # conversation (SPEC §16). Entries written before this was kept count as private: fail closed.
    private: bool = True

    def member(self) -> str:
        """The set member: everything but the time, so a retried job cannot list one report twice."""
        return json.dumps({k: v for k, v in asdict(self).items() if k != "at"}, sort_keys=True)

    @classmethod
    def from_member(cls, raw: str | bytes, at: float) -> HistoryEntry:
        return cls(**{**json.loads(raw), "at": at})


def _secret(connection: redis.Redis) -> bytes:
    found = connection.get(HISTORY_HMAC_KEY)
    if found is None:
        connection.set(HISTORY_HMAC_KEY, secrets.token_hex(32), nx=True)  # the first process wins
        found = connection.get(HISTORY_HMAC_KEY)
    return found if isinstance(found, bytes) else str(found).encode()


def index_key(connection: redis.Redis, email: str) -> str:
    digest = hmac.new(_secret(connection), address_form(email).encode(), hashlib.sha256).hexdigest()
    return HISTORY_ADDRESS_PREFIX + digest[:DIGEST_LEN]


def remember(connection: redis.Redis, email: str, entry: HistoryEntry, *, days: int) -> None:
    """Add one entry (raises redis.RedisError)."""
    key, now = index_key(connection, email), time.time()
    with connection.pipeline() as pipe:
        pipe.zadd(key, {entry.member(): entry.at or now})
        pipe.zremrangebyscore(key, "-inf", now - days * DAY_S)
        pipe.zremrangebyrank(key, 0, -(MAX_KEPT + 1))
        pipe.expire(key, days * DAY_S)
        pipe.execute()


def recall(connection: redis.Redis, email: str, *, days: int, limit: int = MAX_KEPT) -> list[HistoryEntry]:
    """The newest `limit` entries of the last `days`, newest first (raises redis.RedisError)."""
    key = index_key(connection, email)
    rows = connection.zrevrangebyscore(
        key, "+inf", time.time() - days * DAY_S, start=0, num=limit, withscores=True
    )
    found: list[tuple[bytes, float]] = list(rows)  # type: ignore[arg-type]  # redis-py's loose stubs
    return [HistoryEntry.from_member(member, float(score)) for member, score in found]


def _best_effort(connection: redis.Redis, email: str, entry: HistoryEntry, days: int) -> None:
    try:
        remember(connection, email, entry, days=days)
    except redis.RedisError as exc:
        log.warning("history of report %s not kept: %s", entry.report_id, type(exc).__name__)


@dataclass(frozen=True)
class CheckEntry:
    """One report in its asker's own list."""

    report_id: str
    email: str  # the normalized address: the list is shown to the asker only
    channel: str
    ts: str  # the report's message ("" when it was never posted)
    verdict: str = ""
    state: str = ""
    instance: str = ""
    private: bool = True  # asked in a private channel, a DM or a group DM (fail closed)
    at: float = 0.0

    def member(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if k != "at"}, sort_keys=True)

    @classmethod
    def from_member(cls, raw: str | bytes, at: float) -> CheckEntry:
        known = set(cls.__dataclass_fields__)  # a field another version wrote is left out
        return cls(**{k: v for k, v in json.loads(raw).items() if k in known}, at=at)


def asker_key(user: str) -> str:
    return HISTORY_ASKER_PREFIX + user


def remember_check(connection: redis.Redis, stored: StoredReport, *, days: int) -> None:
    """Add a settled report to its asker's list (raises redis.RedisError)."""
    report, now = stored.report, time.time()
    entry = CheckEntry(
        report.report_id,
        report.email,
        stored.channel,
        stored.ts,
        verdict=report.verdict,
        state=report.state.value,
        instance=report.instance,
        private=stored.private,
    )
    key = asker_key(stored.requester)
    with connection.pipeline() as pipe:
        pipe.zadd(key, {entry.member(): now})
        pipe.zremrangebyscore(key, "-inf", now - days * DAY_S)
        pipe.zremrangebyrank(key, 0, -(ASKER_KEPT + 1))
        pipe.expire(key, days * DAY_S)
        pipe.execute()


def recall_checks(
    connection: redis.Redis, user: str, *, days: int, limit: int = ASKER_SHOWN
) -> list[CheckEntry]:
    """`user`'s own newest reports of the last `days`, newest first, one entry per report (raises
    redis.RedisError). Nobody else's reports are in that list, whatever the conversation."""
    rows = connection.zrevrangebyscore(
        asker_key(user), "+inf", time.time() - days * DAY_S, start=0, num=ASKER_KEPT, withscores=True
    )
    found: list[tuple[bytes, float]] = list(rows)  # type: ignore[arg-type]  # redis-py's loose stubs
    entries: dict[str, CheckEntry] = {}
    for member, score in found:
        entry = CheckEntry.from_member(member, float(score))
        entries.setdefault(entry.report_id, entry)  # newest first: a later write of a report wins
    return list(entries.values())[:limit]


def remember_report(connection: redis.Redis, stored: StoredReport, *, days: int) -> None:
    """A report that completed or failed, in its address's history and its asker's list; never raises."""
    report = stored.report
    entry = HistoryEntry(
        REPORT,
        report.report_id,
        stored.channel,
        stored.ts,
        stored.requester,
        at=time.time(),
        verdict=report.verdict,
        state=report.state.value,
        instance=report.instance,
        private=stored.private,
    )
    _best_effort(connection, report.email, entry, days)
    if stored.requester:
        try:
            remember_check(connection, stored, days=days)
        except redis.RedisError as exc:
            log.warning("report %s not kept for its asker: %s", report.report_id, type(exc).__name__)


def remember_report_id(connection: redis.Redis, report_id: str, *, days: int) -> None:
    """The stored report with this id, as it is now (after it was failed); never raises."""
    try:
        stored = ReportStore(connection).load(report_id)
    except redis.RedisError:
        stored = None
    if stored is not None:
        remember_report(connection, stored, days=days)


def remember_press(
    connection: redis.Redis, stored: StoredReport, press: HistoryEntry, *, reply_ts: str, days: int
) -> None:
    """A button outcome on the stored report, linked to its thread reply when one was posted."""
    entry = replace(
        press,
        kind=ACTION,
        channel=stored.channel,
        ts=reply_ts or stored.ts,
        ref=reply_ts or secrets.token_hex(6),
        instance=stored.report.instance,
        private=stored.private,
    )
    _best_effort(connection, stored.report.email, entry, days)
