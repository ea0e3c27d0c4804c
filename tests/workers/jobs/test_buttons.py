"""The action jobs' guarantees that the e2e tests cannot easily provoke: a job that dies still gets
exactly one `failed` reply, a reply Slack refused is posted by the failure callback, and a report that
expired releases its claim. Real Redis and the Slack stand-in; the job functions run in-process."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
import redis
from rq import Queue
from rq.job import Job, JobStatus
from rq.registry import FailedJobRegistry, StartedJobRegistry
from rq.serializers import JSONSerializer

from tests.standins.redis_server import RedisServer
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from workers.clients.store import ReportStore, StoredReport
from workers.jobs import press, queueing, report_buttons
from workers.jobs.buttons import action_failed, run_action
from workers.jobs.queueing import Ticket, claim_hold_s, enqueue_action
from workers.jobs.report import settings_from_env
from workers.jobs.worker import MailcheckWorker, WorkerTimings
from workers.remediation.guard import DONE, Guard
from workers.report.model import Report, State
from workers.slack.api import SlackPoster, web_client
from workers.slack.audit import Outcome
from workers.slack.errors import SlackError

_ids = itertools.count(1)


@pytest.fixture
def worker_env(
    monkeypatch: pytest.MonkeyPatch, slack: SlackStandIn, redis_server: RedisServer
) -> Iterator[None]:
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_server.url,
        "MAILCHECK_OPERATORS": "U0OP",
    }.items():
        monkeypatch.setenv(name, value)
    settings_from_env.cache_clear()
    yield
    settings_from_env.cache_clear()


def _accepted(
    slack: SlackStandIn, redis_server: RedisServer, channel: str = "C0SUPPORT"
) -> tuple[StoredReport, Ticket]:
    settings = settings_from_env()
    report_id = f"jobs{next(_ids)}"
    report = Report(
        report_id, "user@example.com", state=State.COMPLETE, verdict="sent", actions=["flush", "rerun"]
    )
    ts = SlackPoster(web_client(settings)).post("C0SUPPORT", text="report")
    stored = StoredReport(report, channel=channel, ts=ts, requester="U0ASKER")
    ReportStore(redis_server.client()).save(stored)
    claim = Guard(redis_server.client(), hold_s=claim_hold_s(settings)).claim(report_id, "flush")
    assert claim is not None
    return stored, Ticket("report", report_id, "flush", "U0OP", claim.token)


def _job(redis_server: RedisServer, ticket: Ticket) -> Job:
    return Job.create(
        queueing.RUN_ACTION,
        kwargs={**ticket.__dict__},
        connection=redis_server.client(),
        serializer=JSONSerializer,
    )


def _outcomes(slack: SlackStandIn, report_id: str) -> list[str]:
    return [
        m["metadata"]["event_payload"]["outcome"]
        for m in slack.channel_messages("C0SUPPORT")
        if (m["metadata"] or {}).get("event_type") == "mailcheck_action"
        and m["metadata"]["event_payload"]["report_id"] == report_id
    ]


def test_a_dead_job_gets_one_failed_reply(
    worker_env: None, slack: SlackStandIn, redis_server: RedisServer
) -> None:
    stored, ticket = _accepted(slack, redis_server)
    job = _job(redis_server, ticket)
    action_failed(job, redis_server.client(), RuntimeError, RuntimeError("boom"), None)
    action_failed(job, redis_server.client(), RuntimeError, RuntimeError("boom"), None)  # e.g. RQ's cleanup
    assert _outcomes(slack, ticket.subject_id) == ["failed"]
    reply = next(
        m
        for m in slack.channel_messages("C0SUPPORT")
        if (m["metadata"] or {}).get("event_type") == "mailcheck_action"
        and m["metadata"]["event_payload"]["report_id"] == ticket.subject_id
    )
    assert "could not finish (RuntimeError)" in reply["metadata"]["event_payload"]["detail"]
    assert reply["thread_ts"] == stored.ts
    assert Guard(redis_server.client(), hold_s=60).state(ticket.subject_id, "flush") == DONE


def test_a_job_that_will_be_retried_is_left_alone(
    worker_env: None, slack: SlackStandIn, redis_server: RedisServer
) -> None:
    _, ticket = _accepted(slack, redis_server)
    job = _job(redis_server, ticket)
    job.retries_left = 1
    action_failed(job, redis_server.client(), RuntimeError, RuntimeError("boom"), None)
    assert _outcomes(slack, ticket.subject_id) == []


def test_an_outcome_slack_refused_is_posted_by_the_failure_callback(
    worker_env: None, slack: SlackStandIn, redis_server: RedisServer
) -> None:
    stored, ticket = _accepted(slack, redis_server)
    env = press.PressEnv.open()
    slack.not_in_channel.add("C0SUPPORT")
    try:
        with pytest.raises(SlackError):
            report_buttons.conclude_report(env, ticket, stored, Outcome.OK, "done")
    finally:
        slack.not_in_channel.discard("C0SUPPORT")
    action_failed(_job(redis_server, ticket), redis_server.client(), SlackError, None, None)
    assert _outcomes(slack, ticket.subject_id) == ["failed"]


def test_an_expired_report_releases_the_claim(
    worker_env: None, slack: SlackStandIn, redis_server: RedisServer
) -> None:
    _, ticket = _accepted(slack, redis_server)
    redis_server.client().delete(f"mailcheck:report:{ticket.subject_id}")
    assert run_action(**ticket.__dict__) == "report gone"
    assert Guard(redis_server.client(), hold_s=60).state(ticket.subject_id, "flush") == ""
    assert _outcomes(slack, ticket.subject_id) == []


# ---- RQ's cleanup of abandoned jobs, in a real worker --------------------------------------------

CLEANUP_QUEUE = "action-cleanup"


@pytest.fixture
def private_env(monkeypatch: pytest.MonkeyPatch, slack: SlackStandIn, redis_url: str) -> Iterator[None]:
    """Like worker_env, on a Redis of the module's own: the worker's maintenance reaps what it finds."""
    for name, value in {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_url,
        "MAILCHECK_QUEUE": CLEANUP_QUEUE,
        "MAILCHECK_OPERATORS": "U0OP",
    }.items():
        monkeypatch.setenv(name, value)
    settings_from_env.cache_clear()
    yield
    settings_from_env.cache_clear()


def _abandoned(connection: redis.Redis, ticket: Ticket) -> Job:
    """The press's job as a worker that died mid-job leaves it: started, its heartbeat long gone."""
    queue = Queue(CLEANUP_QUEUE, connection=connection, serializer=JSONSerializer)
    job = enqueue_action(queue, settings_from_env(), ticket)
    queue.remove(job)
    job.set_status(JobStatus.STARTED)
    connection.zadd(StartedJobRegistry(queue=queue).key, {f"{job.id}:lost-execution": 1})
    return job


def _work_once(connection: redis.Redis) -> Job:
    """A burst of the real worker: its maintenance pass (RQ's cleanup), then a job queued behind it."""
    queue = Queue(CLEANUP_QUEUE, connection=connection, serializer=JSONSerializer)
    later = queue.enqueue("workers.report.model.new_report_id")
    worker = MailcheckWorker(
        [queue], connection=connection, settings=settings_from_env(), timings=WorkerTimings()
    )
    worker.work(burst=True)
    return later


def test_cleanup_survives_a_failure_callback_that_meets_slack_down(
    private_env: None, slack: SlackStandIn, redis_url: str
) -> None:
    connection = redis.Redis.from_url(redis_url)
    _, ticket = _accepted_in(slack, connection)
    job = _abandoned(connection, ticket)
    slack.fail("chat.postMessage", times=10_000)
    try:
        later = _work_once(connection)
    finally:
        slack.fail("chat.postMessage", times=0)

    queue = Queue(CLEANUP_QUEUE, connection=connection, serializer=JSONSerializer)
    assert job.id in FailedJobRegistry(queue=queue).get_job_ids()  # RQ's cleanup went to its end
    assert later.get_status() == JobStatus.FINISHED  # and the worker carried on working
    # Slack took no reply; the claim is held until its hold ends, as for any lost outcome.
    assert Guard(connection, hold_s=60).state(ticket.subject_id, "flush") == "running"


def test_cleanup_of_a_press_whose_report_is_gone_releases_its_claim(
    private_env: None, slack: SlackStandIn, redis_url: str
) -> None:
    connection = redis.Redis.from_url(redis_url)
    _, ticket = _accepted_in(slack, connection)
    job = _abandoned(connection, ticket)
    connection.delete(f"mailcheck:report:{ticket.subject_id}")

    _work_once(connection)

    queue = Queue(CLEANUP_QUEUE, connection=connection, serializer=JSONSerializer)
    assert job.id in FailedJobRegistry(queue=queue).get_job_ids()
    assert Guard(connection, hold_s=60).state(ticket.subject_id, "flush") == ""  # the button works again


def _accepted_in(slack: SlackStandIn, connection: redis.Redis) -> tuple[StoredReport, Ticket]:
    settings = settings_from_env()
    report_id = f"cleanup{next(_ids)}"
    report = Report(
        report_id, "user@example.com", state=State.COMPLETE, verdict="sent", actions=["flush", "rerun"]
    )
    ts = SlackPoster(web_client(settings)).post("C0SUPPORT", text="report")
    stored = StoredReport(report, channel="C0SUPPORT", ts=ts, requester="U0ASKER")
    ReportStore(connection).save(stored)
    claim = Guard(connection, hold_s=claim_hold_s(settings)).claim(report_id, "flush")
    assert claim is not None
    return stored, Ticket("report", report_id, "flush", "U0OP", claim.token)
