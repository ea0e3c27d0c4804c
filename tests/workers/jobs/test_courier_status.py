"""The status job's failure callback: an agent whose status job died still gets an answer.
Real Redis for the job, the Slack stand-in for the response_url; the callback runs in-process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rq.job import Job
from rq.serializers import JSONSerializer
from rq.timeouts import JobTimeoutException

from tests.standins.redis_server import RedisServer
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from workers.jobs.courier_status import status_failed
from workers.jobs.queueing import RUN_STATUS
from workers.jobs.report import settings_from_env


@pytest.fixture
def worker_env(
    monkeypatch: pytest.MonkeyPatch, slack: SlackStandIn, redis_server: RedisServer
) -> Iterator[None]:
    for name, value in {"SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": slack.api_url}.items():
        monkeypatch.setenv(name, value)
    settings_from_env.cache_clear()
    yield
    settings_from_env.cache_clear()


def _job(redis_server: RedisServer, **kwargs: str) -> Job:
    return Job.create(RUN_STATUS, kwargs=kwargs, connection=redis_server.client(), serializer=JSONSerializer)


def test_a_failed_status_job_answers_the_agent_ephemerally(
    worker_env: None, slack: SlackStandIn, redis_server: RedisServer
) -> None:
    job = _job(redis_server, channel="C0OPS", requester="U0SRE", response_url=slack.hook_url("status-died"))
    status_failed(job, redis_server.client(), JobTimeoutException, JobTimeoutException(), None)
    [answer] = slack.hooks_for("status-died")
    assert answer["response_type"] == "ephemeral"
    assert "could not be produced (JobTimeoutException)" in answer["text"]


def test_without_a_response_url_the_answer_goes_to_the_channel(
    worker_env: None, slack: SlackStandIn, redis_server: RedisServer
) -> None:
    job = _job(redis_server, channel="C0STATUSDIED", requester="U0SRE")
    status_failed(job, redis_server.client(), None, None, None)
    [message] = slack.channel_messages("C0STATUSDIED")
    assert "worker lost" in message["text"]


def test_the_callback_never_raises(worker_env: None, slack: SlackStandIn, redis_server: RedisServer) -> None:
    slack.fail("chat.postMessage", times=1)
    try:
        status_failed(_job(redis_server, channel="C0OPS", requester="U0SRE"), redis_server.client())
    finally:
        slack.fail("chat.postMessage", times=0)
