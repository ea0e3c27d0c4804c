"""The shortcuts, a modal's submission and the Home tab in Socket Mode (SPEC §17): a real bot process on a
local Socket Mode stand-in, its envelopes shaped as Slack sends them, with a real worker behind it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.bot.test_socket_mode import ack_payload, socket_env, wait_connected
from tests.bot.views import opened_view
from tests.e2e.helpers import unique_email
from tests.processes import Process
from tests.standins.dns_server import DnsServer
from tests.standins.kratos import KratosStandIn
from tests.standins.redis_server import RedisServer
from tests.standins.slack_requests import (
    app_home_opened,
    conversation_value,
    message_action_payload,
    plain_text_value,
    shortcut_payload,
    view_submission_payload,
)
from tests.standins.socket_mode import SocketModeStandIn
from workers.slack.ids import BlockId, CallbackId, ElementId

BOUND_S = 15.0


@pytest.fixture(scope="module")
def socket_slack() -> Iterator[SocketModeStandIn]:
    standin = SocketModeStandIn().start()
    yield standin
    standin.stop()


@pytest.fixture(scope="module")
def socket_bot(
    socket_slack: SocketModeStandIn,
    redis_server: RedisServer,
    kratos: KratosStandIn,
    dns: DnsServer,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Process]:
    logs = tmp_path_factory.mktemp("socket-shortcuts")
    env = socket_env(redis_server, socket_slack, kratos, dns, MAILCHECK_QUEUE="mailcheck-socket-shortcuts")
    worker = Process(["worker"], env, logs / "worker.log")
    bot = Process(["bot"], env, logs / "bot.log")
    try:
        wait_connected(socket_slack, bot, 1)
        yield bot
    finally:
        bot.stop()
        worker.stop()


def test_the_global_shortcut_opens_the_modal_over_the_socket(
    socket_slack: SocketModeStandIn, socket_bot: Process
) -> None:
    trigger_id = socket_slack.issue_trigger()
    envelope_id = socket_slack.push(
        "interactive", shortcut_payload(trigger_id=trigger_id), accepts_response_payload=False
    )
    assert ack_payload(socket_slack, envelope_id) == {}
    assert opened_view(socket_slack, trigger_id)["callback_id"] == CallbackId.CHECK_MODAL


def test_a_message_shortcut_reports_in_the_thread_over_the_socket(
    socket_slack: SocketModeStandIn, socket_bot: Process
) -> None:
    email = unique_email("socket-thread")
    ts = socket_slack.add_message("C0SUPPORT", f"user {email}", user="U0CUSTOMER")
    message = socket_slack.message_at("C0SUPPORT", ts)
    assert message is not None
    envelope_id = socket_slack.push(
        "interactive", message_action_payload(message), accepts_response_payload=False
    )
    assert ack_payload(socket_slack, envelope_id) == {}

    def reported() -> list[dict[str, object]]:
        return [
            m
            for m in socket_slack.channel_messages("C0SUPPORT")
            if (m.get("metadata") or {}).get("event_payload", {}).get("email") == email
            and m["metadata"]["event_payload"]["state"] == "complete"
        ]

    [report] = socket_slack.wait_for(reported, BOUND_S)
    assert report["thread_ts"] == ts


def test_a_modals_errors_go_back_in_the_envelopes_ack(
    socket_slack: SocketModeStandIn, socket_bot: Process
) -> None:
    values: dict[str, dict[str, dict[str, Any]]] = {
        BlockId.EMAIL: {ElementId.EMAIL: plain_text_value("two@example.com words@example.com")},
        BlockId.CHANNEL: {ElementId.CHANNEL: conversation_value("C0RANDOM")},
    }
    payload = view_submission_payload(callback_id=CallbackId.CHECK_MODAL, values=values)
    envelope_id = socket_slack.push("interactive", payload, accepts_response_payload=True)

    answer = ack_payload(socket_slack, envelope_id)

    assert answer["response_action"] == "errors"
    assert "exactly one" in answer["errors"][BlockId.EMAIL]
    assert "MAILCHECK_CHANNELS" in answer["errors"][BlockId.CHANNEL]


def test_home_is_published_over_the_socket(socket_slack: SocketModeStandIn, socket_bot: Process) -> None:
    envelope_id = socket_slack.push(
        "events_api", app_home_opened("U0SOCKETHOME"), accepts_response_payload=False
    )
    assert ack_payload(socket_slack, envelope_id) == {}
    view = socket_slack.wait_for(lambda: socket_slack.home_view("U0SOCKETHOME"), BOUND_S)
    assert ElementId.OPEN_CHECK_MODAL in json.dumps(view["blocks"])
