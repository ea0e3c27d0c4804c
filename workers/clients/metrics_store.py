"""What workers did, counted in Redis hashes so that the bot's `/metrics` shows it (SPEC §13).

Workers write (`record_report`, `record_failed_report`, `record_action`): one pipeline of HINCRBYs
per finished report, one HINCRBY per report failed outside its job's finish or per action outcome.
A failed write is logged and forgotten: a metric must never fail the job it counts.
The bot reads everything back at scrape time (`read_counts`), so the counts are the same whichever
process is scraped and survive restarts of both.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field

import redis

from workers.clients.keyspace import (
    METRICS_ACTIONS_KEY,
    METRICS_CHECKS_KEY,
    METRICS_REPORT_SECONDS_KEY,
    METRICS_REPORTS_KEY,
    WATCH_OPEN_COUNTS_KEY,
)
from workers.report.alerts import ALERT_KINDS
from workers.report.model import Report, State

log = logging.getLogger(__name__)

# Cumulative bucket counts (field: the upper bound as Prometheus writes it; "+Inf" is the count), "sum".
REPORT_SECONDS_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, math.inf)
# The courier watch (SPEC §11) keeps here, per alert kind, how many of its alerts are open.
WATCH_KINDS = ALERT_KINDS  # every kind is shown, at 0 before the watch's first round
SEPARATOR = "|"


def bucket_label(bound: float) -> str:
    return "+Inf" if math.isinf(bound) else repr(bound)


def record_report(connection: redis.Redis, report: Report) -> None:
    """Count a finished report: its verdict, every check's status and how long it took."""
    seconds = report.elapsed_ms / 1000
    try:
        pipe = connection.pipeline(transaction=True)
        pipe.hincrby(METRICS_REPORTS_KEY, report.verdict or report.state.value, 1)
        for name, result in report.checks.items():
            pipe.hincrby(METRICS_CHECKS_KEY, f"{name}{SEPARATOR}{result.status.value}", 1)
        for bound in REPORT_SECONDS_BUCKETS:
            if seconds <= bound:
                pipe.hincrby(METRICS_REPORT_SECONDS_KEY, bucket_label(bound), 1)
        pipe.hincrbyfloat(METRICS_REPORT_SECONDS_KEY, "sum", seconds)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("report %s was not counted in the metrics: %s", report.report_id, type(exc).__name__)


def record_failed_report(connection: redis.Redis, report_id: str) -> None:
    """Count a report that ended `failed` outside its job's own finish (the job crashed on its last
    attempt, its worker was lost, or no worker took it): `mailcheck_reports_total{verdict="failed"}`.
    No check results and no duration: it has neither."""
    try:
        connection.hincrby(METRICS_REPORTS_KEY, State.FAILED.value, 1)
    except redis.RedisError as exc:
        log.warning("report %s was not counted in the metrics: %s", report_id, type(exc).__name__)


def record_action(connection: redis.Redis, action: str, outcome: str) -> None:
    """Count one outcome of a pressed button."""
    try:
        connection.hincrby(METRICS_ACTIONS_KEY, f"{action}{SEPARATOR}{outcome}", 1)
    except redis.RedisError as exc:
        log.warning("a %s outcome was not counted in the metrics: %s", action, type(exc).__name__)


@dataclass
class WorkerCounts:
    reports: dict[str, int] = field(default_factory=dict)  # verdict → count
    checks: dict[tuple[str, str], int] = field(default_factory=dict)  # (check, status) → count
    actions: dict[tuple[str, str], int] = field(default_factory=dict)  # (action, outcome) → count
    # (upper bound label, cumulative count), "+Inf" (every report) last; and the sum of their seconds.
    report_buckets: list[tuple[str, int]] = field(default_factory=list)
    report_seconds_sum: float = 0.0
    watch_open: dict[str, int] = field(default_factory=dict)  # alert kind → open alerts


def read_counts(connection: redis.Redis) -> WorkerCounts:
    """Everything workers counted, in one round trip; raises redis.RedisError when Redis is away."""
    pipe = connection.pipeline(transaction=False)
    for key in (
        METRICS_REPORTS_KEY,
        METRICS_CHECKS_KEY,
        METRICS_ACTIONS_KEY,
        METRICS_REPORT_SECONDS_KEY,
        WATCH_OPEN_COUNTS_KEY,
    ):
        pipe.hgetall(key)
    reports, checks, actions, seconds, watch = (_decoded(raw) for raw in pipe.execute())
    return WorkerCounts(
        reports={verdict: int(n) for verdict, n in reports.items()},
        checks={_pair(key): int(n) for key, n in checks.items()},
        actions={_pair(key): int(n) for key, n in actions.items()},
        report_buckets=[
            (label, int(seconds.get(label, 0)))
            for label in (bucket_label(bound) for bound in REPORT_SECONDS_BUCKETS)
        ],
        report_seconds_sum=float(seconds.get("sum", 0.0)),
        watch_open={kind: int(watch.get(kind, 0)) for kind in (*WATCH_KINDS, *watch)},
    )


def _decoded(raw: dict[bytes | str, bytes | str]) -> dict[str, str]:
    def text(value: bytes | str) -> str:
        return value.decode() if isinstance(value, bytes) else value

    return {text(key): text(value) for key, value in raw.items()}


def _pair(key: str) -> tuple[str, str]:
    first, _, second = key.rpartition(SEPARATOR)
    return first, second
