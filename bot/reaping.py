"""The overdue-report reaper inside the bot: a daemon thread, so reports are settled with no worker.

Workers reap in their maintenance pass; the bot reaps too, so that a report no worker ever starts is
failed after QUEUE_TIMEOUT and one whose bot died before enqueueing is released at its deadline. Once
Redis is back after an outage, it also takes the reports Redis would not queue out of the ledger and
attaches the parents it posted meanwhile to their reports. Claims
in the ledger are leases, so the bot and any number of workers reap side by side, each report once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import TypeVar

import redis

from bot.deps import Deps
from workers.jobs.lifecycle import Ledger, attach_and_show
from workers.jobs.reaper import reap

log = logging.getLogger(__name__)

REAP_INTERVAL_S = 5.0  # one ZRANGEBYSCORE when nothing is due
JOIN_TIMEOUT_S = 5.0

T = TypeVar("T")


def _drain(pending: SimpleQueue[T], handle: Callable[[T], None]) -> None:
    """`handle` each item left while Redis was down; one it still cannot take goes back, and the
    RedisError ends this pass."""
    while not pending.empty():
        item = pending.get()
        try:
            handle(item)
        except redis.RedisError:
            pending.put(item)
            raise


class BotReaper:
    def __init__(self, deps: Deps, interval: float = REAP_INTERVAL_S) -> None:
        self._deps, self._interval = deps, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="reaper", daemon=True)
        self._redis_down = False

    def start(self) -> BotReaper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(JOIN_TIMEOUT_S)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.reap_once()

    def reap_once(self) -> int:
        try:
            deps = self._deps
            # Reports Redis would not queue while it was down: nothing ran, so out of the ledger.
            _drain(deps.unqueued, Ledger(deps.redis).untrack)
            # Parents posted while it was down: attached to their reports, each shown if it settled.
            _drain(
                deps.unattached,
                lambda stored: attach_and_show(deps.redis, stored, deps.poster, deps.settings),
            )
            reaped = reap(deps.redis, deps.poster, deps.settings)
        except redis.RedisError as exc:
            if not self._redis_down:  # once per outage; healthz says the rest
                log.warning("reaper: Redis unreachable (%s); trying again", type(exc).__name__)
            self._redis_down = True
            return 0
        except Exception:  # the thread must outlive any one pass
            log.exception("reaper pass failed")
            return 0
        if self._redis_down:
            log.info("reaper: Redis reachable again")
        self._redis_down = False
        return reaped
