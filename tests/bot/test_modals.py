"""The modals' submissions inside one bot (Bolt's dispatch of signed payloads, a real Redis and the Slack
stand-in): where the report goes, whether it counts as private (SPEC §16), and the answers in the modal
when Redis or Slack fail."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import redis
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.app import build_deps, create_app
from bot.deps import Deps
from bot.listeners.modals import PickContext
from bot.parse import Check
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import (
    SIGNING_SECRET,
    conversation_value,
    interaction_body,
    plain_text_value,
    signed_headers,
    view_submission_payload,
)
from workers.clients.keyspace import REPORT_PREFIX
from workers.clients.store import ReportStore, StoredReport
from workers.core.settings import load_settings
from workers.slack.ids import BlockId, CallbackId, ElementId

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def bot_in_process(redis_url: str, slack: SlackStandIn) -> Iterator[tuple[App, Deps]]:
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
    yield create_app(deps), deps
    deps.background.shutdown()


def dispatch(app: App, payload: dict[str, Any]) -> BoltResponse:
    body = interaction_body(payload)
    headers: dict[str, str | Sequence[str]] = {k.lower(): [v] for k, v in signed_headers(body).items()}
    return app.dispatch(BoltRequest(body=body, headers=headers))


def check_submission(email: str, channel: str) -> dict[str, Any]:
    values: dict[str, dict[str, dict[str, Any]]] = {
        BlockId.EMAIL: {ElementId.EMAIL: plain_text_value(email)},
        BlockId.CHANNEL: {ElementId.CHANNEL: conversation_value(channel)},
    }
    return view_submission_payload(callback_id=CallbackId.CHECK_MODAL, values=values)


def pick_submission(context: PickContext | str, choice: str | None) -> dict[str, Any]:
    metadata = context if isinstance(context, str) else context.to_metadata()
    option = None if choice is None else {"text": {"type": "plain_text", "text": "x"}, "value": choice}
    values: dict[str, dict[str, dict[str, Any]]] = {
        BlockId.PICK: {ElementId.PICK: {"type": "radio_buttons", "selected_option": option}}
    }
    return view_submission_payload(
        callback_id=CallbackId.CHECK_MESSAGE, values=values, private_metadata=metadata
    )


def saved_reports(connection: redis.Redis) -> list[StoredReport]:
    store = ReportStore(connection)
    ids = [key.decode().removeprefix(REPORT_PREFIX) for key in connection.scan_iter(f"{REPORT_PREFIX}*")]
    return [report for report in map(store.load, ids) if report is not None]


def errors_of(response: BoltResponse) -> dict[str, str]:
    assert response.status == 200
    answer = json.loads(response.body)
    assert answer["response_action"] == "errors"
    errors: dict[str, str] = answer["errors"]
    return errors


@pytest.mark.parametrize(("kind", "private"), [("public", False), ("private", True), ("mpim", True)])
def test_the_chosen_conversations_kind_comes_from_slack(
    bot_in_process: tuple[App, Deps], slack: SlackStandIn, kind: str, private: bool
) -> None:
    app, deps = bot_in_process
    channel = f"C0KIND{kind.upper()}"
    slack.set_conversation(channel, kind)

    response = dispatch(app, check_submission("Kind@Example.com", channel))

    assert response.status == 200 and response.body == ""
    [stored] = saved_reports(deps.redis)
    assert (stored.channel, stored.report.email, stored.requester) == (channel, "kind@example.com", "U0AGENT")
    assert stored.private is private and stored.thread_ts == ""


def test_when_slack_cannot_say_the_conversation_counts_as_private(
    bot_in_process: tuple[App, Deps], slack: SlackStandIn
) -> None:
    app, deps = bot_in_process
    slack.set_conversation("C0FLAKY", "public")
    slack.fail("conversations.info", 1, "internal_error")

    assert dispatch(app, check_submission("flaky@example.com", "C0FLAKY")).body == ""

    [stored] = saved_reports(deps.redis)
    assert stored.private is True  # fail closed: its history entries stay in that channel


def test_redis_unreachable_is_answered_in_the_modal(slack: SlackStandIn) -> None:
    deps = build_deps(
        load_settings(
            {
                "redis_url": DEAD_REDIS,
                "slack_api_url": slack.api_url,
                "slack_bot_token": BOT_TOKEN,
                "slack_signing_secret": SIGNING_SECRET,
            }
        )
    )
    app = create_app(deps)
    posts = len(slack.calls_of("chat.postMessage"))

    check = errors_of(dispatch(app, check_submission("down@example.com", "C0SUPPORT")))
    context = PickContext("C0SUPPORT", "1.2", False, "", (Check("down@example.com"),))
    pick = errors_of(dispatch(app, pick_submission(context, "0")))

    assert "Redis is unreachable" in check[BlockId.EMAIL]
    assert "Redis is unreachable" in pick[BlockId.PICK]
    assert len(slack.calls_of("chat.postMessage")) == posts
    deps.background.shutdown()


def test_the_pick_modal_reports_in_the_thread_it_was_opened_for(
    bot_in_process: tuple[App, Deps],
) -> None:
    app, deps = bot_in_process
    checks = (Check("one@example.com"), Check("rené@example.com", "rene\u0301@example.com"))
    context = PickContext("G0PRIVATE", "1700000001.000100", True, "", checks)

    assert dispatch(app, pick_submission(context, "1")).body == ""

    [stored] = saved_reports(deps.redis)
    assert (stored.channel, stored.thread_ts, stored.private) == ("G0PRIVATE", "1700000001.000100", True)
    assert (stored.report.email, stored.typed) == ("rené@example.com", "rene\u0301@example.com")


@pytest.mark.parametrize(
    ("metadata", "choice", "said"),
    [
        ("not json", "0", "out of date"),
        (json.dumps({"c": "C0SUPPORT"}), "0", "out of date"),
        (None, "7", "Choose one"),
        (None, None, "Choose one"),
        (None, "-1", "Choose one"),
    ],
)
def test_a_pick_slack_did_not_send_as_we_built_it_is_refused(
    bot_in_process: tuple[App, Deps], metadata: str | None, choice: str | None, said: str
) -> None:
    app, deps = bot_in_process
    context = metadata or PickContext("C0SUPPORT", "1.2", False, "", (Check("a@example.com"),))
    errors = errors_of(dispatch(app, pick_submission(context, choice)))
    assert said in errors[BlockId.PICK]
    assert saved_reports(deps.redis) == []


def test_a_tampered_address_in_the_pick_is_checked_again(bot_in_process: tuple[App, Deps]) -> None:
    app, deps = bot_in_process
    context = PickContext("C0SUPPORT", "1.2", False, "", (Check("<!here>@example.com"),))
    errors = errors_of(dispatch(app, pick_submission(context, "0")))
    assert "not a valid email address" in errors[BlockId.PICK]
    assert saved_reports(deps.redis) == []


def test_the_pick_contexts_metadata_fits_slacks_limit_with_ten_long_addresses() -> None:
    local = "l" * 60
    checks = tuple(
        Check(f"{local}{i}@{'d' * 180}.example.com", f"X{local}{i}@x.example.com") for i in range(10)
    )
    context = PickContext(
        "C0SUPPORT", "1700000001.000100", False, "https://hooks.slack.com/" + "r" * 200, checks
    )
    metadata = context.to_metadata()
    assert len(metadata) <= 3000
    back = PickContext.from_metadata(metadata)
    assert [c.email for c in back.checks] == [c.email for c in checks]  # the addresses are always kept
