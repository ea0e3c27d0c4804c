"""`mailcheck bot` or the fast fault-test worker with a 2 s Slack HTTP timeout instead of 10 s, so that a
Slack call that hangs after it landed times out within a test. Everything else is the real process.

    python -m tests.e2e.faults.quick_slack bot --host 127.0.0.1 --port N
    python -m tests.e2e.faults.quick_slack worker
"""

from __future__ import annotations

import sys

import workers.slack.api

QUICK_SLACK_TIMEOUT_S = 2
workers.slack.api.SLACK_HTTP_TIMEOUT_S = QUICK_SLACK_TIMEOUT_S


def main() -> int:
    if sys.argv[1:2] == ["worker"]:
        from tests.e2e.faults.fast_worker import main as worker

        worker()
        return 0
    from bot.cli import main as cli

    return cli()


if __name__ == "__main__":
    sys.exit(main())
