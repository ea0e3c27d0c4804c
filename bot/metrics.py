"""Prometheus metrics of the bot process (served at GET /metrics)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


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
