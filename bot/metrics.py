"""Prometheus metrics served at GET /metrics: the bot's own (ack latency, commands, errors), and what
workers did, read from Redis and RQ's registries at scrape time (SPEC §13)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field

import redis
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from rq import Queue, Worker

from workers.clients.metrics_store import read_counts

log = logging.getLogger(__name__)


@dataclass
class BotMetrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.commands = Counter(
            "mailcheck_commands_total", "Parsed slash commands by kind", ["kind"], registry=self.registry
        )
        self.errors = Counter(
            "mailcheck_user_errors_total",
            "Requests answered with an ephemeral error",
            ["error"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "mailcheck_ack_seconds",
            "Time from receiving a slash command to acknowledging it",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
            registry=self.registry,
        )

    def include_workers(self, queue: Queue) -> BotMetrics:
        """Also serve what workers counted in Redis, and the queue's depth and live workers."""
        self.registry.register(WorkerCollector(queue))
        return self


class WorkerCollector(Collector):
    """Reads Redis at every scrape; while Redis is unreachable these metrics are absent, not zero."""

    def __init__(self, queue: Queue) -> None:
        self._queue = queue

    def collect(self) -> Iterator[Metric]:
        try:
            counts = read_counts(self._queue.connection)
            depth = self._queue.count
            workers = Worker.count(queue=self._queue)
        except redis.RedisError as exc:
            log.warning("worker metrics left out of this scrape: Redis unreachable (%s)", type(exc).__name__)
            return
        reports = CounterMetricFamily("mailcheck_reports", "Finished reports by verdict", labels=["verdict"])
        for verdict, n in sorted(counts.reports.items()):
            reports.add_metric([verdict], n)
        checks = CounterMetricFamily(
            "mailcheck_check_results", "Check results of finished reports", labels=["check", "status"]
        )
        for (check, status), n in sorted(counts.checks.items()):
            checks.add_metric([check, status], n)
        actions = CounterMetricFamily(
            "mailcheck_actions", "Outcomes of pressed buttons", labels=["action", "outcome"]
        )
        for (action, outcome), n in sorted(counts.actions.items()):
            actions.add_metric([action, outcome], n)
        seconds = HistogramMetricFamily(
            "mailcheck_report_seconds",
            "Time a worker took to finish a report",
            buckets=counts.report_buckets,
            sum_value=counts.report_seconds_sum,
        )
        alerts = GaugeMetricFamily(
            "mailcheck_watch_alerts_open", "Open courier-watch alerts by kind", labels=["kind"]
        )
        for kind, n in counts.watch_open.items():
            alerts.add_metric([kind], n)
        yield from (reports, checks, actions, seconds, alerts)
        yield GaugeMetricFamily("mailcheck_queue_depth", "Jobs waiting on the RQ queue", value=depth)
        yield GaugeMetricFamily("mailcheck_workers", "Live RQ workers of the queue", value=workers)
