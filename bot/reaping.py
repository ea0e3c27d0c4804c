"""The overdue-report reaper inside the bot: a daemon thread, so reports are settled with no worker.

Workers reap in their maintenance pass; the bot reaps too, so that a report no worker ever starts is
failed after QUEUE_TIMEOUT and one whose bot died before enqueueing is released at its deadline. It
also attaches the parents it posted while Redis was down to their reports, once Redis is back. Claims
in the ledger are leases, so the bot and any number of workers reap side by side, each report once.
"""

from __future__ import annotations

import logging
import threading

import redis

from bot.deps import Deps
from workers.jobs.reaper import attach_and_show, reap

log = logging.getLogger(__name__)

REAP_INTERVAL_S = 5.0  # one ZRANGEBYSCORE when nothing is due
JOIN_TIMEOUT_S = 5.0


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

    def _attach_parents(self) -> None:
        """Parents posted while Redis was down: attached to their reports, each shown if it settled."""
        unattached, deps = self._deps.unattached, self._deps
        while not unattached.empty():
            stored = unattached.get()
            try:
                attach_and_show(deps.redis, stored, deps.poster, deps.settings)
            except redis.RedisError:
                unattached.put(stored)
                raise

    def reap_once(self) -> int:
        try:
            self._attach_parents()
            reaped = reap(self._deps.redis, self._deps.poster, self._deps.settings)
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
