"""`enqueue_report`: the job on the queue and the report's ledger deadline in one transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.standins.redis_server import RedisServer
from workers.clients.keyspace import RUNNING_KEY
from workers.clients.store import ReportStore, StoredReport
from workers.core.settings import load_settings
from workers.jobs.queueing import enqueue_report, make_queue, report_job_id
from workers.report.model import Report


@pytest.fixture(scope="module")
def connection() -> Iterator[redis.Redis]:
    server = RedisServer().start()
    yield server.client()
    server.stop()


def test_a_report_is_enqueued_before_its_parent_exists_and_in_the_ledger(connection: redis.Redis) -> None:
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

    job = enqueue_report(
        make_queue(connection, settings),
        settings,
        report_id="enq1",
        email="user@example.com",
        channel="C0SUPPORT",
        ts="",
        requester="U0A",
        parent_pending=True,
    )

    assert job.kwargs["parent_pending"] is True and job.kwargs["ts"] == ""
    assert make_queue(connection, settings).job_ids == [report_job_id("enq1")]
    assert connection.zscore(RUNNING_KEY, "enq1") is not None
    assert (
        "parent_pending"
        not in enqueue_report(  # a re-run's job keeps its old arguments
            make_queue(connection, settings),
            settings,
            report_id="enq2",
            email="user@example.com",
            channel="C0SUPPORT",
            ts="",
            requester="U0A",
            thread_ts="1700000000.000100",
        ).kwargs
    )
