"""No worker running (SPEC §4.1, §8): the agent is told at once; a report no worker starts within
QUEUE_TIMEOUT is failed by the bot's own reaper, naming the missing worker, and its job is dropped so
that a worker started later does not revive it. A report a worker runs is never failed by it. And a
bot that dies between posting a parent and enqueueing leaves nothing `running` either."""

from __future__ import annotations

from collections.abc import Callable

from rq import Queue
from rq.serializers import JSONSerializer

from tests.e2e.faults.stack import FaultStack, wait_until
from tests.e2e.helpers import blocks_text, payload, unique_email
from tests.processes import start_bot
from workers.jobs.reaper import Ledger

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


def test_a_bot_that_dies_before_enqueueing_leaves_no_parent_running(make_stack: MakeStack) -> None:
    stack = make_stack()
    email = unique_email("bot-died")
    # Redis refuses RQ's queue push (the enqueue), and Slack refuses the edit that would say so.
    stack.redis.client().execute_command("ACL", "SETUSER", "default", "-rpush", "-lpush")
    stack.slack.fail("chat.update", times=10_000)
    stack.command(email)
    report_id = stack.report_id(email)  # the parent is posted, `running`
    wait_until(lambda: (stack.stored(report_id) or {}).get("report", {}).get("state") == "failed")
    assert stack.bot_process is not None
    stack.bot_process.popen.kill()  # the bot dies there, its parent still `running` in Slack
    stack.bot_process.stop()
    assert payload(stack.parent(email) or {})["state"] == "running" and stack.job(report_id) is None
    stack.redis.client().execute_command("ACL", "SETUSER", "default", "+@all")
    stack.slack.fail("chat.update", times=0)

    # The ledger entry written with the bot's first write; its deadline moved rather than waited for.
    Ledger(stack.redis.client()).due_at(report_id, 0)
    stack.bot_process, stack.bot = start_bot(stack.env, stack.logs)
    message = stack.wait_state(email, "failed")

    assert "could not be queued" in blocks_text(message) and payload(message)["actions"] == "rerun"
    assert report_id not in stack.running_ledger()
