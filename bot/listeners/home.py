"""The App Home tab (SPEC §17): `app_home_opened` → views.publish, and its "Check an email address"
button → the check modal.

Home opens fast: the event is acked at once, and the tab is published from what Redis holds (the
watch's open alerts, the courier status of the last refresh, the viewer's own checks). The bot never
reads Kratos: when the courier status is older than a minute it queues one refresh for every bot and
viewer (`HomeStore.ask_refresh`), and the worker that runs it publishes the tab again
(workers/jobs/home.py). The viewer is put on the waiting list after their first publish and the status
is read once more, so a refresh that lands in between is never missed and never overwritten.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

import redis
from slack_bolt import Ack, App

from bot.deps import Deps
from bot.listeners.shortcuts import IncompleteShortcut, check_modal, open_view, text_field
from bot.starting import log_crash
from workers.clients.home_store import HomeStore
from workers.jobs.queueing import enqueue_home_refresh
from workers.slack.errors import SlackError
from workers.slack.home import publish_home
from workers.slack.ids import HOME_OPENED_EVENT, ElementId
from workers.slack.render_home import CourierNote, HomeData, render_home

log = logging.getLogger(__name__)

_CONVERSATION_ID = re.compile(r"[CGD][A-Z0-9]{2,20}")
REDIS_DOWN = ":x: mailcheck cannot read its Redis right now, so this tab shows nothing else; checks cannot start either."


def _courier_note(deps: Deps, store: HomeStore) -> CourierNote:
    """Whether the courier part is current; when not, queue its refresh (once a minute for all bots)."""
    snapshot = store.courier()
    if snapshot is not None and snapshot.fresh(time.time()):
        return CourierNote.NONE
    if not deps.workers.alive(deps.queue):
        return CourierNote.NO_WORKER
    if store.ask_refresh():
        enqueue_home_refresh(deps.queue, deps.settings)
    return CourierNote.REFRESHING


def open_home(deps: Deps, viewer: str) -> None:
    """Publish `viewer`'s Home now from Redis; when a refresh is under way, wait for it."""
    settings = deps.settings
    try:
        store = HomeStore(deps.redis)
        note = _courier_note(deps, store)
        publish_home(deps.redis, deps.poster, settings, viewer, courier_note=note)
        if note == CourierNote.REFRESHING:
            store.wait(viewer)
            snapshot = store.courier()
            if snapshot is not None and snapshot.fresh(time.time()):  # it landed meanwhile
                publish_home(deps.redis, deps.poster, settings, viewer)
    except redis.RedisError:
        data = HomeData(viewer, settings.history_days, bool(settings.watch_channel), problem=REDIS_DOWN)
        try:
            deps.poster.publish_home(viewer, render_home(data))
        except SlackError as exc:
            log.warning("Home of %s not published: %s", viewer, exc.error)
    except SlackError as exc:
        log.warning("Home of %s not published: %s", viewer, exc.error)


def handle_home_opened(deps: Deps, ack: Ack, event: dict[str, Any]) -> None:
    ack()
    viewer = text_field(event, "user")
    if event.get("tab") == "home" and viewer:
        deps.background.submit(open_home, deps, viewer).add_done_callback(log_crash)


def handle_home_button(deps: Deps, ack: Ack, body: dict[str, Any]) -> None:
    trigger_id = text_field(body, "trigger_id")
    if not text_field(body, "user", "id") or not trigger_id:
        raise IncompleteShortcut()
    actions = body.get("actions") or [{}]
    value = text_field(actions[0], "value")  # the channel of the viewer's last check, set when published
    channel = value if _CONVERSATION_ID.fullmatch(value) else ""
    open_view(deps, trigger_id, check_modal(deps, channel), failed=lambda error: None)
    ack()


def register(app: App, deps: Deps) -> None:
    @app.event(HOME_OPENED_EVENT)
    def on_home_opened(ack: Ack, event: dict[str, Any]) -> None:
        handle_home_opened(deps, ack, event)

    @app.action(ElementId.OPEN_CHECK_MODAL.value)
    def on_home_button(ack: Ack, body: dict[str, Any]) -> None:
        handle_home_button(deps, ack, body)
