"""The per-asker index (SPEC §17): each agent's own reports for their Home tab, HISTORY_DAYS, in Redis,
written where reports are remembered (`remember_report`). Real Redis."""

from __future__ import annotations

import itertools
import time

import redis

from workers.clients.history import (
    ASKER_KEPT,
    ASKER_SHOWN,
    DAY_S,
    CheckEntry,
    asker_key,
    recall_checks,
    remember_report,
)
from workers.clients.store import StoredReport
from workers.report.model import Report, State, Verdict

DAYS = 30
_ids = itertools.count(1)


def _stored(
    requester: str, email: str, *, channel: str = "C0SUPPORT", private: bool = False, **report: object
) -> StoredReport:
    done = Report(f"r{next(_ids)}", email, state=State.COMPLETE, verdict=Verdict.SENT)
    for name, value in report.items():
        setattr(done, name, value)
    return StoredReport(done, channel, f"1700000{next(_ids):03d}.000100", requester, private=private)


def test_each_asker_gets_only_their_own_checks_newest_first(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    mine = [_stored("U0ME", f"mine{i}@example.com", private=i == 1) for i in range(3)]
    theirs = _stored("U0THEM", "theirs@example.com", channel="G0SECRET", private=True)
    for stored in [mine[0], theirs, mine[1], mine[2]]:
        remember_report(connection, stored, days=DAYS)
        time.sleep(0.002)

    found = recall_checks(connection, "U0ME", days=DAYS)

    assert [entry.email for entry in found] == ["mine2@example.com", "mine1@example.com", "mine0@example.com"]
    assert [entry.private for entry in found] == [False, True, False]
    assert found[0] == CheckEntry(
        mine[2].report.report_id,
        "mine2@example.com",
        "C0SUPPORT",
        mine[2].ts,
        "sent",
        "complete",
        "",
        False,
        found[0].at,
    )
    assert [entry.email for entry in recall_checks(connection, "U0THEM", days=DAYS)] == ["theirs@example.com"]
    assert recall_checks(connection, "U0NOBODY", days=DAYS) == []


def test_a_report_remembered_twice_is_listed_once_as_last_written(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    stored = _stored("U0TWICE", "twice@example.com", state=State.FAILED, verdict="")
    remember_report(connection, stored, days=DAYS)  # the reaper failed it …
    time.sleep(0.002)
    remember_report(connection, stored, days=DAYS)  # … and it is written again as it was (a retry)
    stored.report.state, stored.report.verdict = State.COMPLETE, Verdict.DELIVERED
    time.sleep(0.002)
    remember_report(connection, stored, days=DAYS)

    [entry] = recall_checks(connection, "U0TWICE", days=DAYS)
    assert (entry.state, entry.verdict) == ("complete", "delivered")


def test_ten_are_shown_and_nothing_older_than_history_days(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    for index in range(ASKER_KEPT + 5):
        remember_report(connection, _stored("U0BUSY", f"busy{index}@example.com"), days=DAYS)
    assert connection.zcard(asker_key("U0BUSY")) == ASKER_KEPT
    assert 0 < connection.ttl(asker_key("U0BUSY")) <= DAYS * DAY_S
    shown = recall_checks(connection, "U0BUSY", days=DAYS)
    assert len(shown) == ASKER_SHOWN and shown[0].email == f"busy{ASKER_KEPT + 4}@example.com"

    old = CheckEntry("r-old", "old@example.com", "C0SUPPORT", "1.1", private=False)
    connection.zadd(asker_key("U0OLD"), {old.member(): time.time() - (DAYS + 1) * DAY_S})
    assert recall_checks(connection, "U0OLD", days=DAYS) == []


def test_no_key_names_an_address(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    remember_report(connection, _stored("U0KEYS", "secret.person@example.com"), days=DAYS)
    keys = [key.decode() for key in connection.scan_iter("*")]
    assert asker_key("U0KEYS") in keys
    assert not any("secret" in key or "example.com" in key for key in keys)
