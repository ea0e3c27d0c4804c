"""No worker running (SPEC §4.1, §8): the agent is told at once; a report no worker starts within
QUEUE_TIMEOUT is failed by the bot's own reaper, naming the missing worker, and its job is dropped so
that a worker started later does not revive it. A report a worker runs is never failed by it. The
bot enqueues before it posts the parent: a check Redis will not queue posts nothing, and one whose
parent Slack will not take runs and is released, so nothing says `running` in either case."""

from __future__ import annotations

from collections.abc import Callable

from rq import Queue
from rq.serializers import JSONSerializer

from tests.e2e.faults.stack import FaultStack, wait_until
from tests.e2e.helpers import blocks_text, payload, unique_email
from workers.clients.keyspace import METRICS_REPORTS_KEY
from workers.jobs.lifecycle import Ledger

MakeStack = Callable[..., FaultStack]
QUEUE = "mailcheck-faults"


def test_no_worker_the_agent_is_told_and_the_report_fails_after_queue_timeout(make_stack: MakeStack) -> None:
    stack = make_stack(QUEUE_TIMEOUT="2")
    email = unique_email("no-worker")
    stack.kratos.add_identity(email)

    response, hook = stack.command(email)

    assert response.status_code == 200 and response.text == ""
    notices = wait_until(lambda: stack.slack.hooks_for(hook), what="the ephemeral notice")
    assert len(notices) == 1 and notices[0]["response_type"] == "ephemeral"
    assert "No `mailcheck worker` is running" in notices[0]["text"]
    report_id = stack.report_id(email)  # the parent is posted as usual

    message = stack.wait_state(email, "failed")

    assert "mailcheck worker" in blocks_text(message) and "QUEUE_TIMEOUT" in blocks_text(message)
    assert payload(message)["actions"] == "rerun"
    queue = Queue(QUEUE, connection=stack.redis.client(), serializer=JSONSerializer)
    assert queue.job_ids == []  # taken off the queue before the report was failed
    wait_until(lambda: stack.job(report_id) is None, what="job deleted")  # and then deleted
    assert report_id not in stack.running_ledger()

    # A worker started now does not run it: a check queued after it completes, and RQ's queue is FIFO.
    stack.add_worker()
    later = unique_email("after-worker")
    stack.command(later)
    stack.wait_state(later, "complete")
    assert payload(stack.parent(email) or {})["state"] == "failed"
    assert not [
        call
        for call in stack.slack.calls_of("chat.update")
        if (call.body.get("metadata") or {}).get("event_payload", {}).get("report_id") == report_id
        and call.body["metadata"]["event_payload"]["state"] != "failed"
    ]


def test_a_report_a_worker_runs_is_never_failed_by_the_queue_timeout(make_stack: MakeStack) -> None:
    stack = make_stack(QUEUE_TIMEOUT="1")
    stack.add_worker()
    email = unique_email("slow-but-running")
    stack.kratos.add_identity(email)
    stack.kratos.latency = 3.0  # the check runs for several QUEUE_TIMEOUTs

    _response, hook = stack.command(email)
    message = stack.wait_state(email, "complete")

    assert payload(message)["checks"]["identity"] == "ok"
    assert stack.slack.hooks_for(hook) == []  # a worker runs: no notice


def test_a_check_redis_will_not_queue_posts_nothing_and_leaves_nothing_behind(make_stack: MakeStack) -> None:
    stack = make_stack()
    email = unique_email("not-queued")
    # Redis takes the bot's first write (before the ack), then refuses RQ's queue push (the enqueue).
    stack.redis.client().execute_command("ACL", "SETUSER", "default", "-rpush", "-lpush")
    _response, hook = stack.command(email)

    notices = wait_until(lambda: stack.slack.hooks_for(hook), what="the agent told")
    assert ["its Redis is unreachable" in notice["text"] for notice in notices] == [True]
    stack.redis.client().execute_command("ACL", "SETUSER", "default", "+@all")
    assert stack.parent(email) is None  # enqueued first: with no job, no parent was posted
    # "Nothing was started", and nothing is left for a reaper to fail, count or list in the history.
    assert stack.running_ledger() == []
    assert stack.redis.client().hgetall(METRICS_REPORTS_KEY) == {}


def test_a_check_whose_parent_slack_will_not_take_runs_and_is_released(make_stack: MakeStack) -> None:
    stack = make_stack()
    stack.add_worker()
    email = unique_email("no-parent")
    stack.kratos.add_identity(email)
    stack.slack.fail("chat.postMessage", times=1)
    _response, hook = stack.command(email)

    notices = wait_until(lambda: stack.slack.hooks_for(hook), what="the agent told")
    assert [notice["text"] for notice in notices] == [
        ":x: could not post the report here (service_unavailable)."
    ]
    (report_id,) = wait_until(stack.running_ledger, what="the report in the ledger")
    # Its job ran, before or while the post failed; with no parent to show, it leaves that to a reaper.
    wait_until(lambda: (stack.stored(report_id) or {}).get("report", {}).get("state") == "complete")
    Ledger(stack.redis.client()).due_at(report_id, 0)
    wait_until(lambda: report_id not in stack.running_ledger(), what="released by a reaper")
    assert stack.parent(email) is None and not stack.slack.calls_of("chat.update")
