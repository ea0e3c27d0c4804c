"""How work is put on the RQ queue: job names by dotted path, plain JSON arguments, explicit options."""

from __future__ import annotations

import time
from typing import Any

import redis
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.serializers import JSONSerializer

from workers.settings import Settings

RUN_REPORT = "workers.jobs.run_report"
RUN_STATUS = "workers.status_job.run_status"
ON_REPORT_FAILURE = "workers.jobs.report_failed"
JOB_SLACK_MARGIN_S = 60  # Slack updates and retries after the checks' own deadline
RESULT_TTL_S = 3600
FAILURE_TTL_S = 7 * 24 * 3600
# Reports whose parent may still say `running`, scored by when the reaper should look at them
# (workers/reaper.py); a report leaves it once Slack shows its final state.
RUNNING_REPORTS_KEY = "mailcheck:running"


def make_queue(connection: redis.Redis, settings: Settings) -> Queue:
    return Queue(settings.mailcheck_queue, connection=connection, serializer=JSONSerializer)


def report_job_id(report_id: str) -> str:
    return f"report-{report_id}"


def report_job_timeout(settings: Settings) -> int:
    return int(settings.report_deadline) + JOB_SLACK_MARGIN_S


def enqueue_report(
    queue: Queue,
    settings: Settings,
    *,
    report_id: str,
    email: str,
    channel: str,
    ts: str,
    requester: str,
    thread_ts: str = "",
) -> Job:
    kwargs: dict[str, Any] = {
        "report_id": report_id,
        "email": email,
        "channel": channel,
        "ts": ts,
        "requester": requester,
        "thread_ts": thread_ts,
    }
    with queue.connection.pipeline() as pipe:
        # One transaction: a report is in the running ledger exactly when its job is on the queue.
        pipe.multi()
        pipe.zadd(RUNNING_REPORTS_KEY, {report_id: time.time() + report_job_timeout(settings)})
        job = queue.enqueue(
            RUN_REPORT,
            kwargs=kwargs,
            job_id=report_job_id(report_id),
            job_timeout=report_job_timeout(settings),
            retry=Retry(max=1),
            result_ttl=RESULT_TTL_S,
            failure_ttl=FAILURE_TTL_S,
            on_failure=Callback(ON_REPORT_FAILURE),
            description=f"mailcheck report {report_id}",
            pipeline=pipe,
        )
        pipe.execute()
    return job


def enqueue_status(queue: Queue, settings: Settings, *, channel: str, requester: str) -> Job:
    return queue.enqueue(
        RUN_STATUS,
        kwargs={"channel": channel, "requester": requester},
        job_timeout=int(settings.report_deadline) + JOB_SLACK_MARGIN_S,
        result_ttl=RESULT_TTL_S,
        description="mailcheck courier status",
    )
