"""The Slack stand-in's newer surfaces, as a real slack_sdk WebClient and a real Bolt app see them:
history and replies paging, conversations.info, views and trigger_ids, ephemerals, transport faults,
and the signed interaction/event payload builders."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import payload_utils
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.standins.slack import BOT_TOKEN, TRIGGER_TTL_S, SlackStandIn, encode_cursor
from tests.standins.slack_requests import (
    SIGNING_SECRET,
    app_home_opened,
    block_actions_in_view_payload,
    conversation_value,
    message_action_payload,
    plain_text_value,
    post_event,
    post_interaction,
    shortcut_payload,
    view_submission_payload,
)

CHANNEL = "C0HISTORY"
REPORT = {"event_type": "mailcheck_report", "event_payload": {"report_id": "r-1", "state": "complete"}}
MODAL = {
    "type": "modal",
    "callback_id": "mailcheck.check_modal",
    "title": {"type": "plain_text", "text": "Check an email address"},
    "submit": {"type": "plain_text", "text": "Check"},
    "close": {"type": "plain_text", "text": "Cancel"},
    "private_metadata": "C0SUPPORT",
    "blocks": [
        {
            "type": "input",
            "block_id": "email",
            "label": {"type": "plain_text", "text": "Email address"},
            "element": {"type": "plain_text_input", "action_id": "value"},
        }
    ],
}
HOME = {"type": "home", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*mailcheck*"}}]}


@pytest.fixture
def standin() -> Iterator[SlackStandIn]:
    server = SlackStandIn().start()
    yield server
    server.stop()


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    """No retry handlers: each fault reaches the caller as it happened (the bot sets its own too)."""
    return WebClient(token=BOT_TOKEN, base_url=standin.api_url, timeout=2, retry_handlers=[])


def _post(client: WebClient, text: str, **extra: Any) -> str:
    return str(client.chat_postMessage(channel=CHANNEL, text=text, **extra)["ts"])


def _error(call: Any) -> str:
    with pytest.raises(SlackApiError) as caught:
        call()
    return str(caught.value.response["error"])


# -- conversations.history ----------------------------------------------------------------------------
def test_history_pages_top_level_messages_newest_first(standin: SlackStandIn, client: WebClient) -> None:
    posted = [_post(client, f"message {n}", metadata=REPORT) for n in range(5)]
    _post(client, "a reply stays in its thread", thread_ts=posted[0])
    seen: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        page = client.conversations_history(channel=CHANNEL, limit=2, cursor=cursor)
        pages += 1
        seen += page["messages"]
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        assert page["has_more"] is bool(cursor)
        if not cursor:
            break
    assert pages == 3
    assert [m["ts"] for m in seen] == list(reversed(posted))
    assert all(m["type"] == "message" and m["bot_id"] == "B0BOT" and m["user"] == "U0BOT" for m in seen)
    parent = seen[-1]
    assert parent["thread_ts"] == posted[0] and parent["reply_count"] == 1


def test_history_carries_metadata_only_with_include_all_metadata(
    standin: SlackStandIn, client: WebClient
) -> None:
    ts = _post(client, "report", metadata=REPORT)
    [plain] = client.conversations_history(channel=CHANNEL)["messages"]
    [full] = client.conversations_history(channel=CHANNEL, include_all_metadata=True)["messages"]
    assert plain["ts"] == full["ts"] == ts
    assert "metadata" not in plain
    assert full["metadata"] == REPORT


def test_history_window_is_exclusive_unless_inclusive(standin: SlackStandIn, client: WebClient) -> None:
    first, middle, last = (_post(client, name) for name in ("first", "middle", "last"))
    exclusive = client.conversations_history(channel=CHANNEL, oldest=first, latest=last)["messages"]
    inclusive = client.conversations_history(channel=CHANNEL, oldest=first, latest=last, inclusive=True)
    assert [m["ts"] for m in exclusive] == [middle]
    assert [m["ts"] for m in inclusive["messages"]] == [last, middle, first]


def test_history_shows_who_posted(standin: SlackStandIn, client: WebClient) -> None:
    mine = _post(client, "from the bot")
    theirs = standin.add_message(CHANNEL, "from a person", user="U0CUSTOMER")
    by_ts = {m["ts"]: m for m in client.conversations_history(channel=CHANNEL)["messages"]}
    assert by_ts[mine]["bot_id"] == "B0BOT"
    assert by_ts[theirs]["user"] == "U0CUSTOMER" and "bot_id" not in by_ts[theirs]
    stored = standin.message(CHANNEL, mine)  # the keys tests already read are all still there
    assert {"ts", "channel", "text", "blocks", "metadata", "thread_ts", "edits"} <= stored.keys()


def test_history_errors(standin: SlackStandIn, client: WebClient) -> None:
    standin.unknown_channels.add("C0GONE")
    standin.not_in_channel.add("C0OUTSIDE")
    standin.history_denied.add("D0SECRET")
    assert _error(lambda: client.conversations_history(channel="C0GONE")) == "channel_not_found"
    assert _error(lambda: client.conversations_history(channel="C0OUTSIDE")) == "not_in_channel"
    with pytest.raises(SlackApiError) as denied:
        client.conversations_history(channel="D0SECRET")
    assert denied.value.response["error"] == "missing_scope"
    assert denied.value.response["needed"] == "im:history"
    assert (
        _error(lambda: client.conversations_history(channel=CHANNEL, cursor="not-a-cursor"))
        == "invalid_cursor"
    )


def test_history_with_the_real_clock_finds_a_post_around_its_time(
    standin: SlackStandIn, client: WebClient
) -> None:
    standin.ts_clock = time.time
    before = time.time()
    ts = _post(client, "now")
    found = client.conversations_history(
        channel=CHANNEL, oldest=f"{before - 60:.6f}", latest=f"{time.time() + 60:.6f}"
    )
    assert [m["ts"] for m in found["messages"]] == [ts]
    assert abs(float(ts) - before) < 5


def test_methods_answer_get_with_a_query_string(standin: SlackStandIn, client: WebClient) -> None:
    ts = _post(client, "over GET")
    answer = httpx.get(
        f"{standin.api_url}conversations.history?channel={CHANNEL}&limit=1",
        headers={"Authorization": f"Bearer {BOT_TOKEN}"},
    ).json()
    assert answer["ok"] is True and [m["ts"] for m in answer["messages"]] == [ts]


# -- conversations.replies ------------------------------------------------------------------------------
def test_replies_are_the_parent_then_replies_oldest_first(standin: SlackStandIn, client: WebClient) -> None:
    parent = _post(client, "parent", metadata=REPORT)
    _post(client, "elsewhere")
    replies = [_post(client, f"reply {n}", thread_ts=parent) for n in range(3)]
    thread = client.conversations_replies(channel=CHANNEL, ts=parent, include_all_metadata=True)["messages"]
    assert [m["ts"] for m in thread] == [parent, *replies]
    assert thread[0]["metadata"] == REPORT and thread[0]["reply_count"] == 3
    assert all(m["thread_ts"] == parent and m["parent_user_id"] == "U0BOT" for m in thread[1:])
    # A reply's ts names the same thread; paging keeps the order.
    first = client.conversations_replies(channel=CHANNEL, ts=replies[1], limit=2)
    rest = client.conversations_replies(
        channel=CHANNEL, ts=parent, limit=2, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["ts"] for m in first["messages"] + rest["messages"]] == [parent, *replies]
    assert first["has_more"] is True and rest["has_more"] is False


def test_replies_of_a_missing_parent(standin: SlackStandIn, client: WebClient) -> None:
    parent = _post(client, "soon deleted")
    standin.delete_message(CHANNEL, parent)
    assert _error(lambda: client.conversations_replies(channel=CHANNEL, ts=parent)) == "thread_not_found"
    cursor = encode_cursor("1.000000")
    assert client.conversations_history(channel=CHANNEL, cursor=cursor)["messages"] == []


# -- conversations.info ------------------------------------------------------------------------------------
def test_conversations_info_defaults_and_programmed_answers(standin: SlackStandIn, client: WebClient) -> None:
    public = client.conversations_info(channel="C0SUPPORT")["channel"]
    im = client.conversations_info(channel="D0AGENT")["channel"]
    group = client.conversations_info(channel="G0LEGACY")["channel"]
    assert (public["is_channel"], public["is_private"], public["name"]) == (True, False, "c0support")
    assert im["is_im"] is True and im["is_private"] is True and "name" not in im
    assert group["is_group"] is True and group["is_private"] is True and group["is_channel"] is False
    standin.set_conversation("C0PRIVATE", "private", name="incidents")
    standin.set_conversation("C0MPIM", "mpim")
    private = client.conversations_info(channel="C0PRIVATE")["channel"]
    assert private["is_private"] is True and private["name"] == "incidents"
    assert client.conversations_info(channel="C0MPIM")["channel"]["is_mpim"] is True
    standin.unknown_channels.add("C0GONE")
    assert _error(lambda: client.conversations_info(channel="C0GONE")) == "channel_not_found"


# -- views and trigger_ids ---------------------------------------------------------------------------------
def test_views_open_returns_the_view_and_records_the_trigger_latency(
    standin: SlackStandIn, client: WebClient
) -> None:
    trigger = standin.issue_trigger()
    view = client.views_open(trigger_id=trigger, view=MODAL)["view"]
    assert view["id"].startswith("V") and view["hash"] and view["callback_id"] == "mailcheck.check_modal"
    assert standin.view(view["id"])["private_metadata"] == "C0SUPPORT"
    assert standin.opened_views("mailcheck.check_modal")[0]["id"] == view["id"]
    [latency] = standin.trigger_latencies()
    assert 0 <= latency < TRIGGER_TTL_S == 3.0


def test_a_trigger_is_single_use_and_expires(standin: SlackStandIn, client: WebClient) -> None:
    trigger = standin.issue_trigger()
    client.views_open(trigger_id=trigger, view=MODAL)
    assert _error(lambda: client.views_open(trigger_id=trigger, view=MODAL)) == "exchanged_trigger_id"
    assert _error(lambda: client.views_open(trigger_id="1.2.abc", view=MODAL)) == "invalid_trigger_id"
    standin.trigger_ttl_s = 0.2
    late = standin.issue_trigger()
    time.sleep(0.3)
    assert _error(lambda: client.views_open(trigger_id=late, view=MODAL)) == "expired_trigger_id"
    assert len(standin.trigger_latencies()) == 2 and standin.trigger_latencies()[1] >= 0.3
    assert len(standin.views) == 1


@pytest.mark.parametrize(
    ("change", "pointer"),
    [
        ({"title": {"type": "plain_text", "text": "x" * 25}}, "/view/title/text"),
        ({"submit": {"type": "plain_text", "text": "x" * 25}}, "/view/submit/text"),
        ({"close": {"type": "plain_text", "text": "x" * 25}}, "/view/close/text"),
        ({"title": {"type": "mrkdwn", "text": "*Check*"}}, "/view/title"),
        ({"blocks": [{"type": "divider"}] * 101}, "/view/blocks"),
        ({"callback_id": "x" * 256}, "/view/callback_id"),
        ({"private_metadata": "x" * 3001}, "/view/private_metadata"),
        ({"submit": None}, "/view/blocks/0/input"),
    ],
)
def test_views_open_refuses_what_slack_refuses(
    standin: SlackStandIn, client: WebClient, change: dict[str, Any], pointer: str
) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id=standin.issue_trigger(), view={**MODAL, **change})
    assert caught.value.response["error"] == "invalid_arguments"
    messages = caught.value.response["response_metadata"]["messages"]
    assert any(f"[json-pointer:{pointer}]" in m for m in messages), messages
    assert standin.views == {} and standin.trigger_latencies() == []


def test_views_update_push_and_publish(standin: SlackStandIn, client: WebClient) -> None:
    opened = client.views_open(trigger_id=standin.issue_trigger(), view={**MODAL, "external_id": "ext-1"})[
        "view"
    ]
    changed = {**MODAL, "title": {"type": "plain_text", "text": "Pick an address"}}
    updated = client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)["view"]
    assert updated["id"] == opened["id"] and updated["title"]["text"] == "Pick an address"
    assert (
        _error(lambda: client.views_update(view_id=opened["id"], hash=opened["hash"], view=MODAL))
        == "hash_conflict"
    )
    assert client.views_update(external_id="ext-1", view=MODAL)["view"]["id"] == opened["id"]
    assert _error(lambda: client.views_update(view_id="V0NOPE", view=MODAL)) == "not_found"
    pushed = client.views_push(trigger_id=standin.issue_trigger(view_id=opened["id"]), view=MODAL)["view"]
    assert pushed["previous_view_id"] == opened["id"] and pushed["root_view_id"] == opened["id"]

    home = client.views_publish(user_id="U0AGENT", view=HOME)["view"]
    assert standin.home_view("U0AGENT") == home and standin.home_view("U0OTHER") is None
    again = client.views_publish(user_id="U0AGENT", view=HOME, hash=home["hash"])["view"]
    assert again["id"] == home["id"] and again["hash"] != home["hash"]
    assert (
        _error(lambda: client.views_publish(user_id="U0AGENT", view=HOME, hash=home["hash"]))
        == "hash_conflict"
    )
    assert _error(lambda: client.views_publish(user_id="U0AGENT", view=MODAL)) == "invalid_arguments"
    many = {**HOME, "blocks": [{"type": "divider"}] * 101}
    assert _error(lambda: client.views_publish(user_id="U0AGENT", view=many)) == "invalid_arguments"


# -- chat.postEphemeral ------------------------------------------------------------------------------------
def test_post_ephemeral_is_recorded_not_posted(standin: SlackStandIn, client: WebClient) -> None:
    answer = client.chat_postEphemeral(channel="C0SUPPORT", user="U0AGENT", text="no email address here")
    [shown] = standin.ephemerals_for("U0AGENT")
    assert shown["text"] == "no email address here" and shown["message_ts"] == answer["message_ts"]
    assert standin.channel_messages("C0SUPPORT") == []


# -- transport faults --------------------------------------------------------------------------------------
def test_drop_after_lands_the_post_but_the_client_gets_no_answer(
    standin: SlackStandIn, client: WebClient
) -> None:
    standin.drop_after("chat.postMessage", 1)
    with pytest.raises(ConnectionError) as caught:
        client.chat_postMessage(channel=CHANNEL, text="landed", metadata=REPORT)
    assert isinstance(caught.value, http.client.RemoteDisconnected)
    [message] = standin.channel_messages(CHANNEL)
    assert message["text"] == "landed" and len(standin.calls_of("chat.postMessage")) == 1
    assert _post(client, "the next one is answered")  # consumed: one call only


def test_default_sdk_retry_reposts_a_dropped_post(standin: SlackStandIn) -> None:
    """slack_sdk's default ConnectionErrorRetryHandler retries once: a dropped post appears twice."""
    default_client = WebClient(token=BOT_TOKEN, base_url=standin.api_url, timeout=2)
    standin.drop_after("chat.postMessage", 1)
    default_client.chat_postMessage(channel=CHANNEL, text="twice")
    assert [m["text"] for m in standin.channel_messages(CHANNEL)] == ["twice", "twice"]


def test_hang_after_lands_the_post_and_the_client_times_out(standin: SlackStandIn) -> None:
    impatient = WebClient(token=BOT_TOKEN, base_url=standin.api_url, timeout=0.5, retry_handlers=[])
    standin.hang_after("chat.postMessage", 1, seconds=30)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel=CHANNEL, text="landed, unanswered")
    assert time.monotonic() - started < 5
    assert [m["text"] for m in standin.channel_messages(CHANNEL)] == ["landed, unanswered"]


def test_reset_before_applies_nothing(standin: SlackStandIn, client: WebClient) -> None:
    standin.reset_before("chat.postMessage", 1)
    with pytest.raises(ConnectionError):
        client.chat_postMessage(channel=CHANNEL, text="never")
    assert standin.channel_messages(CHANNEL) == []
    assert standin.calls_of("chat.postMessage") == []
    assert [c.body["text"] for c in standin.refused_of("chat.postMessage")] == ["never"]


@pytest.mark.parametrize("landed", [False, True])
def test_http_error_is_an_html_5xx(standin: SlackStandIn, client: WebClient, landed: bool) -> None:
    standin.http_error("chat.postMessage", 1, status=503, landed=landed)
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel=CHANNEL, text="maybe")
    assert caught.value.response.status_code == 503
    assert "non-JSON" in caught.value.response["error"]
    assert len(standin.channel_messages(CHANNEL)) == (1 if landed else 0)
    assert len(standin.refused_of("chat.postMessage")) == (0 if landed else 1)
    assert [f.kind for f in standin.faults] == ["http_error"]


def test_faults_are_per_method(standin: SlackStandIn, client: WebClient) -> None:
    standin.reset_before("chat.update", 1)
    ts = _post(client, "posted")
    with pytest.raises(ConnectionError):
        client.chat_update(channel=CHANNEL, ts=ts, text="edited")
    assert standin.message(CHANNEL, ts)["edits"] == 0


def test_stop_does_not_wait_for_a_hung_connection() -> None:
    server = SlackStandIn().start()
    server.hang_after("chat.postMessage", 1, seconds=60)
    impatient = WebClient(token=BOT_TOKEN, base_url=server.api_url, timeout=0.3, retry_handlers=[])
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel=CHANNEL, text="held")
    assert server.open_connections() == 1
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 2 and server.open_connections() == 0


# -- signed interaction and event payloads, through a real Bolt app ---------------------------------------
class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def bolt(standin: SlackStandIn) -> Iterator[tuple[str, dict[str, list[Any]]]]:
    """A Bolt app over HTTP whose Web API is the stand-in; yields its base URL and what it received."""
    seen: dict[str, list[Any]] = {}
    app = App(
        client=WebClient(token=BOT_TOKEN, base_url=standin.api_url, retry_handlers=[]),
        signing_secret=SIGNING_SECRET,
        process_before_response=True,
    )

    @app.shortcut("mailcheck.check_message")
    def message_shortcut(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        ack()
        seen.setdefault("message_action", []).append(body)
        client.views_open(trigger_id=body["trigger_id"], view=MODAL)

    @app.shortcut("mailcheck.check_modal")
    def global_shortcut(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen.setdefault("shortcut", []).append(body)

    @app.view("mailcheck.check_modal")
    def submitted(ack: Ack, view: dict[str, Any]) -> None:
        values = view["state"]["values"]
        seen.setdefault("view_submission", []).append(values)
        if "@" not in (values["email"]["value"]["value"] or ""):
            ack(response_action="errors", errors={"email": "That is not an email address."})
        else:
            ack()

    @app.action("mailcheck.home_check")
    def pressed(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen.setdefault("block_actions", []).append(body)

    @app.event("app_home_opened")
    def home(event: dict[str, Any], client: WebClient) -> None:
        seen.setdefault("app_home_opened", []).append(event)
        client.views_publish(user_id=event["user"], view=HOME)

    server: WSGIServer = make_server("127.0.0.1", 0, SlackRequestHandler(app), handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", seen
    server.shutdown()
    server.server_close()


def test_message_shortcut_reaches_bolt_and_its_trigger_opens_a_modal(
    standin: SlackStandIn, client: WebClient, bolt: tuple[str, dict[str, list[Any]]]
) -> None:
    url, seen = bolt
    ts = standin.add_message("C0SUPPORT", "please check ann@example.com", user="U0CUSTOMER")
    payload = message_action_payload(
        standin.message_at("C0SUPPORT", ts), user="U0AGENT", trigger_id=standin.issue_trigger()
    )
    assert payload_utils.is_message_shortcut(payload)
    assert post_interaction(url, payload).status_code == 200
    [body] = seen["message_action"]
    assert body["channel"]["id"] == "C0SUPPORT" and body["message"]["text"] == "please check ann@example.com"
    assert body["message_ts"] == ts and body["message"]["user"] == "U0CUSTOMER"
    assert len(standin.opened_views("mailcheck.check_modal")) == 1
    assert len(standin.trigger_latencies()) == 1


def test_global_shortcut_and_forged_signature(
    standin: SlackStandIn, bolt: tuple[str, dict[str, list[Any]]]
) -> None:
    url, seen = bolt
    payload = shortcut_payload(user="U0AGENT", trigger_id=standin.issue_trigger())
    assert payload_utils.is_global_shortcut(payload)
    assert post_interaction(url, payload, secret="not-the-secret").status_code == 401
    assert "shortcut" not in seen
    assert post_interaction(url, payload).status_code == 200
    assert seen["shortcut"][0]["user"]["id"] == "U0AGENT"


def test_view_submission_answers_errors_in_the_modal(
    standin: SlackStandIn, client: WebClient, bolt: tuple[str, dict[str, list[Any]]]
) -> None:
    url, seen = bolt
    opened = client.views_open(trigger_id=standin.issue_trigger(), view=MODAL)["view"]
    values = {
        "email": {"value": plain_text_value("not an address")},
        "where": {"channel": conversation_value("C0X")},
    }
    refused = post_interaction(url, view_submission_payload(standin.view(opened["id"]), values=values))
    assert refused.status_code == 200
    assert refused.json() == {
        "response_action": "errors",
        "errors": {"email": "That is not an email address."},
    }
    values["email"]["value"] = plain_text_value("ann@example.com")
    payload = view_submission_payload(standin.view(opened["id"]), values=values)
    assert payload["view"]["id"] == opened["id"] and payload["view"]["private_metadata"] == "C0SUPPORT"
    accepted = post_interaction(url, payload)
    assert accepted.status_code == 200 and accepted.text == ""
    assert seen["view_submission"][1]["where"]["channel"]["selected_conversation"] == "C0X"


def test_home_tab_open_and_button_press(
    standin: SlackStandIn, client: WebClient, bolt: tuple[str, dict[str, list[Any]]]
) -> None:
    url, seen = bolt
    envelope = app_home_opened("U0AGENT")
    assert payload_utils.is_app_home_opened_event(envelope, tab="home")
    assert post_event(url, envelope).status_code == 200
    home = standin.home_view("U0AGENT")
    assert home is not None and home["blocks"] == HOME["blocks"]
    assert seen["app_home_opened"][0]["tab"] == "home"

    press = block_actions_in_view_payload("mailcheck.home_check", view=home, user="U0AGENT")
    assert post_interaction(url, press).status_code == 200
    [body] = seen["block_actions"]
    assert body["container"] == {"type": "view", "view_id": home["id"]} and body["view"]["type"] == "home"
