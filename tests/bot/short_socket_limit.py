"""`mailcheck bot` whose /healthz turns 503 after 1 s without a Socket Mode connection instead of 30 s,
so that a test can watch it happen. Everything else is the real bot."""

from __future__ import annotations

import sys

import bot.healthz
from bot.cli import main

bot.healthz.SOCKET_DOWN_LIMIT_S = 1.0

if __name__ == "__main__":
    sys.exit(main())
