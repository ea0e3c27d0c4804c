"""Every listener module exposes `register(app, deps)`."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from bot.listeners import actions, commands, home, modals, shortcuts


def register(app: App, deps: Deps) -> None:
    commands.register(app, deps)
    shortcuts.register(app, deps)
    modals.register(app, deps)
    home.register(app, deps)
    # Last: its catch-all answers every block_actions press no listener before it took (Home's button is
    # taken by `home`).
    actions.register(app, deps)
