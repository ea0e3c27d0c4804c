"""Work that follows an ack waits until the bot has no Slack request left to answer, and no longer than
its bound when requests keep coming."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor, wait

from bot.post_ack import PostAck

WAIT_S = 10.0  # only ever reached if the code under test is broken
DEFER_S = 60.0  # longer than WAIT_S: work held back by mistake fails the test rather than run late


def test_work_submitted_while_requests_are_answered_runs_after_the_last_answer() -> None:
    post_ack = PostAck(max_defer_s=DEFER_S)
    events: list[str] = []
    first, second = post_ack.answering(), post_ack.answering()
    first.__enter__()
    second.__enter__()
    future = post_ack.submit(events.append, "work")
    first.__exit__(None, None, None)
    events.append("first answered")
    second.__exit__(None, None, None)
    events.append("second answered")
    future.result(WAIT_S)
    assert events == ["first answered", "second answered", "work"]
    post_ack.shutdown()


def test_a_lone_requests_work_runs_at_once_while_it_is_still_being_answered() -> None:
    post_ack = PostAck(max_defer_s=DEFER_S)
    with post_ack.answering():
        assert post_ack.submit(lambda: "done").result(WAIT_S) == "done"
    post_ack.shutdown()


def test_work_runs_at_once_when_nothing_is_being_answered() -> None:
    post_ack = PostAck(max_defer_s=DEFER_S)
    ran = threading.Event()
    post_ack.submit(ran.set).result(WAIT_S)
    assert ran.is_set()
    post_ack.shutdown()


def test_under_endless_requests_work_still_runs_once_its_bound_has_passed() -> None:
    post_ack = PostAck(max_defer_s=0.05)
    with post_ack.answering(), post_ack.answering():  # a burst never answered while the work waits
        assert post_ack.submit(lambda: "done").result(WAIT_S) == "done"
    post_ack.shutdown()


def test_under_sustained_load_work_queued_behind_is_not_held_back_once_more() -> None:
    """The bound counts from the submit: twelve items on one thread wait about one bound in all, not
    one bound each (which would cap a busy bot at one parent per bound per thread)."""
    post_ack = PostAck(ThreadPoolExecutor(max_workers=1), max_defer_s=1.0)
    with post_ack.answering(), post_ack.answering():  # requests never stop arriving
        futures = [post_ack.submit(lambda n=n: n) for n in range(12)]
        done, waiting = wait(futures, timeout=WAIT_S)
    assert not waiting and sorted(f.result() for f in done) == list(range(12))
    post_ack.shutdown()


def test_an_answer_that_fails_still_counts_as_answered() -> None:
    post_ack = PostAck(max_defer_s=DEFER_S)
    with contextlib.suppress(RuntimeError), post_ack.answering():
        raise RuntimeError("the handler crashed")
    assert post_ack.submit(lambda: "done").result(WAIT_S) == "done"
    post_ack.shutdown()
