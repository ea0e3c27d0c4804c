"""How long the Socket Mode client waits between two attempts to get a connection from Slack (SPEC §16).

Every attempt costs an `apps.connections.open` call, a Tier 1 method: while Slack refuses the socket,
retrying at a fixed short interval turns a Slack hiccup into rate limiting that delays the reconnect
further. So the delays double from about 1 s up to a 15 s cap, with jitter so that many clients refused
together do not come back in step, and start over once a connection succeeds.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable

BASE_S = 1.0
CAP_S = 15.0
# Each delay is drawn from [(1 - JITTER) * d, d]: below the cap always, and still growing (0.8..1 s,
# 1.6..2 s, 3.2..4 s, ...) so that the doubling shows through the jitter.
JITTER = 0.2


class Backoff:
    """When the next attempt may start: doubling delays from `base` up to `cap`, each shortened by a
    random fraction up to `jitter`, counted from the start of the attempt before.

    `attempt()` records an attempt starting now and returns the delay before the next may start;
    `due()` says whether that time has come; `reset()` (a connection succeeded) starts over: the next
    attempt may start at once, and the one after waits `base` again. `rand` returns a float in [0, 1)
    and `clock` is monotonic seconds (tests pin both). Thread-safe: the SDK's session, monitor and
    message threads may all ask for a reconnect.
    """

    def __init__(
        self,
        *,
        base: float = BASE_S,
        cap: float = CAP_S,
        jitter: float = JITTER,
        rand: Callable[[], float] = random.random,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not 0 < base <= cap:
            raise ValueError("Backoff needs 0 < base <= cap")
        if not 0 <= jitter < 1:
            raise ValueError("Backoff jitter is a fraction in [0, 1)")
        self.base = base
        self.cap = cap
        self.jitter = jitter
        self._rand = rand
        self._clock = clock
        self._lock = threading.Lock()
        self._attempts = 0  # since the last reset
        self._not_before = 0.0

    def delay(self, attempt: int) -> float:
        """The wait after the `attempt`th attempt in a row (0-based) since the last reset."""
        nominal = self.base
        for _ in range(attempt):  # stops at the cap: no overflow however long Slack refuses
            nominal = min(nominal * 2, self.cap)
            if nominal == self.cap:
                break
        return nominal * (1.0 - self.jitter * self._rand())

    def attempt(self) -> float:
        with self._lock:
            wait = self.delay(self._attempts)
            self._attempts += 1
            self._not_before = self._clock() + wait
        return wait

    def due(self) -> bool:
        return self.remaining() <= 0.0

    def remaining(self) -> float:
        """Seconds until the next attempt may start (0.0 once it may)."""
        with self._lock:
            return max(0.0, self._not_before - self._clock())

    def reset(self) -> None:
        with self._lock:
            self._attempts = 0
            self._not_before = 0.0
