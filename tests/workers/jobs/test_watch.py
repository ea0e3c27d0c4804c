"""One courier-watch round at a time, in-process, against real Redis, the Kratos, Slack, SMTP and DNS
stand-ins: what opens, updates, resolves and what is never posted (SPEC §11)."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis
from rq.registry import ScheduledJobRegistry

from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.providers import POSTMARK_ACCOUNT_TOKEN, ProviderStandIn, Smtp2goStandIn
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.smtp_server import SmtpStandin, make_pki
from tests.workers.providers.support import KEYS, STANDINS
from tests.workers.providers.worlds import Mail, hour, populate
from workers.clients import kratos as kratos_client
from workers.clients.alert_store import AlertStore
from workers.clients.keyspace import WATCH_OPEN_COUNTS_KEY
from workers.core.settings import Settings, load_settings
from workers.jobs.queueing import make_queue, schedule_watch
from workers.jobs.report import settings_from_env
from workers.jobs.watch import BUSY, one_round, run_round, shared_sightings
from workers.providers.account_watch import AccountLook
from workers.report.model import CheckResult, Status
from workers.slack.api import SlackPoster, web_client

_channels = itertools.count(1)
RECIPIENT = "ann.example@example.com"


@pytest.fixture(scope="module")
def relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpStandin]:
    with SmtpStandin(make_pki(tmp_path_factory.mktemp("pki")), mode="plain") as server:
        yield server


@pytest.fixture
def base(
    redis_url: str, slack: SlackStandIn, kratos: KratosStandIn, dns: DnsServer, relay: SmtpStandin
) -> dict[str, Any]:
    """The settings of these tests, as `load_settings` takes them."""
    kratos.reset()
    relay.handler.password = "relay-secret"
    return {
        "redis_url": redis_url,
        "slack_bot_token": BOT_TOKEN,
        "slack_api_url": slack.api_url,
        "kratos_admin_url": kratos.admin_url,
        "watch_channel": f"C0WATCH{next(_channels)}",
        "courier_smtp_connection_uri": relay.uri(),
        "courier_smtp_from_address": "no-reply@example.com",
        "dns_nameservers": dns.nameserver,
        "dns_timeout": 0.5,
        "dnsbl_zones": "",
        "dnsbl_domain_zones": "",
        "report_deadline": 8,
        "courier_flush_command": "true",
    }


@pytest.fixture
def settings(base: dict[str, Any]) -> Settings:
    return load_settings(base)


def _round(settings: Settings) -> dict[str, int]:
    connection = redis.Redis.from_url(settings.redis_url)
    return one_round(settings, AlertStore(connection), SlackPoster(web_client(settings)))


def _alerts(slack: SlackStandIn, settings: Settings) -> list[dict[str, Any]]:
    return [m for m in slack.channel_messages(settings.watch_channel or "") if not m["thread_ts"]]


def _replies(slack: SlackStandIn, settings: Settings) -> list[dict[str, Any]]:
    return [m for m in slack.channel_messages(settings.watch_channel or "") if m["thread_ts"]]


def _payload(message: dict[str, Any]) -> dict[str, Any]:
    assert message["metadata"]["event_type"] == "mailcheck_alert"
    payload: dict[str, Any] = message["metadata"]["event_payload"]
    return payload


def test_nothing_is_posted_while_healthy(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.add_message(RECIPIENT, status="sent", age_s=600)
    kratos.add_message(RECIPIENT, status="queued", age_s=5)  # young: on its way
    assert _round(settings) == {
        "courier_stuck": 0,
        "courier_abandoned": 0,
        "smtp_failing": 0,
        "sender_auth_broken": 0,
        "blocklisted": 0,
        "mailbox_provider_rejecting": 0,  # no provider API here: nothing to count, nothing opened
    }
    _round(settings)
    assert slack.channel_messages(settings.watch_channel or "") == []
    stored = redis.Redis.from_url(settings.redis_url).hgetall(WATCH_OPEN_COUNTS_KEY)
    assert stored[b"courier_stuck"] == b"0"


def test_stuck_courier_one_message_updated_in_place_then_resolved(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.add_message(RECIPIENT, status="queued", age_s=900)
    kratos.add_message(
        "bob@example.com", status="processing", age_s=900, dispatches=[("failed", "535 5.7.8 auth")]
    )
    assert _round(settings)["courier_stuck"] == 1
    _round(settings)
    [message] = _alerts(slack, settings)
    payload = _payload(message)
    assert payload["kind"] == "courier_stuck" and payload["state"] == "open" and payload["count"] == 2
    assert payload["instance"] == "kratos" and message["edits"] == 1
    text = str(message["blocks"])
    assert "*2* affected recipient(s)" in text and "refuses our credentials" in text
    assert RECIPIENT not in str(slack.channel_messages(settings.watch_channel or ""))
    assert "mailcheck.flush" in text and "mailcheck.rerun" in text
    kratos.run_courier("sent")
    kratos.reset()
    _round(settings)
    assert _payload(_alerts(slack, settings)[0])["state"] == "open"  # one clean round is not enough
    assert _round(settings)["courier_stuck"] == 0
    [message] = _alerts(slack, settings)
    assert _payload(message)["state"] == "resolved" and "Resolved" in message["text"]
    [reply] = _replies(slack, settings)
    assert "Resolved" in str(reply["blocks"]) and _payload(reply)["state"] == "resolved"


def test_a_refused_password_is_one_smtp_failing_alert_with_the_reply(
    settings: Settings, slack: SlackStandIn, relay: SmtpStandin
) -> None:
    relay.handler.password = "rotated-at-the-provider"
    _round(settings)
    _round(settings)
    [message] = _alerts(slack, settings)
    assert _payload(message)["kind"] == "smtp_failing"
    assert "535" in str(message["blocks"]) and "relay-secret" not in str(message)


def test_a_kratos_outage_is_one_error_line_never_a_resolve(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.add_message(RECIPIENT, status="queued", age_s=900)
    _round(settings)
    kratos.fail_with = 502
    try:
        for _ in range(3):
            _round(settings)
    finally:
        kratos.fail_with = None
    [message] = _alerts(slack, settings)
    assert _payload(message)["state"] == "open"
    [error] = _replies(slack, settings)
    assert "could not look" in str(error["blocks"]) and "502" in str(error["blocks"])
    assert "could not look" in str(message["blocks"])


def test_slack_rate_limits_never_double_an_alert(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.add_message(RECIPIENT, status="queued", age_s=900)
    slack.rate_limit("chat.postMessage", times=2, retry_after=1)
    _round(settings)
    slack.fail("chat.update", times=1, error="ratelimited")
    _round(settings)  # the update fails: the alert waits, pending, for the next round
    _round(settings)
    [message] = _alerts(slack, settings)
    assert _payload(message)["count"] == 3


def test_a_failed_first_post_is_posted_once_by_the_next_round(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.add_message(RECIPIENT, status="queued", age_s=900)
    slack.fail("chat.postMessage", times=1)
    _round(settings)
    assert _alerts(slack, settings) == []
    _round(settings)
    _round(settings)
    assert len(_alerts(slack, settings)) == 1


def test_the_whole_queue_is_listed_without_a_recipient_page_by_page(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    for index in range(520):
        kratos.add_message(f"user{index}@example.com", status="queued", age_s=900)
    _round(settings)
    listed = [target for method, target in kratos.requests if target.startswith("/admin/courier/messages?")]
    queued = [target for target in listed if "status=queued" in target]
    assert len(queued) == 2 and all("recipient" not in target for target in queued)
    assert "page_size=500" in queued[0] and "page_token=" in queued[1]
    [message] = _alerts(slack, settings)
    assert "*520* affected recipient(s)" in str(message["blocks"])


@pytest.fixture
def worker_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[None]:
    env = {
        "REDIS_URL": settings.redis_url,
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_API_URL": settings.slack_api_base,
        "KRATOS_ADMIN_URL": str(settings.kratos_admin_url),
        "WATCH_CHANNEL": settings.watch_channel or "",
        "WATCH_INTERVAL": "30",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    settings_from_env.cache_clear()
    yield
    settings_from_env.cache_clear()


def test_one_round_at_a_time(worker_env: None, settings: Settings, slack: SlackStandIn) -> None:
    store = AlertStore(redis.Redis.from_url(settings.redis_url))
    token = store.lock(60)
    assert token is not None
    try:
        assert run_round(trigger="button") == BUSY
    finally:
        store.unlock(token)
    assert slack.channel_messages(settings.watch_channel or "") == []


def test_each_slot_is_scheduled_once_whoever_asks(settings: Settings) -> None:
    queue = make_queue(redis.Redis.from_url(settings.redis_url), settings)
    first = schedule_watch(queue, settings, now=1_000_000.0)
    again = schedule_watch(queue, settings, now=1_000_001.0)
    assert first is not None and again is None
    assert ScheduledJobRegistry(queue=queue).get_job_ids() == [first.id]
    assert first.kwargs == {"trigger": "schedule"}


# ---- SPEC §16: the watch forgets nothing ------------------------------------------------------------


def test_mail_stuck_for_hours_still_counts_and_never_resolves_while_it_waits(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    """Stuck before the watch started, and older than any window: it opens and stays open."""
    kratos.add_message(RECIPIENT, status="queued", age_s=5 * 3600)
    kratos.add_message("bob@example.com", status="queued", age_s=3660)
    for _ in range(3):
        assert _round(settings)["courier_stuck"] == 1
    [message] = _alerts(slack, settings)
    payload = _payload(message)
    assert payload["state"] == "open" and payload["count"] == 3
    assert "*2* affected recipient(s)" in str(message["blocks"])
    assert "the oldest for 18000 s" in payload["detail"] or "the oldest for 1800" in payload["detail"]


def test_an_old_message_abandoned_now_is_counted_once(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    """Created three hours ago, abandoned after the last round: it counts, whatever its age, once."""
    old = kratos.add_message(RECIPIENT, status="processing", age_s=3 * 3600)
    kratos.add_message("long.ago@example.com", status="abandoned", age_s=6 * 3600)  # before the watch
    _round(settings)  # stuck (processing for hours), nothing abandoned since the first interval
    kratos.set_message_status(old["id"], "abandoned", add_dispatch=("failed", "535 5.7.8 auth failed"))
    _round(settings)
    _round(settings)
    abandoned = [m for m in _alerts(slack, settings) if _payload(m)["kind"] == "courier_abandoned"]
    [message] = abandoned
    assert _payload(message)["count"] == 1  # one message, counted in one round only
    assert "refuses our credentials" in str(message["blocks"])
    assert "mailcheck.flush" not in str(message["blocks"])  # Kratos never retries an abandoned message


def test_a_listing_that_reaches_its_cap_says_at_least(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kratos_client, "QUEUE_PAGES", 1)  # one page of 500: the real cap is 20 pages
    for index in range(502):
        kratos.add_message(f"user{index}@example.com", status="queued", age_s=900 + index)
    _round(settings)
    [message] = _alerts(slack, settings)
    detail = _payload(message)["detail"]
    assert detail.startswith("at least 500 message(s) for at least 500 recipient(s)")
    assert _payload(message)["count"] == 1  # the metadata keeps the integers it counted


def test_a_deleted_alert_message_is_posted_again(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.add_message(RECIPIENT, status="queued", age_s=900)
    _round(settings)
    [first] = _alerts(slack, settings)
    slack.delete_message(first["channel"], first["ts"])
    _round(settings)
    [again] = _alerts(slack, settings)
    assert again["ts"] != first["ts"] and _payload(again)["alert_id"] == _payload(first)["alert_id"]
    assert _payload(again)["count"] == 2
    _round(settings)
    assert len(_alerts(slack, settings)) == 1  # and updated in place from then on


def test_a_watch_channel_the_bot_cannot_post_to_is_reported(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    channel = settings.watch_channel or ""
    store = AlertStore(redis.Redis.from_url(settings.redis_url))
    kratos.add_message(RECIPIENT, status="queued", age_s=900)
    slack.not_in_channel.add(channel)
    try:
        _round(settings)
        assert store.post_problem() == "cannot post: not_in_channel"
    finally:
        slack.not_in_channel.discard(channel)
    _round(settings)
    assert store.post_problem() == "" and len(_alerts(slack, settings)) == 1


def test_alerts_of_an_instance_no_longer_configured_are_resolved_with_a_note(
    settings: Settings, slack: SlackStandIn, kratos: KratosStandIn
) -> None:
    kratos.add_message(RECIPIENT, status="queued", age_s=900)
    _round(settings)
    [old] = _alerts(slack, settings)
    assert _payload(old)["instance"] == "kratos"
    moved = settings.model_copy(update={"kratos_instances": f"ciam={kratos.admin_url}|{kratos.public_url}"})
    _round(moved)
    messages = {_payload(m)["instance"]: m for m in _alerts(slack, settings)}
    assert _payload(messages["kratos"])["state"] == "resolved"
    assert "no longer configured" in str(messages["kratos"]["blocks"])
    assert "mailcheck.flush" not in str(messages["kratos"]["blocks"])
    assert _payload(messages["ciam"])["state"] == "open"  # the same queue, now under its new name
    assert any("no longer configured" in str(r["blocks"]) for r in _replies(slack, settings))


# ---- SPEC §15: one mailbox provider refusing us; the sender domain at the provider ---------------------

OUTLOOK = ["outlook.com", "hotmail.com", "live.com", "hotmail.co.uk"]
FROM_DOMAIN = "example.com"  # of the settings' COURIER_SMTP_FROM_ADDRESS
LABELS = {"resend": "Resend", "postmark": "Postmark", "brevo": "Brevo", "smtp2go": "SMTP2GO"}


@pytest.fixture(params=sorted(STANDINS))
def provider(request: pytest.FixtureRequest) -> Iterator[tuple[str, ProviderStandIn]]:
    name = request.param
    with STANDINS[name](KEYS[name]) as api:
        api.set_domain(FROM_DOMAIN, "verified")
        yield name, api


def _with_provider(base: dict[str, Any], name: str, api: ProviderStandIn) -> Settings:
    return load_settings(
        {
            **base,
            "mail_provider": name,
            "mail_provider_api_key": KEYS[name],
            "mail_provider_api_url": api.url,
            "postmark_account_token": POSTMARK_ACCOUNT_TOKEN,
        }
    )


def _outlook_deferring(end: datetime) -> list[Mail]:
    """Outlook defers 10 of our 25 messages (40 %) with 4.7.650; Gmail takes all 60."""
    return hour(OUTLOOK, 25, deferred=10, end=end) + hour(["gmail.com", "googlemail.com"], 60, end=end)


def _next_minute(settings: Settings) -> None:
    """The provider's answers are cached for a minute: the next round asks again."""
    connection = redis.Redis.from_url(settings.redis_url)
    for key in connection.scan_iter("mailcheck:provider:cache:*"):
        connection.delete(key)


def _of_kind(slack: SlackStandIn, settings: Settings, kind: str) -> list[dict[str, Any]]:
    return [m for m in _alerts(slack, settings) if _payload(m)["kind"] == kind]


def test_outlook_deferring_40_percent_opens_one_alert_for_microsoft_none_for_google(
    base: dict[str, Any], slack: SlackStandIn, provider: tuple[str, ProviderStandIn]
) -> None:
    name, api = provider
    settings = _with_provider(base, name, api)
    populate(name, api, _outlook_deferring(datetime.now(UTC)), redis_url=settings.redis_url)
    assert _round(settings)["mailbox_provider_rejecting"] == 1
    [message] = _of_kind(slack, settings, "mailbox_provider_rejecting")
    payload, text = _payload(message), str(message["blocks"])
    assert payload["state"] == "open" and payload["instance"] == "kratos"
    assert payload["detail"] == (
        "Microsoft (Outlook.com / Microsoft 365) refused or deferred 10 of 25 messages in the last 1 h (40 %)."
    )
    assert "Gmail" not in text and "Google" not in text
    assert "most common reply from Microsoft (Outlook.com / Microsoft 365) (10×): 451 4.7.650" in text
    assert "→ rate_limited — rate limiting (our side): " in text
    assert "*10* message(s) refused or deferred in the last hour" in text
    assert "person." not in json.dumps(slack.channel_messages(settings.watch_channel or ""))


def test_below_the_fail_line_it_stays_open_and_below_warn_it_resolves_after_two_rounds(
    base: dict[str, Any], slack: SlackStandIn
) -> None:
    with Smtp2goStandIn(KEYS["smtp2go"]) as api:
        api.set_domain(FROM_DOMAIN, "verified")
        settings = _with_provider(base, "smtp2go", api)
        now = datetime.now(UTC)
        populate("smtp2go", api, _outlook_deferring(now))
        _round(settings)
        populate("smtp2go", api, hour(OUTLOOK, 25, end=now))  # 10 of 50: 20 %, between the lines
        for _ in range(3):
            _next_minute(settings)
            assert _round(settings)["mailbox_provider_rejecting"] == 1
        populate("smtp2go", api, hour(OUTLOOK, 55, end=now))  # 10 of 105: under 10 %
        _next_minute(settings)
        assert _round(settings)["mailbox_provider_rejecting"] == 1  # one clean round is not enough
        _next_minute(settings)
        assert _round(settings)["mailbox_provider_rejecting"] == 0
    [message] = _of_kind(slack, settings, "mailbox_provider_rejecting")
    payload = _payload(message)
    assert payload["state"] == "resolved" and payload["count"] == 4  # the opening round and 3 holding
    assert "refused or deferred 10 of 50 messages" in payload["detail"]  # the last round above the line
    assert any("under the warning line" in str(r["blocks"]) for r in _replies(slack, settings))


def test_a_provider_that_cannot_be_asked_is_an_error_line_never_an_opening(
    base: dict[str, Any], slack: SlackStandIn
) -> None:
    with Smtp2goStandIn(KEYS["smtp2go"]) as api:
        api.set_domain(FROM_DOMAIN, "verified")
        settings = _with_provider(base, "smtp2go", api)
        api.fail(503, times=1000)
        assert _round(settings)["mailbox_provider_rejecting"] == 0  # nothing opened by an outage
        api.clear_faults()
        populate("smtp2go", api, _outlook_deferring(datetime.now(UTC)))
        _next_minute(settings)
        _round(settings)
        api.fail(503, times=1000)
        for _ in range(3):
            _next_minute(settings)
            assert _round(settings)["mailbox_provider_rejecting"] == 1  # never resolved by the outage
    [message] = _of_kind(slack, settings, "mailbox_provider_rejecting")
    assert _payload(message)["state"] == "open"
    assert "could not look" in str(message["blocks"]) and "SMTP2GO API is failing (503)" in str(
        message["blocks"]
    )
    assert _of_kind(slack, settings, "sender_auth_broken") == []  # an unreadable domain opens nothing


def test_a_sender_domain_unverified_at_the_provider_opens_sender_auth_broken(
    base: dict[str, Any], slack: SlackStandIn
) -> None:
    with Smtp2goStandIn(KEYS["smtp2go"]) as api:
        api.set_domain(FROM_DOMAIN, "pending")
        settings = _with_provider(base, "smtp2go", api)
        assert _round(settings)["sender_auth_broken"] == 1
        [message] = _of_kind(slack, settings, "sender_auth_broken")
        detail, text = _payload(message)["detail"], str(message["blocks"])
        assert detail.startswith(f"SMTP2GO has not verified the sender domain {FROM_DOMAIN} (SMTP2GO says ")
        assert "sender_domain_unverified: " in text and "re-verify the domain" in text
        api.set_domain(FROM_DOMAIN, "verified")
        for _ in range(2):
            _next_minute(settings)
            _round(settings)
    [message] = _of_kind(slack, settings, "sender_auth_broken")
    assert _payload(message)["state"] == "resolved"


def test_a_provider_that_does_not_answer_in_time_leaves_both_of_its_kinds_unlooked() -> None:
    checks = {name: CheckResult(Status.OK, "fine") for name in ("smtp", "sender_auth", "blocklists")}
    note = "SMTP2GO did not answer within 13 s"
    sightings = {s.kind: s for s in shared_sightings(checks, AccountLook.unanswered("SMTP2GO", note))}
    assert sightings["sender_auth_broken"].seen is None and sightings["sender_auth_broken"].error == note
    assert sightings["mailbox_provider_rejecting"].seen is None
    assert sightings["mailbox_provider_rejecting"].error == note
    unasked = {s.kind: s for s in shared_sightings(checks, "MAIL_PROVIDER_API_KEY is not set")}
    assert unasked["sender_auth_broken"].seen is False  # no provider configured is no outage
