"""manifest.yml stays in step with the code (listeners, commands, scopes) and with Slack's own schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest

from bot.app import build_deps, create_app
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import (
    JSON,
    SIGNING_SECRET,
    app_home_opened,
    block_actions_in_view_payload,
    event_body,
    interaction_body,
    message_action_payload,
    plain_text_value,
    shortcut_payload,
    signed_headers,
    slash_command_body,
    view_submission_payload,
)
from workers.core.settings import load_settings
from workers.slack.api import EXTRA_SCOPES, METHOD_SCOPES
from workers.slack.ids import HOME_OPENED_EVENT, SLASH_COMMAND, BlockId, CallbackId, ElementId

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"
# Slack's published app manifest schema; source and licence in tests/schemas/slack/README.md.
MANIFEST_SCHEMA = Path(__file__).resolve().parent / "schemas" / "slack" / "manifest.schema.1.0.0.json"


def _manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text()))


def _validator() -> jsonschema.Draft7Validator:
    schema = json.loads(MANIFEST_SCHEMA.read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def test_manifest_matches_slacks_published_schema() -> None:
    _validator().validate(_manifest())


def test_manifest_for_http_mode_as_its_comments_describe_matches_the_schema() -> None:
    manifest = copy.deepcopy(_manifest())
    events_url = "https://mailcheck.example.com/slack/events"
    manifest["settings"]["socket_mode_enabled"] = False
    manifest["settings"]["interactivity"]["request_url"] = events_url
    manifest["settings"]["event_subscriptions"]["request_url"] = events_url
    for command in manifest["features"]["slash_commands"]:
        command["url"] = events_url
    _validator().validate(manifest)
    text = MANIFEST.read_text()
    assert "under settings.interactivity" in text and "under settings.event_subscriptions" in text


@pytest.mark.parametrize(
    "breakage",
    [
        lambda m: m["display_information"].update(name="x" * 36),
        lambda m: m["settings"].update(socket_mode=True),
        lambda m: m["oauth_config"]["scopes"].update(bot="commands"),
        lambda m: m.pop("display_information"),
    ],
    ids=["name-too-long", "unknown-setting", "scopes-not-a-list", "no-display-information"],
)
def test_the_schema_rejects_a_broken_manifest(breakage: Any) -> None:
    manifest = copy.deepcopy(_manifest())
    breakage(manifest)
    with pytest.raises(jsonschema.ValidationError):
        _validator().validate(manifest)


def test_manifest_declares_every_scope_the_code_uses() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert set(METHOD_SCOPES.values()) | set(EXTRA_SCOPES) <= scopes
    assert scopes == {
        "commands",
        "chat:write",
        "chat:write.public",
        "users:read",
        "usergroups:read",
        "channels:history",
        "groups:history",
        "channels:read",
        "groups:read",
    }


def _app(slack: SlackStandIn) -> App:
    settings = load_settings(
        {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "redis_url": "redis://127.0.0.1:1/0",
            "slack_api_url": slack.api_url,
        }
    )
    return create_app(build_deps(settings))


def _dispatch(app: App, body: str, content_type: str = "application/x-www-form-urlencoded") -> BoltResponse:
    headers = signed_headers(body, content_type=content_type)
    return app.dispatch(BoltRequest(body=body, headers={k.lower(): [v] for k, v in headers.items()}))


def test_manifest_shortcuts_are_exactly_the_registered_ones(slack: SlackStandIn) -> None:
    shortcuts = {s["callback_id"]: s["type"] for s in _manifest()["features"]["shortcuts"]}
    assert shortcuts == {CallbackId.CHECK_MESSAGE: "message", CallbackId.CHECK_MODAL: "global"}
    app = _app(slack)
    for callback_id, kind in shortcuts.items():
        payload = (
            message_action_payload(text="no address here", callback_id=callback_id)
            if kind == "message"
            else shortcut_payload(callback_id=callback_id)
        )
        assert _dispatch(app, interaction_body(payload)).status == 200, f"no listener for {callback_id}"
        # Each modal a shortcut opens is registered too: a submission is answered (here: what is wrong).
        submitted = view_submission_payload(
            callback_id=callback_id, values={BlockId.EMAIL: {ElementId.EMAIL: plain_text_value("x")}}
        )
        answer = _dispatch(app, interaction_body(submitted))
        assert answer.status == 200 and json.loads(answer.body)["response_action"] == "errors", callback_id
    for payload in (
        shortcut_payload(callback_id="mailcheck.not_ours"),
        message_action_payload(text="a@example.com", callback_id="mailcheck.not_ours"),
    ):
        assert _dispatch(app, interaction_body(payload)).status == 404


def test_manifest_events_and_home_tab_are_the_registered_ones(slack: SlackStandIn) -> None:
    manifest = _manifest()
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == [HOME_OPENED_EVENT]
    app = _app(slack)
    response = _dispatch(app, event_body(app_home_opened("U0MANIFEST", tab="messages")), JSON)
    assert response.status == 200, "no listener for app_home_opened"
    unknown = app_home_opened("U0MANIFEST")
    unknown["event"]["type"] = "app_uninstalled"
    assert _dispatch(app, event_body(unknown), JSON).status == 404
    button = block_actions_in_view_payload(ElementId.OPEN_CHECK_MODAL)
    assert _dispatch(app, interaction_body(button)).status == 200


def test_manifest_commands_are_exactly_the_registered_ones(slack: SlackStandIn) -> None:
    manifest = _manifest()
    commands = [c["command"] for c in manifest["features"]["slash_commands"]]
    assert commands == [SLASH_COMMAND]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert len(manifest["display_information"]["name"]) <= 35

    settings = load_settings(
        {
            "slack_bot_token": BOT_TOKEN,
            "slack_signing_secret": SIGNING_SECRET,
            "redis_url": "redis://127.0.0.1:1/0",
            "slack_api_url": slack.api_url,
        }
    )
    app = create_app(build_deps(settings))
    for command in commands:
        body = slash_command_body("help").replace("%2Fmailcheck", command.replace("/", "%2F"))
        response = app.dispatch(
            BoltRequest(body=body, headers={k.lower(): [v] for k, v in signed_headers(body).items()})
        )
        assert response.status == 200, f"no listener for {command}"
    unknown = slash_command_body("help").replace("%2Fmailcheck", "%2Fnot-ours")
    response = app.dispatch(
        BoltRequest(body=unknown, headers={k.lower(): [v] for k, v in signed_headers(unknown).items()})
    )
    assert response.status == 404
