"""manifest.yml stays in step with the code: listeners, commands and scopes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from slack_bolt.request import BoltRequest

from bot.app import build_deps, create_app
from tests.standins.slack import BOT_TOKEN, SlackStandIn
from tests.standins.slack_requests import SIGNING_SECRET, signed_headers, slash_command_body
from workers.settings import load_settings
from workers.slack_api import EXTRA_SCOPES, METHOD_SCOPES
from workers.slack_ids import SLASH_COMMAND

MANIFEST = Path(__file__).resolve().parent.parent / "manifest.yml"


def _manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text()))


def test_manifest_declares_every_scope_the_code_uses() -> None:
    scopes = set(_manifest()["oauth_config"]["scopes"]["bot"])
    assert set(METHOD_SCOPES.values()) | set(EXTRA_SCOPES) <= scopes
    assert scopes == {"commands", "chat:write", "chat:write.public", "users:read", "usergroups:read"}


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
