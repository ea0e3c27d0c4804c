"""Every listener module exposes `register(app, deps)`."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners import actions, commands


def register(app: App, deps: Deps) -> None:
    commands.register(app, deps)
    actions.register(app, deps)
