"""Whether a `mailcheck worker` serves the bot's queue, as RQ's registry of live workers says."""

from __future__ import annotations

import time
from collections.abc import Callable

import redis
from rq import Queue, Worker

WORKER_SEEN_TTL_S = 2.0  # how long a live worker, once seen, is taken as still there


class WorkerPresence:
    """Whether a worker serves the queue, from RQ's own registry of live workers (a dead worker drops
    out with its TTL). A worker seen is remembered for `ttl_s`: a burst of commands then reads the
    registry (SMEMBERS, then HGETALL per worker) once, not once per command. No worker is never
    remembered, so the notice stops as soon as one starts."""

    def __init__(self, ttl_s: float = WORKER_SEEN_TTL_S, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s, self._clock = ttl_s, clock
        self._seen_until: dict[str, float] = {}

    def alive(self, queue: Queue) -> bool:
        if self._clock() < self._seen_until.get(queue.name, float("-inf")):
            return True
        try:
            alive = bool(Worker.all(queue=queue))
        except redis.RedisError:
            return True  # cannot tell: say nothing rather than something wrong
        if alive:
            self._seen_until[queue.name] = self._clock() + self._ttl_s
        return alive
