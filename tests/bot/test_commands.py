"""The `/mailcheck` surface through the running bot: answers, refusals, signatures, Redis outages."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import cast
from urllib.parse import parse_qsl

import httpx
import pytest
import redis

from bot import starting
from bot.app import build_deps, create_app
from bot.listeners import commands
from bot.reaping import BotReaper
from bot.slack_http import SlackEvents
from tests.e2e.helpers import run_command, unique_email
from tests.processes import base_settings, mailcheck_env, start_bot
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body
from workers.clients.keyspace import RUNNING_KEY
from workers.clients.store import ReportStore, StoredReport
from workers.core.settings import load_settings
from workers.jobs.lifecycle import UNATTACHED_REASON, save_new_report, settle, with_parent
from workers.jobs.queueing import make_queue
from workers.report.model import Report, State, Verdict, new_report_id


def _job_keys(redis_server: RedisServer) -> set[bytes]:
    return set(redis_server.client().scan_iter("rq:job:*"))


def _ephemeral(response: httpx.Response) -> str:
    assert response.status_code == 200
    body = response.json()
    assert body.get("response_type", "ephemeral") == "ephemeral"
    return str(body["text"])


@pytest.mark.parametrize("text", ["", "help", "  HELP  "])
def test_help_is_ephemeral_usage(bot: str, slack: SlackStandIn, text: str) -> None:
    before = len(slack.calls_of("chat.postMessage"))
    response, _ = run_command(bot, slack, text)
    assert response.status_code == 200
    assert "/mailcheck user@example.com" in response.text
    assert len(slack.calls_of("chat.postMessage")) == before


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("a@example.com b@example.com", "exactly one"),
        ("no-at-sign.example.com", "no `@`"),
        ("x" * 255 + "@example.com", "longer than 254"),
        ("bad\u0007@example.com", "control characters"),
        ("<@U0SOMEONE|someone>", "mentions"),
        ("<!here>", "mentions"),
        ("user@exa mple", "exactly one"),
    ],
)
def test_invalid_input_is_refused_with_nothing_posted_or_enqueued(
    bot: str, slack: SlackStandIn, redis_server: RedisServer, text: str, problem: str
) -> None:
    posts, jobs = len(slack.calls_of("chat.postMessage")), _job_keys(redis_server)
    response, _ = run_command(bot, slack, text)
    message = _ephemeral(response)
    assert problem in message and "Usage" in message
    assert len(slack.calls_of("chat.postMessage")) == posts
    assert _job_keys(redis_server) == jobs


def test_channel_outside_mailcheck_channels_is_refused(
    bot: str, slack: SlackStandIn, redis_server: RedisServer
) -> None:
    posts, jobs = len(slack.calls_of("chat.postMessage")), _job_keys(redis_server)
    response, _ = run_command(bot, slack, unique_email("elsewhere"), channel="C0RANDOM")
    assert "MAILCHECK_CHANNELS" in _ephemeral(response)
    assert len(slack.calls_of("chat.postMessage")) == posts
    assert _job_keys(redis_server) == jobs


def test_forged_signature_is_rejected(bot: str, slack: SlackStandIn) -> None:
    body = slash_command_body(unique_email("forged"))
    headers = signed_headers(body, secret="not-the-signing-secret")
    before = len(slack.calls)
    response = httpx.post(f"{bot}/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    assert len(slack.calls) == before


def test_replayed_request_ten_minutes_old_is_rejected(bot: str, slack: SlackStandIn) -> None:
    body = slash_command_body(unique_email("replayed"))
    headers = signed_headers(body, timestamp=int(time.time()) - 600)
    before = len(slack.calls)
    response = httpx.post(f"{bot}/slack/events", content=body, headers=headers)
    assert response.status_code == 401
    assert len(slack.calls) == before


def test_tampered_body_is_rejected(bot: str) -> None:
    body = slash_command_body("a@example.com")
    headers = signed_headers(body)
    response = httpx.post(f"{bot}/slack/events", content=body.replace("a%40", "b%40"), headers=headers)
    assert response.status_code == 401


def test_unknown_paths_are_404(bot: str) -> None:
    assert httpx.get(f"{bot}/slack/events").status_code == 404
    assert httpx.post(f"{bot}/admin").status_code == 404


@pytest.fixture
def fragile_stack(
    slack: SlackStandIn, kratos: KratosStandIn, dns: DnsServer, tmp_path: Path
) -> Iterator[tuple[RedisServer, str]]:
    """A bot with its own Redis, which the test may kill and bring back on the same port."""
    server = RedisServer().start()
    bot, base = start_bot(mailcheck_env(**base_settings(server.url, slack, kratos, dns)), tmp_path)
    yield server, base
    bot.stop()
    server.stop()


def test_redis_down_gives_an_ephemeral_error_and_the_bot_recovers(
    fragile_stack: tuple[RedisServer, str], slack: SlackStandIn
) -> None:
    server, bot = fragile_stack
    server.stop()
    email = unique_email("redis-down")
    started = time.monotonic()
    response, _ = run_command(bot, slack, email)
    elapsed = time.monotonic() - started
    assert "Redis is unreachable" in _ephemeral(response)
    assert elapsed < 3  # inside Slack's ack window
    assert all(json.dumps(c.body).find(email) < 0 for c in slack.calls)  # no parent left `running`
    assert httpx.get(f"{bot}/healthz").status_code == 503

    server.start()  # back on the same address; the bot is not restarted
    assert slack.wait_for(lambda: httpx.get(f"{bot}/healthz").status_code == 200, timeout=15)
    response, _ = run_command(bot, slack, email)
    assert response.status_code == 200 and response.text == ""
    assert slack.wait_for(
        lambda: any(email in json.dumps(c.body) for c in slack.calls_of("chat.postMessage"))
    )


class _BrokenRedis:
    """A Redis client whose script support is broken in a way no handler expects (not a RedisError)."""

    def register_script(self, script: str) -> None:
        raise RuntimeError("secret-looking detail xoxb-not-for-slack")


def test_an_unexpected_error_is_answered_with_an_error_id_only_the_log_explains(
    redis_url: str, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    """`/mailcheck` over HTTP skips Bolt's dispatch; it still answers errors as the app's handler does."""
    deps = build_deps(load_settings({"redis_url": redis_url, "slack_api_url": slack.api_url}))
    broken = replace(deps, redis=cast(redis.Redis, _BrokenRedis()))
    command = dict(parse_qsl(slash_command_body(unique_email("unexpected"))))
    posts = len(slack.calls_of("chat.postMessage"))

    response = commands.answer(broken, command)

    answer = json.loads(response.body)
    assert answer["response_type"] == "ephemeral" and "xoxb" not in answer["text"]
    correlation = answer["text"].split("error id `")[1].split("`")[0]
    assert f"unexpected error [{correlation}]" in caplog.text and "RuntimeError" in caplog.text
    assert len(slack.calls_of("chat.postMessage")) == posts  # nothing was started
    deps.background.shutdown()


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("help", "C0SUPPORT"),
        ("", "C0SUPPORT"),
        ("two@example.com words@example.com", "C0SUPPORT"),
        ("<!here>", "C0SUPPORT"),
        ("bad\u0007@example.com", "C0SUPPORT"),
        ("user@example.com", "C0ELSEWHERE"),
    ],
)
def test_the_direct_route_answers_exactly_as_bolts_dispatch_would(
    redis_url: str, slack: SlackStandIn, text: str, channel: str
) -> None:
    """Over HTTP `/mailcheck` skips Bolt's dispatch; the same signed request through Bolt's listener
    (as Socket Mode takes it) gets the same status, content type and body."""
    settings = load_settings(
        {
            "redis_url": redis_url,
            "slack_api_url": slack.api_url,
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "mailcheck_channels": "C0SUPPORT",
        }
    )
    deps = build_deps(settings)
    app = create_app(deps)
    direct = SlackEvents(app, SIGNING_SECRET, command=lambda body: commands.answer(deps, body))
    through_bolt = SlackEvents(app, SIGNING_SECRET)
    body = slash_command_body(text, channel=channel)
    answers = []
    for wsgi in (direct, through_bolt):
        with httpx.Client(transport=httpx.WSGITransport(app=wsgi), base_url="http://bot.invalid") as client:
            response = client.post("/slack/events", content=body, headers=signed_headers(body))
        answers.append((response.status_code, response.headers.get("content-type"), response.text))
    assert answers[0] == answers[1]
    assert answers[0][0] == 200 and answers[0][2]  # every one of these is answered, with text
    deps.background.shutdown()


def test_a_parent_redis_could_not_attach_says_so_and_shows_the_result_once_redis_is_back(
    redis_url: str, slack: SlackStandIn
) -> None:
    """Redis fails between the enqueue and storing where the parent is (here: it refuses GET to the
    bot's connection): the parent says `failed` at once rather than `running` forever, and once Redis
    answers, the bot's reaper attaches it and shows the report the job finished meanwhile."""
    settings = load_settings(
        {"redis_url": redis_url, "slack_api_url": slack.api_url, "slack_bot_token": BOT_TOKEN}
    )
    deps = build_deps(settings)
    deps.redis.execute_command("ACL", "SETUSER", "nogets", "on", "nopass", "~*", "&*", "+@all", "-get")
    no_gets = redis.Redis.from_url(redis_url.replace("redis://", "redis://nogets@"))
    email = unique_email("unattached")
    stored = StoredReport(Report(new_report_id(), email), channel="C0SUPPORT", ts="", requester="U0AGENT")
    save_new_report(deps.redis, stored, settings)
    starting.hand_over(replace(deps, redis=no_gets), stored, slack.hook_url("unattached"))

    parent = slack.message("C0SUPPORT", stored.ts)
    assert parent["metadata"]["event_payload"]["state"] == "failed"
    assert UNATTACHED_REASON.split(":")[0] in json.dumps(parent["blocks"])
    assert ReportStore(deps.redis).load(stored.report.report_id).ts == ""  # type: ignore[union-attr]
    # The job finishes while the bot cannot tell it where the parent is: it shows nothing.
    done = StoredReport.from_json(stored.to_json())
    done.ts, done.report.state, done.report.verdict = "", State.COMPLETE, Verdict.DELIVERED
    assert settle(deps.redis, stored.report.report_id, lambda current: with_parent(done, current)).won

    BotReaper(deps).reap_once()  # Redis answers the bot again

    shown = slack.message("C0SUPPORT", stored.ts)["metadata"]["event_payload"]
    assert shown["state"] == "complete" and shown["verdict"] == "delivered"
    assert ReportStore(deps.redis).load(stored.report.report_id).ts == stored.ts  # type: ignore[union-attr]
    assert deps.unattached.empty()
    deps.queue.empty()  # type: ignore[no-untyped-call]
    deps.background.shutdown()


def test_a_check_redis_would_not_queue_leaves_the_ledger_once_redis_is_back(
    redis_url: str, slack: SlackStandIn
) -> None:
    """Redis goes away between the bot's first write and the enqueue (here: it refuses the queue push
    and the ledger's ZREM to the bot's connection): nothing is posted, and once Redis answers again
    the bot's reaper takes the report out of the ledger, so no reaper fails what never started."""
    settings = load_settings(
        {"redis_url": redis_url, "slack_api_url": slack.api_url, "slack_bot_token": BOT_TOKEN}
    )
    deps = build_deps(settings)
    deps.redis.execute_command(
        "ACL", "SETUSER", "noqueue", "on", "nopass", "~*", "&*", "+@all", "-rpush", "-lpush", "-zrem"
    )
    refusing = redis.Redis.from_url(redis_url.replace("redis://", "redis://noqueue@"))
    email = unique_email("unqueued")
    stored = StoredReport(Report(new_report_id(), email), channel="C0SUPPORT", ts="", requester="U0AGENT")
    save_new_report(deps.redis, stored, settings)
    posts = len(slack.calls_of("chat.postMessage"))

    starting.hand_over(
        replace(deps, redis=refusing, queue=make_queue(refusing, settings)),
        stored,
        slack.hook_url("unqueued"),
    )

    assert len(slack.calls_of("chat.postMessage")) == posts  # nothing posted
    assert deps.redis.zscore(RUNNING_KEY, stored.report.report_id) is not None
    BotReaper(deps).reap_once()  # Redis answers the bot again
    assert deps.redis.zscore(RUNNING_KEY, stored.report.report_id) is None
    assert deps.unqueued.empty()
    deps.background.shutdown()
