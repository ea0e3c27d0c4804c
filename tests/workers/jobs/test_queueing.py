"""`enqueue_report` with the stored report: the parent's ts and the job land in one transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.standins.redis_server import RedisServer
from workers.clients.store import ReportStore, StoredReport
from workers.core.settings import load_settings
from workers.jobs.queueing import RUNNING_REPORTS_KEY, enqueue_report, make_queue, report_job_id
from workers.report.model import Report


@pytest.fixture(scope="module")
def connection() -> Iterator[redis.Redis]:
    server = RedisServer().start()
    yield server.client()
    server.stop()


def test_the_report_with_its_parent_is_saved_with_the_job(connection: redis.Redis) -> None:
    port = connection.connection_pool.connection_kwargs["port"]
    settings = load_settings(
        {
            "redis_url": f"redis://127.0.0.1:{port}/0",
            "slack_bot_token": "xoxb-1",
            "mailcheck_queue": "q-tests",
        }
    )
    stored = StoredReport(Report("enq1", "user@example.com"), channel="C0SUPPORT", ts="", requester="U0A")
    ReportStore(connection).save(stored)  # as the bot saves it before the ack: no parent yet
    stored.ts = "1700000000.000100"

    enqueue_report(
        make_queue(connection, settings),
        settings,
        report_id="enq1",
        email="user@example.com",
        channel="C0SUPPORT",
        ts=stored.ts,
        requester="U0A",
        stored=stored,
    )

    saved = ReportStore(connection).load("enq1")
    assert saved is not None and saved.ts == "1700000000.000100"
    assert make_queue(connection, settings).job_ids == [report_job_id("enq1")]
    assert connection.zscore(RUNNING_REPORTS_KEY, "enq1") is not None
