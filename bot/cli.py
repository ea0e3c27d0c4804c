"""The `mailcheck` console script: `check`, `bot`, `worker` (SPEC §2), `healthcheck`, `--version`."""

from __future__ import annotations

import argparse
import logging
import sys

from workers.core.logs import configure_logging
from workers.core.settings import ConfigError, Settings, load_settings, require

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
    from bot.parse import normalize_address
    from workers.checks.diagnostics import run_diagnostics
    from workers.report.model import new_report_id
    from workers.report.terminal import render_terminal

    try:
        email = normalize_address(raw_email)
    except UserFacingError as exc:
        print(f"mailcheck: {str(exc).splitlines()[0].removeprefix(':warning: ')}", file=sys.stderr)
        return EXIT_USAGE
    report = asyncio.run(run_diagnostics(email, settings, report_id=new_report_id()))
    print(json.dumps(report.to_dict(), indent=2) if as_json else render_terminal(report))
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


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "healthcheck":
        return _healthcheck(args.role, args.port)
    try:
        settings = load_settings()
        configure_logging(settings, logging.WARNING if args.command == "check" else logging.INFO)
        if args.command == "check":
            return _check(settings, args.email, args.json)
        if args.command == "bot":
            return _bot(settings, args.host, args.port)
        return _worker(settings, args.burst)
    except ConfigError as exc:
        print(f"mailcheck: {exc}", file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
