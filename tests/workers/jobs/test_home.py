"""The App Home's courier refresh job (SPEC §17): at most one Kratos listing per instance and status a
minute, kept in Redis for every bot and worker, and Home published again for who waited. Run in-process
against real Redis, the Kratos stand-in (its requests counted) and the Slack stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import redis

from tests.standins.kratos import KratosStandIn
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from workers.clients.home_store import HomeStore
from workers.jobs.home import refresh_home
from workers.jobs.report import settings_from_env


@pytest.fixture
def job_env(
    monkeypatch: pytest.MonkeyPatch, redis_url: str, slack: SlackStandIn, kratos: KratosStandIn
) -> Iterator[redis.Redis]:
    kratos.reset()
    settings = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": slack.api_url,
        "REDIS_URL": redis_url,
        "KRATOS_ADMIN_URL": kratos.admin_url,
        "KRATOS_PUBLIC_URL": kratos.public_url,
        "REPORT_DEADLINE": "5",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    settings_from_env.cache_clear()
    yield redis.Redis.from_url(redis_url)
    settings_from_env.cache_clear()


def _listings(kratos: KratosStandIn) -> list[str]:
    return [path for _, path in kratos.requests if path.startswith("/admin/courier/messages?")]


def test_the_courier_is_listed_once_a_minute_and_kept_for_everyone(
    job_env: redis.Redis, kratos: KratosStandIn
) -> None:
    kratos.add_message("q@example.com", status="queued", age_s=60)
    kratos.add_message("p@example.com", status="processing", age_s=10)

    assert refresh_home() == "listed"
    assert refresh_home() == "fresh"  # a second job within the minute (they piled up): no listing

    assert sorted(path.split("status=")[1].split("&")[0] for path in _listings(kratos)) == [
        "abandoned",
        "processing",
        "queued",
    ]
    snapshot = HomeStore(job_env).courier()
    assert snapshot is not None
    [instance] = snapshot.instances
    assert instance.instance == "kratos" and instance.health is not None
    assert (instance.health.queued, instance.health.processing) == (1, 1)


def test_who_waited_gets_home_again_with_the_status(
    job_env: redis.Redis, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.add_message("w@example.com", status="queued", age_s=5)
    store = HomeStore(job_env)
    store.wait("U0WAITED1")
    store.wait("U0WAITED2")

    refresh_home()

    for viewer in ("U0WAITED1", "U0WAITED2"):
        view = slack.home_view(viewer)
        assert view is not None and "*1* queued" in json.dumps(view["blocks"])
    assert store.take_waiting() == []


def test_a_kratos_that_cannot_be_read_is_said_on_home(
    job_env: redis.Redis, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.fail_with = 500
    HomeStore(job_env).wait("U0DOWN")

    refresh_home()

    view = slack.home_view("U0DOWN")
    assert view is not None and "the courier could not be read" in json.dumps(view["blocks"])
