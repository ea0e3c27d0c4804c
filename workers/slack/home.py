"""The App Home tab (SPEC §17): what one viewer's Home shows, gathered from Redis and Slack, then published.

Publishing never waits for Kratos: the courier part is whatever the last refresh left in Redis
(workers/jobs/home.py reads Kratos at most once a minute, then publishes again for the viewers who saw
an older status). Links come from chat.getPermalink once per message, then from Redis.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

import redis

from workers.clients.alert_store import AlertStore
from workers.clients.history import recall_checks
from workers.clients.home_store import HomeStore
from workers.core.settings import Settings
from workers.slack.api import SlackPoster
from workers.slack.errors import SlackError
from workers.slack.render_home import CourierNote, HomeData, Linked, render_home

LINK_THREADS = 8  # chat.getPermalink calls at once for one Home (10 checks and the open alerts at most)

Message = tuple[str, str]  # (channel, ts)


def _fetch(poster: SlackPoster, message: Message) -> Linked:
    channel, ts = message
    try:
        found = poster.permalink(channel, ts)
    except SlackError:
        return Linked()
    return Linked(found) if found else Linked(gone=True)


def links(store: HomeStore, poster: SlackPoster, messages: Iterable[Message]) -> dict[Message, Linked]:
    """Each message's link: from Redis when Slack was asked before, else from Slack (concurrently)."""
    wanted = {m for m in messages if m[0] and m[1]}
    found: dict[Message, Linked] = {}
    for message in wanted:
        cached = store.permalink(*message)
        if cached:
            found[message] = Linked(cached)
    missing = sorted(wanted - found.keys())
    if missing:
        with ThreadPoolExecutor(min(LINK_THREADS, len(missing)), thread_name_prefix="permalink") as pool:
            fetched = dict(zip(missing, pool.map(lambda m: _fetch(poster, m), missing), strict=True))
        for message, linked in fetched.items():
            if linked.link:
                store.save_permalink(*message, linked.link)
        found.update(fetched)
    return found


def default_channel(settings: Settings, last_channels: Iterable[str]) -> str:
    """Where the check modal opened from Home posts by default: the viewer's last check's channel
    when mailcheck may run there, else the one channel it may run in, else none."""
    allowed = settings.mailcheck_channels
    for channel in last_channels:
        if channel and (not allowed or channel in allowed):
            return channel
    return allowed[0] if len(allowed) == 1 else ""


def gather_home(
    connection: redis.Redis,
    poster: SlackPoster,
    settings: Settings,
    viewer: str,
    *,
    courier_note: CourierNote,
) -> HomeData:
    """What `viewer`'s Home shows (raises redis.RedisError): their own checks only. `courier_note` is
    said only while the courier status Redis holds is older than a minute (or missing)."""
    store = HomeStore(connection)
    courier = store.courier()
    if courier is not None and courier.fresh(time.time()):
        courier_note = CourierNote.NONE
    checks = recall_checks(connection, viewer, days=settings.history_days)
    alerts = AlertStore(connection).open_alerts() if settings.watch_channel else []
    linked = links(store, poster, [(a.channel, a.ts) for a in alerts] + [(c.channel, c.ts) for c in checks])
    return HomeData(
        viewer=viewer,
        history_days=settings.history_days,
        watch_on=bool(settings.watch_channel),
        alerts=[(a, linked.get((a.channel, a.ts), Linked())) for a in alerts],
        courier=courier,
        courier_note=courier_note,
        checks=[(c, linked.get((c.channel, c.ts), Linked())) for c in checks],
        default_channel=default_channel(settings, (c.channel for c in checks)),
    )


def publish_home(
    connection: redis.Redis,
    poster: SlackPoster,
    settings: Settings,
    viewer: str,
    *,
    courier_note: CourierNote = CourierNote.NONE,
) -> HomeData:
    """Gather and publish `viewer`'s Home (raises redis.RedisError, SlackError); what it showed."""
    data = gather_home(connection, poster, settings, viewer, courier_note=courier_note)
    poster.publish_home(viewer, render_home(data))
    return data
