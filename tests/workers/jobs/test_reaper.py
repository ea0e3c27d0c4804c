"""The running ledger, atomic settling and the reaper, against a real Redis and the Slack stand-in.

The module has a Redis of its own: the session's worker reaps the session's Redis on its own clock.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator

import pytest
import redis
from rq import Queue
from rq.exceptions import AbandonedJobError
from rq.job import JobStatus
from rq.serializers import JSONSerializer
from rq.timeouts import JobTimeoutException

from tests.standins.redis_server import RedisServer
from tests.standins.slack import SlackStandIn
from workers.clients.history import recall
from workers.clients.keyspace import METRICS_REPORTS_KEY, RUNNING_KEY
from workers.clients.metrics_store import read_counts
from workers.clients.store import ReportStore, StoredReport
from workers.core.settings import Settings, load_settings
from workers.jobs.lifecycle import (
    LOST_REASON,
    OVERDUE_REASON,
    Ledger,
    Settled,
    WorkerLost,
    attach_and_show,
    attach_parent,
    fail_report,
    failure_reason,
    save_new_report,
    settle,
    with_parent,
)
from workers.jobs.queueing import JOB_SLACK_MARGIN_S, enqueue_report, make_queue, report_job_id
from workers.jobs.reaper import no_worker_reason, reap
from workers.report.model import Report, State, Verdict
from workers.slack.api import SlackPoster, web_client
from workers.slack.render import render_report

_ids = itertools.count(1)


@pytest.fixture(scope="module")
def connection() -> Iterator[redis.Redis]:
    server = RedisServer().start()
    yield server.client()
    server.stop()


@pytest.fixture(scope="module")
def own_slack() -> Iterator[SlackStandIn]:
    standin = SlackStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture
def settings(connection: redis.Redis, own_slack: SlackStandIn) -> Settings:
    port = connection.connection_pool.connection_kwargs["port"]
    return load_settings(
        {
            "redis_url": f"redis://127.0.0.1:{port}/0",
            "slack_bot_token": "xoxb-test-bot-token-0123456789",
            "slack_api_url": own_slack.api_url,
            "mailcheck_queue": "reaper-tests",
            "report_deadline": 8,
        }
    )


@pytest.fixture
def poster(settings: Settings) -> SlackPoster:
    return SlackPoster(web_client(settings))


def _posted(connection: redis.Redis, poster: SlackPoster, *, state: State = State.RUNNING) -> StoredReport:
    """A report as the bot leaves it: stored, its parent posted `running`, in the ledger."""
    report = Report(f"reap{next(_ids)}", "user@example.com", state=state)
    ts = poster.post("C0SUPPORT", **render_report(report, requester="U0ASKER"))
    stored = StoredReport(report, channel="C0SUPPORT", ts=ts, requester="U0ASKER")
    ReportStore(connection).save(stored)
    connection.zadd(RUNNING_KEY, {report.report_id: time.time() - 1})
    return stored


def _completed(stored: StoredReport) -> StoredReport:
    report = Report(stored.report.report_id, stored.report.email, state=State.COMPLETE, verdict="sent")
    return StoredReport(report, channel=stored.channel, ts=stored.ts, requester=stored.requester)


def _shown(slack: SlackStandIn, stored: StoredReport) -> str:
    return str(slack.message(stored.channel, stored.ts)["metadata"]["event_payload"]["state"])


# ---- settling ----------------------------------------------------------------------------------


def _unposted(connection: redis.Redis) -> StoredReport:
    """A report as the bot leaves it when it enqueues first: stored without a parent, in the ledger."""
    report = Report(f"reap{next(_ids)}", "user@example.com")
    stored = StoredReport(report, channel="C0SUPPORT", ts="", requester="U0ASKER")
    ReportStore(connection).save(stored)
    connection.zadd(RUNNING_KEY, {report.report_id: time.time() + 60})
    return stored


def test_a_parent_attached_while_the_report_runs_is_the_one_its_job_settles_and_shows(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn
) -> None:
    stored = _unposted(connection)
    ts = poster.post("C0SUPPORT", **render_report(stored.report, requester="U0ASKER"))

    assert attach_parent(connection, stored.report.report_id, ts) is None  # still running: its job shows it
    finished = _completed(stored)  # what the job made, not knowing the parent
    settled = settle(connection, stored.report.report_id, lambda current: with_parent(finished, current))

    assert settled.won and settled.stored is not None and settled.stored.ts == ts
    assert ReportStore(connection).load(stored.report.report_id).ts == ts  # type: ignore[union-attr]


def test_a_report_that_settled_before_its_parent_was_posted_is_shown_by_whoever_posts_it(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings
) -> None:
    stored = _unposted(connection)
    report_id = stored.report.report_id
    assert settle(connection, report_id, lambda current: with_parent(_completed(stored), current)).won
    assert ReportStore(connection).load(report_id).ts == ""  # type: ignore[union-attr]  # the job could not show it

    stored.ts = poster.post("C0SUPPORT", **render_report(stored.report, requester="U0ASKER"))
    assert _shown(own_slack, stored) == "running"
    attach_and_show(connection, stored, poster, settings)

    assert _shown(own_slack, stored) == "complete"
    assert report_id not in _ledger(connection)
    assert [
        entry.ts
        for entry in recall(connection, "user@example.com", days=settings.history_days)
        if entry.report_id == report_id
    ] == [stored.ts]


def _attach_beside_settle(connection: redis.Redis, stored: StoredReport, ts: str) -> tuple[bool, bool]:
    """The bot attaching `ts` and the job settling, in two threads at once: (the bot got the settled
    report to show, the job settled it knowing the parent)."""
    outcome = _completed(stored)
    attached: list[StoredReport | None] = []
    settled: list[Settled] = []
    threads = [
        threading.Thread(
            target=lambda: attached.append(attach_parent(connection, stored.report.report_id, ts))
        ),
        threading.Thread(
            target=lambda: settled.append(
                settle(connection, stored.report.report_id, lambda current: with_parent(outcome, current))
            )
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return attached[0] is not None, settled[0].stored is not None and settled[0].stored.ts == ts


def test_attaching_races_settling_and_exactly_one_side_shows_the_report(connection: redis.Redis) -> None:
    for _ in range(20):
        stored = _unposted(connection)
        bot_shows, job_shows = _attach_beside_settle(connection, stored, "1700000000.000100")

        final = ReportStore(connection).load(stored.report.report_id)
        assert final is not None and final.ts == "1700000000.000100" and final.report.state == State.COMPLETE
        assert bot_shows != job_shows


def test_a_completed_report_is_never_overwritten_with_a_failure(
    connection: redis.Redis, poster: SlackPoster
) -> None:
    stored = _posted(connection, poster)
    first = settle(connection, stored.report.report_id, lambda _current: _completed(stored))
    later = fail_report(connection, poster, stored.report.report_id, OVERDUE_REASON, operators=True)

    assert first.won and not later
    assert ReportStore(connection).load(stored.report.report_id).report.state == State.COMPLETE  # type: ignore[union-attr]


def test_a_late_completion_never_overwrites_a_failure(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn
) -> None:
    stored = _posted(connection, poster)
    assert fail_report(connection, poster, stored.report.report_id, OVERDUE_REASON, operators=True)
    late = settle(connection, stored.report.report_id, lambda _current: _completed(stored))

    assert not late.won and late.stored is not None and late.stored.report.state == State.FAILED
    assert late.stored.report.failure_reason == OVERDUE_REASON
    assert _shown(own_slack, stored) == "failed"
    assert stored.report.report_id not in _ledger(connection)


def test_of_many_concurrent_settlers_exactly_one_wins(connection: redis.Redis, poster: SlackPoster) -> None:
    stored = _posted(connection, poster)
    outcomes: list[bool] = []

    def race(index: int) -> None:
        def outcome(current: StoredReport | None) -> StoredReport:
            assert current is not None
            current.report.state, current.report.verdict = State.COMPLETE, list(Verdict)[index]
            return current

        outcomes.append(settle(connection, stored.report.report_id, outcome).won)  # a connection per thread

    threads = [threading.Thread(target=race, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == [False] * 11 + [True]


def test_a_missing_report_is_written_from_the_fallback_or_left_alone(connection: redis.Redis) -> None:
    nothing = settle(connection, "never-stored", lambda current: current)
    report = Report("fallback-1", "user@example.com")
    written = settle(
        connection, "fallback-1", lambda current: current or StoredReport(report, "C0", "1.1", "U0")
    )

    assert (nothing.stored, nothing.won) == (None, False)
    assert written.won and ReportStore(connection).load("fallback-1") is not None


# ---- showing it in Slack -----------------------------------------------------------------------


def test_a_failure_slack_did_not_take_stays_due_for_the_reaper(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn
) -> None:
    stored = _posted(connection, poster)
    connection.zadd(RUNNING_KEY, {stored.report.report_id: time.time() + 3600})
    own_slack.fail("chat.update", times=1, error="service_unavailable")

    assert fail_report(connection, poster, stored.report.report_id, LOST_REASON, operators=True)

    assert _shown(own_slack, stored) == "running"
    assert Ledger(connection).deadline(stored.report.report_id) <= time.time()  # type: ignore[operator]


def test_a_message_slack_will_never_take_leaves_the_ledger(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn
) -> None:
    stored = _posted(connection, poster)
    own_slack.fail("chat.update", times=1, error="message_not_found")

    fail_report(connection, poster, stored.report.report_id, LOST_REASON, operators=True)

    assert stored.report.report_id not in _ledger(connection)


# ---- the reaper ----------------------------------------------------------------------------------


def _ledger(connection: redis.Redis) -> list[str]:
    return [m.decode() if isinstance(m, bytes) else str(m) for m in connection.zrange(RUNNING_KEY, 0, -1)]


def _clear(connection: redis.Redis) -> None:
    connection.delete(RUNNING_KEY)


def test_reaper_fails_an_overdue_report_without_a_job(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings
) -> None:
    _clear(connection)
    stored = _posted(connection, poster)

    connection.delete(METRICS_REPORTS_KEY)

    assert reap(connection, poster, settings) == 1

    assert _shown(own_slack, stored) == "failed"
    shown = own_slack.message(stored.channel, stored.ts)
    assert OVERDUE_REASON in str(shown["blocks"]) and shown["metadata"]["event_payload"]["actions"] == "rerun"
    assert _ledger(connection) == []
    assert read_counts(connection).reports == {"failed": 1}  # mailcheck_reports_total{verdict="failed"}
    assert reap(connection, poster, settings) == 0  # nothing left to fail, nothing counted twice
    assert read_counts(connection).reports == {"failed": 1}


def test_reaper_gives_a_queued_job_more_time(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings
) -> None:
    _clear(connection)
    stored = _posted(connection, poster)
    queue = make_queue(connection, settings)
    enqueue_report(
        queue,
        settings,
        report_id=stored.report.report_id,
        email="user@example.com",
        channel=stored.channel,
        ts=stored.ts,
        requester=stored.requester,
    )
    connection.zadd(RUNNING_KEY, {stored.report.report_id: time.time() - 1})

    assert reap(connection, poster, settings) == 0

    assert _shown(own_slack, stored) == "running"
    assert Ledger(connection).deadline(stored.report.report_id) > time.time() + 60  # type: ignore[operator]
    queue.empty()  # type: ignore[no-untyped-call]


def test_reaper_shows_a_completed_report_it_finds_and_does_not_fail_it(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings
) -> None:
    _clear(connection)
    stored = _posted(connection, poster)
    settle(connection, stored.report.report_id, lambda _current: _completed(stored))  # Slack not told

    assert reap(connection, poster, settings) == 0

    assert _shown(own_slack, stored) == "complete"
    assert _ledger(connection) == []


def test_reapers_side_by_side_claim_each_report_once(connection: redis.Redis) -> None:
    _clear(connection)
    now = time.time()
    connection.zadd(RUNNING_KEY, {f"due{i}": now - 10 for i in range(30)} | {"later": now + 600})
    first, second = Ledger(connection).claim_due(now, limit=20), Ledger(connection).claim_due(now, limit=20)

    assert len(first) == 20 and len(second) == 10 and not set(first) & set(second)
    assert "later" not in first + second
    assert Ledger(connection).claim_due(now) == []  # leased, not lost
    assert Ledger(connection).deadline("due0") > now + 60  # type: ignore[operator]
    _clear(connection)


# ---- QUEUE_TIMEOUT: a report no worker starts ---------------------------------------------------


def _enqueued(connection: redis.Redis, poster: SlackPoster, settings: Settings) -> tuple[StoredReport, Queue]:
    stored = _posted(connection, poster)
    queue = make_queue(connection, settings)
    queue.empty()  # type: ignore[no-untyped-call]
    enqueue_report(
        queue,
        settings,
        report_id=stored.report.report_id,
        email="user@example.com",
        channel=stored.channel,
        ts=stored.ts,
        requester=stored.requester,
    )
    return stored, queue


def test_a_report_no_worker_starts_within_queue_timeout_fails_and_its_job_is_dropped(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings
) -> None:
    _clear(connection)
    stored, queue = _enqueued(connection, poster, settings)
    report_id = stored.report.report_id

    assert reap(connection, poster, settings, now=time.time() + settings.queue_timeout + 1) == 1

    assert _shown(own_slack, stored) == "failed"
    shown = str(own_slack.message(stored.channel, stored.ts)["blocks"])
    assert "mailcheck worker" in shown and "QUEUE_TIMEOUT" in shown
    assert no_worker_reason(settings).startswith("no `mailcheck worker` started the check within 300 s")
    assert queue.job_ids == [] and not connection.exists(f"rq:job:{report_job_id(report_id)}")
    assert _ledger(connection) == []
    # and /mailcheck history lists it, failed (SPEC §12: every report)
    remembered = recall(connection, stored.report.email, days=settings.history_days)
    assert [e.state for e in remembered if e.report_id == report_id] == ["failed"]


def test_a_queued_report_is_left_alone_until_queue_timeout(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings
) -> None:
    _clear(connection)
    stored, queue = _enqueued(connection, poster, settings)
    job_id = report_job_id(stored.report.report_id)

    assert reap(connection, poster, settings, now=time.time() + settings.queue_timeout - 5) == 0

    assert _shown(own_slack, stored) == "running" and queue.job_ids == [job_id]
    deadline = Ledger(connection).deadline(stored.report.report_id)
    assert deadline is not None and deadline <= time.time() + settings.queue_timeout  # looked at in time
    queue.empty()  # type: ignore[no-untyped-call]


@pytest.mark.parametrize("taken", ["dequeued", "started"])
def test_a_report_a_worker_has_taken_is_never_failed_by_the_queue_timeout(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings, taken: str
) -> None:
    _clear(connection)
    stored, queue = _enqueued(connection, poster, settings)
    job_id = report_job_id(stored.report.report_id)
    # What a worker does: move the job to RQ's intermediate queue (still `queued`), then start it.
    Queue.lmove(connection, queue.key, timeout=None)
    if taken == "started":
        queue.fetch_job(job_id).set_status(JobStatus.STARTED)  # type: ignore[union-attr]

    assert reap(connection, poster, settings, now=time.time() + settings.queue_timeout + 1) == 0

    assert _shown(own_slack, stored) == "running"
    assert (ReportStore(connection).load(stored.report.report_id) or stored).report.state == State.RUNNING
    assert connection.exists(f"rq:job:{job_id}")
    connection.delete(queue.intermediate_queue_key)


def test_the_bots_first_write_puts_the_report_in_the_ledger(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings
) -> None:
    """The bot died after its first write, before enqueueing (and so before posting: it enqueues first):
    the reaper takes the report out of the ledger; nothing ran and nothing shows it, so nothing fails."""
    _clear(connection)
    report = Report(f"reap{next(_ids)}", "user@example.com")
    stored = StoredReport(report, channel="C0SUPPORT", ts="", requester="U0ASKER")
    save_new_report(connection, stored, settings)

    assert Ledger(connection).deadline(report.report_id) is not None
    assert reap(connection, poster, settings, now=time.time() + 3600) == 0
    assert (ReportStore(connection).load(report.report_id) or stored).report.state == State.RUNNING
    assert _ledger(connection) == []


# ---- queueing and reasons ----------------------------------------------------------------------


def test_enqueue_puts_the_report_in_the_ledger_with_its_job(
    connection: redis.Redis, settings: Settings
) -> None:
    queue = Queue("reaper-enqueue", connection=connection, serializer=JSONSerializer)
    before = time.time()
    job = enqueue_report(
        queue, settings, report_id="enq1", email="user@example.com", channel="C0", ts="1.1", requester="U0"
    )

    deadline = Ledger(connection).deadline("enq1")
    assert job.id in queue.job_ids
    assert (
        deadline is not None
        and before + 8 + JOB_SLACK_MARGIN_S <= deadline <= time.time() + 8 + JOB_SLACK_MARGIN_S
    )
    queue.empty()  # type: ignore[no-untyped-call]
    connection.zrem(RUNNING_KEY, "enq1")


@pytest.mark.parametrize(
    ("exc_type", "reason"),
    [
        (AbandonedJobError, LOST_REASON),
        (WorkerLost, LOST_REASON),
        (None, LOST_REASON),
        (JobTimeoutException, "the check could not finish (JobTimeoutException)"),
        (RuntimeError, "the check could not finish (RuntimeError)"),
    ],
)
def test_failure_reasons(exc_type: type[BaseException] | None, reason: str) -> None:
    assert failure_reason(exc_type) == reason


def test_a_check_redis_would_not_queue_is_never_failed_counted_or_listed(
    connection: redis.Redis, poster: SlackPoster, own_slack: SlackStandIn, settings: Settings
) -> None:
    """SPEC §4.1: the agent was told nothing started. After an outage longer than the first deadline (or
    a bot restart that lost its memory of it), a worker's reaper found the ledger entry and failed it."""
    _clear(connection)
    stored = StoredReport(Report(f"reap{next(_ids)}", "refused@example.com"), "C0SUPPORT", "", "U0ASKER")
    save_new_report(connection, stored, settings)  # the bot's first write; then Redis refused the job
    connection.delete(METRICS_REPORTS_KEY)
    posts = len(own_slack.calls_of("chat.postMessage")) + len(own_slack.calls_of("chat.update"))

    assert reap(connection, poster, settings, now=time.time() + 3600) == 0

    assert _ledger(connection) == []
    assert read_counts(connection).reports == {}
    assert recall(connection, "refused@example.com", days=30) == []
    assert len(own_slack.calls_of("chat.postMessage")) + len(own_slack.calls_of("chat.update")) == posts
