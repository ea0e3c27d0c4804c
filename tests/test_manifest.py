"""manifest.yml stays in step with the code (listeners, commands, scopes) and with Slack's own schema."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from slack_bolt.request import BoltRequest

from bot.app import build_deps, create_app
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body
from workers.core.settings import load_settings
from workers.slack.api import EXTRA_SCOPES, METHOD_SCOPES
from workers.slack.ids import SLASH_COMMAND

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
    for command in manifest["features"]["slash_commands"]:
        command["url"] = events_url
    _validator().validate(manifest)


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
    }


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
