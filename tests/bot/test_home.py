"""The App Home tab (SPEC §17) through a running bot and worker: signed `app_home_opened` events and Home
button presses, views.publish and views.open checked by the Slack stand-in and slack_sdk's models, the
courier listed through two Kratos stand-ins (counted), the viewer's own checks from a real Redis."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
import redis
from rq import Queue, Worker
from slack_bolt.request import BoltRequest

from bot.app import build_deps, create_app
from tests.bot.views import opened_view, valid_view
from tests.processes import Process, base_settings, mailcheck_env, start_bot
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import (
    JSON,
    SIGNING_SECRET,
    app_home_opened,
    block_actions_in_view_payload,
    event_body,
    post_event,
    post_interaction,
    post_signed,
    signed_headers,
)
from workers.clients.alert_store import AlertStore
from workers.clients.history import remember_report
from workers.clients.keyspace import HOME_ASKED_KEY, HOME_COURIER_KEY, HOME_LISTING_KEY, HOME_WAITING_KEY
from workers.clients.store import StoredReport
from workers.core.settings import load_settings
from workers.report.alerts import COURIER_STUCK, Alert
from workers.report.model import Report, State, Verdict, new_report_id
from workers.slack.ids import BlockId, ElementId

QUEUE = "mailcheck-home-tests"
WATCH = "C0ALERTS"
DAYS = 30


@dataclass
class HomeStack:
    url: str
    redis: redis.Redis
    ciam: KratosStandIn
    iam: KratosStandIn


@pytest.fixture(scope="module")
def home(
    slack: SlackStandIn, kratos: KratosStandIn, dns: DnsServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HomeStack]:
    """A bot and a worker of their own (Redis, queue), with the courier watch on and two Kratos instances."""
    server = RedisServer().start()
    iam = KratosStandIn().start()
    settings = base_settings(server.url, slack, kratos, dns)
    settings.update(
        MAILCHECK_QUEUE=QUEUE,
        WATCH_CHANNEL=WATCH,
        KRATOS_INSTANCES=f"ciam={kratos.admin_url}|{kratos.public_url},iam={iam.admin_url}|{iam.public_url}",
    )
    logs = tmp_path_factory.mktemp("home")
    worker = Process(["worker"], mailcheck_env(**settings), logs / "worker.log")
    bot, url = start_bot(mailcheck_env(**settings), logs)
    queue = Queue(QUEUE, connection=server.client())
    slack.wait_for(lambda: Worker.all(queue=queue), timeout=20)  # Home refreshes only while one runs
    try:
        yield HomeStack(url, server.client(), kratos, iam)
    finally:
        bot.stop()
        worker.stop()
        iam.stop()
        server.stop()


@pytest.fixture
def fresh(home: HomeStack) -> HomeStack:
    """No courier status in Redis yet, nobody waiting, and both Kratos stand-ins with an empty log."""
    home.redis.delete(HOME_COURIER_KEY, HOME_LISTING_KEY, HOME_ASKED_KEY, HOME_WAITING_KEY)
    home.ciam.reset()
    home.iam.reset()
    return home


def listings(kratos: KratosStandIn, status: str) -> int:
    return sum(
        1
        for method, path in kratos.requests
        if path.startswith("/admin/courier/messages?") and f"status={status}" in path
    )


def remember(
    connection: redis.Redis, slack: SlackStandIn, requester: str, email: str, channel: str, **kw: Any
) -> str:
    """A settled report in Redis's history as the worker writes it; its message in Slack unless `gone`."""
    gone = kw.pop("gone", False)
    ts = f"{time.time():.6f}" if gone else slack.add_message(channel, f"report {email}", user="U0BOT")
    report = Report(new_report_id(), email, state=State.COMPLETE, verdict=Verdict.DELIVERED)
    stored = StoredReport(report, channel, ts, requester, private=kw.pop("private", False))
    remember_report(connection, stored, days=DAYS)
    time.sleep(0.002)  # newest first is by time
    return ts


def open_home(url: str, viewer: str, **options: Any) -> None:
    response = post_event(url, app_home_opened(viewer, **options))
    assert response.status_code == 200


def published(
    slack: SlackStandIn, viewer: str, *, containing: str = "", timeout: float = 15
) -> dict[str, Any]:
    def shown() -> dict[str, Any] | None:
        view = slack.home_view(viewer)
        return view if view is not None and containing in json.dumps(view["blocks"]) else None

    view: dict[str, Any] = slack.wait_for(shown, timeout)
    valid_view({k: view[k] for k in ("type", "blocks")})
    return view


def test_home_shows_the_open_alerts_the_courier_and_only_the_viewers_own_checks(
    fresh: HomeStack, slack: SlackStandIn
) -> None:
    alert_ts = slack.add_message(WATCH, "alert", user="U0BOT")
    now = time.time()
    alert = Alert(
        "alert-0123456789abcdef",
        "ciam",
        COURIER_STUCK,
        now - 600,
        now,
        count=5,
        affected=12,
        channel=WATCH,
        ts=alert_ts,
    )
    AlertStore(fresh.redis).save(alert, pending=False)
    fresh.ciam.add_message("stuck@example.com", status="queued", age_s=900)
    viewer, other = "U0VIEWER1", "U0OTHER1"
    public_ts = remember(fresh.redis, slack, viewer, "mine-public@example.com", "C0SUPPORT")
    private_ts = remember(fresh.redis, slack, viewer, "mine-private@example.com", "G0PRIVATE", private=True)
    remember(fresh.redis, slack, viewer, "mine-deleted@example.com", "C0SUPPORT", gone=True)
    remember(fresh.redis, slack, other, "theirs-private@example.com", "G0PRIVATE", private=True)
    remember(fresh.redis, slack, other, "theirs-public@example.com", "C0SUPPORT")

    open_home(fresh.url, viewer)

    first = published(slack, viewer)  # at once, from Redis: the courier is still being read
    view = published(slack, viewer, containing="queued (oldest")  # then again, once the worker read it
    text = json.dumps(view["blocks"])
    assert "mine-public@example.com" in text and "mine-private@example.com" in text
    assert "theirs" not in text  # another user's checks, public or private, never
    assert f"/archives/C0SUPPORT/p{public_ts.replace('.', '')}" in text
    assert f"/archives/G0PRIVATE/p{private_ts.replace('.', '')}" in text
    assert ":lock: private conversation" in text and "message deleted" in text
    assert "Kratos's courier is stuck" in text and f"/archives/{WATCH}/p{alert_ts.replace('.', '')}" in text
    assert "*ciam*" in text and "*iam*" in text
    views = [c.body["view"] for c in slack.calls_of("views.publish") if c.body["user_id"] == viewer]
    assert "a worker is reading the courier" in json.dumps(views[0]["blocks"])  # Home did not wait for it
    assert first["blocks"] == views[0]["blocks"]


def test_the_courier_is_listed_once_a_minute_however_many_open_home(
    fresh: HomeStack, slack: SlackStandIn
) -> None:
    fresh.ciam.add_message("a@example.com", status="queued", age_s=30)
    fresh.iam.add_message("b@example.com", status="processing", age_s=30)
    viewers = [f"U0CROWD{i:02d}" for i in range(20)]

    with ThreadPoolExecutor(20) as pool:
        list(pool.map(lambda viewer: open_home(fresh.url, viewer), viewers))

    for viewer in viewers:  # every viewer ends up with the status, whether early or late
        published(slack, viewer, containing="queued (oldest")
    for viewer in viewers[:5]:  # and opening Home again within the minute reads Kratos no more
        open_home(fresh.url, viewer)
    time.sleep(1.0)
    for kratos in (fresh.ciam, fresh.iam):
        assert [listings(kratos, status) for status in ("queued", "processing", "abandoned")] == [1, 1, 1]


def test_the_home_button_opens_the_check_modal_for_the_viewers_last_channel(
    fresh: HomeStack, slack: SlackStandIn
) -> None:
    viewer = "U0BUTTON1"
    remember(fresh.redis, slack, viewer, "older@example.com", "C0OPS")
    remember(fresh.redis, slack, viewer, "newest@example.com", "G0NOTALLOWED", private=True)
    open_home(fresh.url, viewer)
    view = published(slack, viewer, containing="newest@example.com")
    [button] = [b["accessory"] for b in view["blocks"] if b.get("block_id") == BlockId.HOME]
    assert button["action_id"] == ElementId.OPEN_CHECK_MODAL and button["style"] == "primary"
    assert button["value"] == "C0OPS"  # the newest check's channel is not in MAILCHECK_CHANNELS

    trigger_id = slack.issue_trigger(view_id=view["id"])
    payload = block_actions_in_view_payload(
        ElementId.OPEN_CHECK_MODAL, view=view, value=button["value"], user=viewer, trigger_id=trigger_id
    )
    assert post_interaction(fresh.url, payload).status_code == 200

    modal = opened_view(slack, trigger_id)
    picker = next(b for b in modal["blocks"] if b.get("block_id") == BlockId.CHANNEL)["element"]
    assert picker["initial_conversation"] == "C0OPS"


def test_the_messages_tab_publishes_nothing(fresh: HomeStack, slack: SlackStandIn) -> None:
    publishes = len(slack.calls_of("views.publish"))
    open_home(fresh.url, "U0MESSAGES", tab="messages")
    time.sleep(0.5)
    assert len(slack.calls_of("views.publish")) == publishes
    assert slack.home_view("U0MESSAGES") is None


def _dispatch_home(redis_url: str, slack: SlackStandIn, viewer: str) -> None:
    deps = build_deps(
        load_settings(
            {
                "redis_url": redis_url,
                "slack_api_url": slack.api_url,
                "slack_bot_token": BOT_TOKEN,
                "slack_signing_secret": SIGNING_SECRET,
            }
        )
    )
    body = event_body(app_home_opened(viewer))
    headers: dict[str, str | Sequence[str]] = {
        k.lower(): [v] for k, v in signed_headers(body, content_type=JSON).items()
    }
    assert create_app(deps).dispatch(BoltRequest(body=body, headers=headers)).status == 200
    deps.background.shutdown()  # waits for the publish


def test_without_a_worker_home_says_why_the_courier_is_missing(redis_url: str, slack: SlackStandIn) -> None:
    _dispatch_home(redis_url, slack, "U0NOWORKER")
    view = published(slack, "U0NOWORKER")
    assert "no `mailcheck worker` is running" in json.dumps(view["blocks"])
    assert redis.Redis.from_url(redis_url).llen(f"rq:queue:{load_settings({}).mailcheck_queue}") == 0


def test_with_redis_unreachable_home_still_offers_the_button(slack: SlackStandIn) -> None:
    _dispatch_home("redis://127.0.0.1:1/0", slack, "U0NOREDIS")
    view = published(slack, "U0NOREDIS")
    text = json.dumps(view["blocks"])
    assert "cannot read its Redis" in text and ElementId.OPEN_CHECK_MODAL in text


def test_the_event_subscriptions_url_answers_slacks_challenge(bot: str) -> None:
    """HTTP mode: Slack checks the Events request URL once, with a signed `url_verification`."""
    challenge = {
        "token": "deprecated",
        "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
        "type": "url_verification",
    }
    response = post_signed(bot, json.dumps(challenge), content_type=JSON)
    assert response.status_code == 200
    assert response.json() == {"challenge": challenge["challenge"]}
