"""Structured logs: JSON per line, the correlation id, and nothing secret."""

from __future__ import annotations

import json
import logging

import pytest

from workers.core.logs import JsonFormatter, configure_logging, correlated
from workers.core.settings import load_settings

SMTP_PASSWORD = "s3cr3t-Pa55"


def _record(message: str, *args: object, exc: bool = False) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise RuntimeError(f"boom with {SMTP_PASSWORD}")
        except RuntimeError:
            import sys

            exc_info = sys.exc_info()
    return logging.LogRecord("mailcheck.test", logging.WARNING, __file__, 1, message, args, exc_info)


def test_lines_are_json_with_the_correlation_id() -> None:
    formatter = JsonFormatter()
    with correlated("abc123"):
        line = json.loads(formatter.format(_record("report %s done in %d ms", "abc123", 42)))
    assert line["report_id"] == "abc123" and line["level"] == "warning" and line["logger"] == "mailcheck.test"
    assert line["msg"] == "report abc123 done in 42 ms"
    assert "report_id" not in json.loads(formatter.format(_record("outside")))


def test_secrets_codes_and_links_are_scrubbed() -> None:
    formatter = JsonFormatter(secrets=[SMTP_PASSWORD, "xoxb-real-token-value"])
    text = formatter.format(
        _record(
            "sent code 483920 via https://kratos/self-service/verification?code=483920&flow=f with %s and xoxb-real-token-value",
            SMTP_PASSWORD,
            exc=True,
        )
    )
    for leaked in (SMTP_PASSWORD, "483920", "self-service/verification?code", "xoxb-real-token-value"):
        assert leaked not in text
    assert "RuntimeError" in json.loads(text)["exc"]


def test_configure_logging_installs_one_json_handler(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COURIER_SMTP_CONNECTION_URI", f"smtps://user:{SMTP_PASSWORD}@smtp.example.com:465/")
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging(load_settings())
        logging.getLogger("workers.x").warning("connecting with %s", SMTP_PASSWORD)
        logging.getLogger("httpx").info("HTTP Request: GET http://kratos/admin?recipient=a@b.c")
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["logger"] for line in lines] == ["workers.x"]  # httpx request lines are quiet
    assert SMTP_PASSWORD not in lines[0]["msg"]
