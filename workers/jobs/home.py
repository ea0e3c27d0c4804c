"""RQ entry point for the App Home's courier part (SPEC §17): read every Kratos instance's courier,
keep it in Redis for every bot and worker, and publish Home again for the viewers who saw an older one.

Kratos is listed at most once per instance and status a minute however many people open Home: the bot
queues this job at most once a minute (`HomeStore.ask_refresh`), and the job itself lists only when it
takes the minute's listing mark (`HomeStore.claim_listing`), so jobs that piled up while no worker ran
cannot list again. Only the job that listed publishes to the waiting viewers, once its status is in.
"""

from __future__ import annotations

import asyncio
import logging
import time

import redis

from workers.clients.home_store import HomeStore

# `/mailcheck status` reads the same courier the same way (every instance at once, each bounded).
from workers.jobs.courier_status import examine_all
from workers.jobs.report import job_connection, settings_from_env
from workers.slack.api import SlackPoster, web_client
from workers.slack.errors import SlackError
from workers.slack.home import publish_home

log = logging.getLogger(__name__)


def refresh_home() -> str:
    """`listed` when this job read Kratos, `fresh` when another did within the minute."""
    settings = settings_from_env()
    connection = job_connection(settings)
    store = HomeStore(connection)
    if not store.claim_listing():
        return "fresh"
    found = asyncio.run(examine_all(settings))
    store.save_courier(found, at=time.time())
    poster = SlackPoster(web_client(settings))
    for viewer in store.take_waiting():
        try:
            publish_home(connection, poster, settings, viewer)
        except (SlackError, redis.RedisError) as exc:
            log.warning("Home of %s not published again: %s", viewer, exc)
    return "listed"
