"""A worker killed mid-job (SPEC §8): retried once; failed with a reason if it still cannot finish;
and the reaper's guarantee that no report stays `running`, whatever RQ does or does not call back."""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

from rq import Queue
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer

from tests.e2e.faults.stack import FaultStack, FaultWorker, wait_until
from tests.e2e.helpers import blocks_text, payload, unique_email
from workers.jobs.lifecycle import LOST_REASON, OVERDUE_REASON, Ledger

SLOW_KRATOS_S = 3.0  # each Kratos answer; the checks (5 s timeout) still succeed, the job takes seconds

MakeStack = Callable[..., FaultStack]


def _slow_report(stack: FaultStack, label: str) -> tuple[str, str]:
    email = unique_email(label)
    stack.kratos.add_identity(email)
    stack.kratos.latency = SLOW_KRATOS_S
    response, _ = stack.command(email)
    assert response.status_code == 200 and response.text == ""
    return email, stack.report_id(email)


def _running_on(stack: FaultStack, report_id: str, retries_left: int) -> FaultWorker:
    """Wait until this attempt of the job runs in a work-horse; return the worker that forked it."""

    def running() -> FaultWorker | None:
        job = stack.job(report_id)
        if job is None or job.get_status() != JobStatus.STARTED or job.retries_left != retries_left:
            return None  # not enqueued yet (the bot posts the parent first), or not this attempt
        return next((w for w in stack.workers if w.popen.poll() is None and w.horse()), None)

    worker: FaultWorker = wait_until(running, what=f"attempt with {retries_left} retries left running")
    return worker


def _job_in(stack: FaultStack, report_id: str, status: JobStatus) -> Job | None:
    job = stack.job(report_id)
    return job if job is not None and job.get_status() == status else None


def _assert_shown_once(stack: FaultStack, report_id: str) -> None:
    assert len(stack.posts_for(report_id)) == 1  # one parent, updated in place, never re-posted
    assert report_id not in stack.running_ledger()


def test_killed_worker_job_is_retried_by_another_and_completes(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.add_worker()
    stack.add_worker()
    email, report_id = _slow_report(stack, "kill-retry")
    _running_on(stack, report_id, retries_left=1).kill()

    message = stack.wait_state(email, "complete")

    assert payload(message)["checks"]["identity"] == "ok"
    # RQ records the job's end just after the job updated Slack.
    job = wait_until(lambda: _job_in(stack, report_id, JobStatus.FINISHED), what="job finished")
    assert job.retries_left == 0  # retried exactly once
    assert (stack.stored(report_id) or {})["report"]["state"] == "complete"
    _assert_shown_once(stack, report_id)


def test_job_that_loses_its_worker_twice_fails_with_a_reason_even_when_slack_is_down(
    make_stack: MakeStack,
) -> None:
    stack = make_stack()
    for _ in range(3):
        stack.add_worker()
    email, report_id = _slow_report(stack, "kill-twice")
    _running_on(stack, report_id, retries_left=1).kill()
    last = _running_on(stack, report_id, retries_left=0)
    # The on_failure callback will find Slack down: the failure is stored, Slack still says `running`.
    stack.slack.fail("chat.update", times=10_000, error="service_unavailable")
    last.kill()

    wait_until(lambda: (stack.stored(report_id) or {}).get("report", {}).get("state") == "failed")
    assert payload(stack.parent(email) or {})["state"] == "running"
    assert report_id in stack.running_ledger()  # kept for the reaper
    stack.slack.fail("chat.update", times=0)

    message = stack.wait_state(email, "failed")

    assert LOST_REASON in blocks_text(message)
    assert payload(message)["actions"] == "rerun"
    assert _job_in(stack, report_id, JobStatus.FAILED)
    _assert_shown_once(stack, report_id)


def test_work_horse_killed_twice_fails_at_once(make_stack: MakeStack) -> None:
    """RQ calls no on_failure when only the work-horse dies (out of memory); the worker does."""
    stack = make_stack()
    worker = stack.add_worker()
    email, report_id = _slow_report(stack, "horse")
    for retries_left in (1, 0):
        assert _running_on(stack, report_id, retries_left) is worker
        horse = worker.horse()
        assert horse is not None
        os.kill(horse, signal.SIGKILL)

    message = stack.wait_state(email, "failed")

    assert LOST_REASON in blocks_text(message)
    assert worker.popen.poll() is None  # the worker itself carries on
    _assert_shown_once(stack, report_id)


def test_reaper_fails_a_report_whose_job_vanished_once_workers_return(make_stack: MakeStack) -> None:
    """All workers gone, the queue emptied meanwhile: nothing in RQ will ever call back."""
    stack = make_stack()
    email = unique_email("vanished")
    stack.command(email)
    report_id = stack.report_id(email)
    queue = Queue("mailcheck-faults", connection=stack.redis.client(), serializer=JSONSerializer)
    wait_until(lambda: queue.job_ids == [f"report-{report_id}"], what="job queued")
    deadline = Ledger(stack.redis.client()).deadline(report_id)
    assert deadline is not None  # REPORT_DEADLINE (8 s) + 60 s from the enqueue
    queue.empty()  # type: ignore[no-untyped-call]
    # The workers come back after the deadline: move the deadline instead of waiting 68 s for it.
    Ledger(stack.redis.client()).due_at(report_id, deadline - 3600)
    stack.add_worker()

    message = stack.wait_state(email, "failed")

    assert OVERDUE_REASON in blocks_text(message)
    assert payload(message)["actions"] == "rerun"
    assert (stack.stored(report_id) or {})["report"]["state"] == "failed"
    _assert_shown_once(stack, report_id)


def test_reaper_leaves_a_report_that_waits_in_the_queue(make_stack: MakeStack) -> None:
    """Past its deadline but still queued (all workers busy or gone): RQ will run it; not a failure."""
    stack = make_stack()
    email = unique_email("queued")
    stack.kratos.add_identity(email)
    stack.command(email)
    report_id = stack.report_id(email)
    Ledger(stack.redis.client()).due_at(report_id, 0)
    stack.add_worker()

    message = stack.wait_state(email, "complete")

    assert payload(message)["checks"]["identity"] == "ok"
    _assert_shown_once(stack, report_id)
