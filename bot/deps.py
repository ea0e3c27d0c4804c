"""What the listeners need, built once by the composition root and passed down."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from queue import SimpleQueue

import redis
from rq import Queue

from bot.metrics import BotMetrics
from bot.post_ack import PostAck
from bot.worker_presence import WorkerPresence
from workers.clients.store import ReportStore, StoredReport
from workers.core.settings import Settings
from workers.slack.api import SlackPoster

VIEW_THREADS = 64  # views.open calls at once: a burst of shortcuts waits on Slack, not on the CPU


@dataclass(frozen=True)
class Deps:
    settings: Settings
    redis: redis.Redis
    store: ReportStore
    queue: Queue
    poster: SlackPoster
    metrics: BotMetrics
    background: PostAck  # work a listener starts after its ack, once the bot's acks are out
    # Slack calls inside an interaction's 3 seconds (views.open, a modal's look-up): no Retry-After waits.
    interactive: SlackPoster
    # Parents posted while Redis was down, for the bot's reaper to attach to their reports once it is back.
    unattached: SimpleQueue[StoredReport] = field(default_factory=SimpleQueue)
    # Reports Redis would not queue while it was down: out of the ledger once it is back (nothing ran).
    unqueued: SimpleQueue[str] = field(default_factory=SimpleQueue)
    workers: WorkerPresence = field(default_factory=WorkerPresence)  # this bot's, not the process's
    # views.open within its trigger_id's 3 seconds: threads of their own, never behind `background`
    # (which waits out a burst before it starts, and queues parents' posts).
    views: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=VIEW_THREADS, thread_name_prefix="views-open")
    )
