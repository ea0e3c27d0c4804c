"""Imported by Python at start-up when this folder is on PYTHONPATH (the egress test puts it there
for the bot and the worker): appends every outgoing connection, datagram and name lookup of the
process, and of the work-horses it forks, to the file named by EGRESS_AUDIT_LOG."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

_LOG = os.environ.get("EGRESS_AUDIT_LOG")
_TARGET_ARG = {"socket.connect": 1, "socket.sendto": 1, "socket.sendmsg": 1, "socket.getaddrinfo": 0}


def _record(event: str, args: tuple[Any, ...]) -> None:
    index = _TARGET_ARG.get(event)
    if index is None or _LOG is None:
        return
    target = args[index]
    if event == "socket.getaddrinfo":
        target = [args[0], args[1]]
    elif event == "socket.connect" and not isinstance(target, tuple):
        return  # a Unix socket: nothing leaves the host
    line = json.dumps({"event": event, "pid": os.getpid(), "target": target}, default=str)
    with open(_LOG, "a", encoding="utf-8") as log:
        log.write(line + "\n")


if _LOG:
    sys.addaudithook(_record)
