"""Redis killed and restarted while commands keep arriving (SPEC §8): a clear ephemeral error for each
command it could not take, nothing left `running`, and the bot and the worker recover by themselves."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from tests.e2e.faults.stack import WAIT_S, FaultStack, wait_until
from tests.e2e.helpers import blocks_text, payload, unique_email
from workers.jobs.lifecycle import LOST_REASON, UNATTACHED_REASON

MakeStack = Callable[..., FaultStack]
COMMAND_EVERY_S = 0.2
UNREACHABLE = "its Redis is unreachable"
# A command is answered before its job is enqueued and its parent posted: one sent this long before
# the kill may still meet the outage.
IN_FLIGHT_S = 2.0
# A job Redis died under between its dequeue and its start waits in RQ's intermediate queue, which RQ's
# maintenance requeues after a fixed minute: the slowest recovery there is.
STRANDED_S = 90.0
# A parent posted as Redis went away says so at once, then shows the result once Redis is back.
FAILED_REASONS = (UNATTACHED_REASON.split(":")[0], LOST_REASON)


@dataclass
class Sent:
    email: str
    hook: str
    response: httpx.Response
    at: float  # time.monotonic() when it was sent


class CommandStream:
    """Slash commands at a steady pace from a thread, each recorded with when it was sent."""

    def __init__(self, stack: FaultStack) -> None:
        self._stack = stack
        self.sent: list[Sent] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> CommandStream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            email, at = unique_email("outage"), time.monotonic()
            self._stack.kratos.add_identity(email)
            response, hook = self._stack.command(email)
            self.sent.append(Sent(email, hook, response, at))
            self._stop.wait(COMMAND_EVERY_S)

    def wait_for(self, count: int) -> None:
        start = len(self.sent)
        wait_until(lambda: len(self.sent) >= start + count, what=f"{count} more commands")


def _ephemeral_answers(stack: FaultStack, sent: Sent) -> list[str]:
    """What the command's user was told: in the HTTP response, and via its response_url."""
    texts = [str(body.get("text", "")) for body in stack.slack.hooks_for(sent.hook)]
    if sent.response.text:
        texts.append(str(sent.response.json().get("text", "")))
    return texts


def _state(stack: FaultStack, sent: Sent) -> str | None:
    message = stack.parent(sent.email)
    return str(payload(message)["state"]) if message else None


def test_commands_during_a_redis_outage_get_clear_errors_and_everything_recovers(
    make_stack: MakeStack,
) -> None:
    stack = make_stack()
    worker = stack.add_worker()
    with CommandStream(stack) as stream:
        stream.wait_for(5)
        killed = time.monotonic()
        stack.redis.kill()
        stream.wait_for(8)
        stack.redis.start()  # the same port, the same data (append-only file)
        wait_until(lambda: httpx.get(f"{stack.bot}/healthz").status_code == 200, what="bot healthy again")
        healthy = time.monotonic()
        stream.wait_for(8)
    sent = stream.sent
    during = [s for s in sent if killed - IN_FLIGHT_S <= s.at <= healthy]
    after = [s for s in sent if s.at > healthy]

    assert all(s.response.status_code == 200 for s in sent)  # never a 500, never a timeout
    # The last commands' post-ack work (the enqueue, then the parent or the agent told) may still run.
    wait_until(
        lambda: all(_state(stack, s) is not None or _ephemeral_answers(stack, s) for s in sent),
        WAIT_S,
        "every command started or answered",
    )
    # Every command started a report, or was told once and clearly that nothing started.
    refused = [s for s in sent if _state(stack, s) is None]
    assert refused and all(s in during for s in refused)
    for s in refused:
        assert [UNREACHABLE in text for text in _ephemeral_answers(stack, s)] == [True], s
    started = [s for s in sent if s not in refused]

    wait_until(
        lambda: all(_state(stack, s) != "running" for s in started), STRANDED_S, "no report left running"
    )
    for s in started:
        message = stack.parent(s.email) or {}
        if payload(message)["state"] == "failed":  # only one the outage caught, and saying why
            assert s in during and any(reason in blocks_text(message) for reason in FAILED_REASONS), s
    # Full recovery: the bot takes commands again, and the worker, never restarted, runs them.
    assert after and all(_state(stack, s) == "complete" for s in after)
    assert worker.popen.poll() is None, worker.output()[-3000:]
    # A job whose worker lost Redis mid-job showed its result anyway, and RQ's retry brings the store
    # up to date; then nothing is left for the reaper either.
    wait_until(lambda: stack.running_ledger() == [], WAIT_S, "running ledger drained")
