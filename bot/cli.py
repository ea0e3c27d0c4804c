"""The `mailcheck` console script: `check`, `bot`, `worker` (SPEC §2), `history`, `healthcheck`,
`--version`."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
from typing import TYPE_CHECKING

from workers.core.logs import configure_logging
from workers.core.settings import ConfigError, Settings, load_settings, require

if TYPE_CHECKING:
    from bot.errors import UserFacingError

EXIT_OK, EXIT_USAGE, EXIT_CONFIG = 0, 2, 3
EXIT_UNHEALTHY = 1


class _VersionAction(argparse.Action):
    """`--version`, looked up only when asked for (start-up time, SPEC §9)."""

    def __init__(self, option_strings: list[str], dest: str, **kwargs: object) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *args: object, **kwargs: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("mailcheck")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        print(f"mailcheck {found}")
        parser.exit()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mailcheck", description="Why did that user not get our email?")
    parser.add_argument("--version", action=_VersionAction)
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="run every diagnostic here and print the report")
    check.add_argument("email")
    check.add_argument("--json", action="store_true", help="print the report JSON")
    history = sub.add_parser("history", help="the reports and button presses for an address (needs Redis)")
    history.add_argument("email")
    history.add_argument("--json", action="store_true", help="print the entries as JSON")
    bot = sub.add_parser("bot", help="run the Slack app (Socket Mode when SLACK_APP_TOKEN is set)")
    bot.add_argument("--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)")
    bot.add_argument("--host", default="0.0.0.0", help="HTTP bind address (default: 0.0.0.0)")  # noqa: S104
    worker = sub.add_parser("worker", help="run an RQ worker with the scheduler")
    worker.add_argument("--burst", action="store_true", help="exit when the queue is empty")
    health = sub.add_parser("healthcheck", help="exit 0 when this container's bot or worker is healthy")
    health.add_argument("role", choices=["bot", "worker"])
    health.add_argument("--port", type=int, default=None, help="bot: HTTP port (default: $PORT or 3000)")
    return parser


def _check(settings: Settings, raw_email: str, as_json: bool) -> int:
    # Imported by the command that needs them (start-up time, SPEC §9): asyncio and email_validator
    # cost ~60 ms that `bot`, `worker` and `healthcheck` would pay for nothing.
    import asyncio
    import json

    from bot.errors import UserFacingError
    from bot.parse import normalize_address, typed_address
    from workers.checks.diagnostics import run_diagnostics
    from workers.report.model import new_report_id
    from workers.report.terminal import render_terminal

    try:
        email = normalize_address(raw_email)
    except UserFacingError as exc:
        return _usage_error(exc)
    typed = typed_address(raw_email)
    report = asyncio.run(run_diagnostics(email, settings, report_id=new_report_id(), typed=typed))
    print(json.dumps(report.to_dict(), indent=2) if as_json else render_terminal(report))
    return EXIT_OK


def _usage_error(exc: UserFacingError) -> int:
    print(f"mailcheck: {str(exc).splitlines()[0].removeprefix(':warning: ')}", file=sys.stderr)
    return EXIT_USAGE


def _history(settings: Settings, raw_email: str, as_json: bool) -> int:
    import json

    import redis

    from bot.errors import UserFacingError
    from bot.parse import normalize_address
    from workers.clients.redis_client import redis_client
    from workers.slack.api import SlackPoster, web_client
    from workers.slack.history import history_json, recall_history, render_history_plain

    try:
        email = normalize_address(raw_email)
    except UserFacingError as exc:
        return _usage_error(exc)
    poster = SlackPoster(web_client(settings)) if settings.slack_bot_token else None  # links need it
    days = settings.history_days
    try:
        # A terminal has no Slack audience: every entry, private conversations' too (an operator's tool).
        found = recall_history(redis_client(settings.redis_url), poster, email, days=days, asked_in=None)
    except redis.RedisError as exc:
        print(f"mailcheck: Redis at REDIS_URL cannot be read ({type(exc).__name__})", file=sys.stderr)
        return EXIT_UNHEALTHY
    print(
        json.dumps(history_json(found), indent=2)
        if as_json
        else render_history_plain(email, found, days=days)
    )
    return EXIT_OK


def _bot(settings: Settings, host: str, port: int | None) -> int:
    from bot.runner import run_bot

    run_bot(settings, host=host, port=port)
    return EXIT_OK


def _worker(settings: Settings, burst: bool) -> int:
    from workers.jobs.worker import run_worker

    require(settings, "slack_bot_token")
    run_worker(settings, burst=burst)
    return EXIT_OK


def _healthcheck(role: str, port: int | None) -> int:
    from bot.healthcheck import check_bot, check_worker

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"{role} unhealthy: {str(exc).splitlines()[-1].strip()}")
        return EXIT_UNHEALTHY
    status, line = check_bot(settings, port) if role == "bot" else check_worker(settings)
    print(line)
    return status


def _ended(code: int) -> int:
    """A one-shot command has answered and its process ends now: the interpreter's last collections
    need not walk everything it imported (~100 ms of a `mailcheck check`, bench/full_check.py)."""
    gc.freeze()
    return code


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "healthcheck":
        return _ended(_healthcheck(args.role, args.port))
    try:
        settings = load_settings()
        configure_logging(settings, logging.WARNING if args.command == "check" else logging.INFO)
        if args.command == "check":
            return _ended(_check(settings, args.email, args.json))
        if args.command == "history":
            return _ended(_history(settings, args.email, args.json))
        if args.command == "bot":
            return _bot(settings, args.host, args.port)
        return _worker(settings, args.burst)
    except ConfigError as exc:
        print(f"mailcheck: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
