"""Worker-side counts in Redis (SPEC §13): what the bot's /metrics reads back, and that a Redis hiccup
never fails the job being counted."""

from __future__ import annotations

import logging

import pytest
import redis

from tests.standins.redis_server import free_port
from workers.clients.keyspace import WATCH_OPEN_COUNTS_KEY
from workers.clients.metrics_store import WATCH_KINDS, read_counts, record_action, record_report
from workers.report.model import CHECK_NAMES, CheckResult, Report, State, Status


def finished(report_id: str, verdict: str, elapsed_ms: int) -> Report:
    report = Report(report_id=report_id, email="user@example.com", verdict=verdict, elapsed_ms=elapsed_ms)
    report.state = State.COMPLETE
    report.checks = {name: CheckResult(Status.OK, "fine") for name in CHECK_NAMES}
    report.checks["smtp"] = CheckResult(Status.FAIL, "refused")
    return report


def test_counts_read_back_as_recorded(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    record_report(connection, finished("r1", "sent", 1500))
    record_report(connection, finished("r2", "smtp_auth", 25_000))
    record_action(connection, "resend_verification", "ok")
    record_action(connection, "resend_verification", "ok")
    record_action(connection, "flush", "failed")

    counts = read_counts(connection)

    assert counts.reports == {"sent": 1, "smtp_auth": 1}
    assert counts.checks[("smtp", "fail")] == 2 and counts.checks[("identity", "ok")] == 2
    assert sum(counts.checks.values()) == 2 * len(CHECK_NAMES)
    assert counts.actions == {("resend_verification", "ok"): 2, ("flush", "failed"): 1}
    buckets = dict(counts.report_buckets)
    assert buckets["1.0"] == 0 and buckets["2.0"] == 1 and buckets["20.0"] == 1 and buckets["30.0"] == 2
    assert counts.report_buckets[-1] == ("+Inf", 2)  # cumulative: the last bucket is the count
    assert counts.report_seconds_sum == pytest.approx(26.5)
    assert counts.watch_open == dict.fromkeys(WATCH_KINDS, 0)  # no courier watch yet: every kind at 0


def test_watch_hash_is_read_as_the_watch_writes_it(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    connection.hset(WATCH_OPEN_COUNTS_KEY, mapping={"smtp_failing": 1, "some_new_kind": 3})
    counts = read_counts(connection)
    assert counts.watch_open["smtp_failing"] == 1 and counts.watch_open["courier_stuck"] == 0
    assert counts.watch_open["some_new_kind"] == 3


def test_redis_away_is_logged_and_never_raised(caplog: pytest.LogCaptureFixture) -> None:
    gone = redis.Redis(port=free_port(), socket_connect_timeout=0.5)
    with caplog.at_level(logging.WARNING):
        record_report(gone, finished("r3", "sent", 100))
        record_action(gone, "rerun", "ok")
    assert "report r3 was not counted in the metrics: ConnectionError" in caplog.text
    assert "a rerun outcome was not counted in the metrics: ConnectionError" in caplog.text
    with pytest.raises(redis.ConnectionError):  # the bot's collector leaves the metrics out instead
        read_counts(gone)
