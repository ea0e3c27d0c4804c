"""Structured JSON logs, one object per line, with the report's correlation id and no secrets.

Every line passes through the same scrubber as remote text (known secret values from the settings,
token/key shapes, links, code-like numbers), so a careless log call cannot leak what SPEC §7 forbids.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import ParamSpec, TypeVar

from workers.core.scrub import scrub, settings_secrets
from workers.core.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")

correlation_id: contextvars.ContextVar[str] = contextvars.ContextVar("correlation_id", default="")

# Libraries that log request URLs (with recipients and flow ids in the query) at INFO.
QUIET_LOGGERS = ("httpx", "httpcore", "slack_sdk", "slack_bolt", "urllib3")


@contextlib.contextmanager
def correlated(report_id: str) -> Iterator[None]:
    """Tag every log line emitted inside (tasks and threads started inside inherit it)."""
    token = correlation_id.set(report_id)
    try:
        yield
    finally:
        correlation_id.reset(token)


def correlated_job(job: Callable[P, R]) -> Callable[P, R]:
    """For RQ entry points whose first argument is the report id: tag their lines with it."""

    @functools.wraps(job)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        report_id = str(kwargs.get("report_id") or (args[0] if args else ""))
        with correlated(report_id):
            return job(*args, **kwargs)

    return run


class JsonFormatter(logging.Formatter):
    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self._secrets = tuple(secrets)

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": scrub(record.getMessage(), self._secrets),
        }
        report_id = correlation_id.get() or getattr(record, "report_id", "")
        if report_id:
            entry["report_id"] = report_id
        if record.exc_info:
            entry["exc"] = scrub(self.formatException(record.exc_info), self._secrets)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(settings: Settings, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(settings_secrets(settings)))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
