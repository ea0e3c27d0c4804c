"""Work a listener starts after its ack: run on a few threads of its own, at once for a lone request,
and in a burst only once the bot has no Slack request left to answer.

Acks and post-ack work (posting a parent, queueing its job, answering through a response_url) share
one interpreter, and so one GIL. Run side by side, a burst's post-ack work slows the acks of the same
burst; run after them, it delays a parent by no more than the burst takes. A lone command waits for
nothing (its parent post is on the way to its report). Requests keep arriving under sustained load, so
the wait is bounded: past `MAX_DEFER_S` the work runs anyway.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

THREADS = 4  # few threads: post-ack work waits on Slack and Redis, not on the CPU
MAX_DEFER_S = 0.25
# A burst's requests reach the server threads a little apart; a gap this short does not end it.
QUIET_S = 0.01

P = ParamSpec("P")
R = TypeVar("R")


class PostAck:
    def __init__(self, executor: Executor | None = None, max_defer_s: float = MAX_DEFER_S) -> None:
        self._executor = executor or ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="post-ack")
        self._max_defer_s = max_defer_s
        self._answering = 0
        self._last_answered = float("-inf")
        self._idle = threading.Condition()

    @contextmanager
    def answering(self) -> Iterator[None]:
        """Around the handling of one Slack request, up to its answer."""
        with self._idle:
            self._answering += 1
        try:
            yield
        finally:
            with self._idle:
                self._answering -= 1
                self._last_answered = time.monotonic()
                if not self._answering:
                    self._idle.notify_all()

    def submit(self, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> Future[R]:
        """Run `fn` at once when its request is the only one; in a burst, once the burst is answered."""
        now = time.monotonic()
        with self._idle:
            # Called while answering its own request: any other request, now or just before, is a burst.
            burst = self._answering > 1 or now - self._last_answered < QUIET_S
        if not burst:
            return self._executor.submit(fn, *args, **kwargs)
        # The bound counts from now, not from when a thread takes the work: under sustained load the
        # work queued behind it then runs as soon as a thread is free, rather than waiting once more.
        return self._executor.submit(self._when_quiet, now + self._max_defer_s, fn, *args, **kwargs)

    def _when_quiet(self, deadline: float, fn: Callable[P, R], /, *args: P.args, **kwargs: P.kwargs) -> R:
        self._wait_for_quiet(deadline)
        return fn(*args, **kwargs)

    def _wait_for_quiet(self, deadline: float) -> None:
        """Until no request has been answered for QUIET_S, or `deadline` has passed."""
        with self._idle:
            while (now := time.monotonic()) < deadline:
                if self._answering:
                    self._idle.wait(deadline - now)
                    continue
                quiet_for = now - self._last_answered
                if quiet_for >= QUIET_S:
                    return
                self._idle.wait(min(QUIET_S - quiet_for, deadline - now))

    def shutdown(self, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait)
