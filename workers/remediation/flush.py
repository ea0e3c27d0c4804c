"""The Flush button: run COURIER_FLUSH_COMMAND (e.g. `podman restart prod_ciam-kratos_1`), which makes
the courier re-attempt its queue on this deployment.

The command is split with shell rules but run without a shell, with a timeout (its whole process
group is killed then), stdin closed, and a minimal environment: the worker's own environment holds
the Slack token and API keys, and nothing the command prints may carry them. A command that needs
more environment says so itself (`env XDG_RUNTIME_DIR=/run/user/1000 podman restart …`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from collections.abc import Sequence
from dataclasses import dataclass

from workers.core.scrub import last_lines, scrub

OUTPUT_TAIL_MAX = 500  # SPEC §7: the reply shows at most this much of the command's output
KEEP_BYTES = 16 * 1024  # only the end of the output is kept; a chatty command cannot fill memory
CHILD_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8"}
READ_CHUNK = 4096
INSTANCE_PLACEHOLDER = "{instance}"  # e.g. `podman restart prod_{instance}-kratos_1` (SPEC §12)


@dataclass(frozen=True)
class FlushResult:
    exit_status: int | None  # None: it could not start, or was killed at the timeout
    output: str  # the scrubbed last lines, at most OUTPUT_TAIL_MAX characters
    problem: str = ""  # why it did not run to its own end ("" when it exited by itself)

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    def describe(self) -> str:
        if self.problem:
            return self.problem
        return f"the flush command exited with status {self.exit_status}"


async def run_flush(
    command: str, *, timeout: float, secrets: Sequence[str] = (), instance: str = ""
) -> FlushResult:
    """Run the command once; never raises. `{instance}` in it becomes the Kratos instance's name."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return FlushResult(None, "", f"COURIER_FLUSH_COMMAND cannot be split with shell rules ({exc})")
    # After splitting, in each word: the name (validated by the settings: [a-z0-9_-]) can never add or
    # split an argument. It comes from KRATOS_INSTANCES only, never from anything typed in Slack.
    argv = [word.replace(INSTANCE_PLACEHOLDER, instance) for word in argv]
    if not argv:
        return FlushResult(None, "", "COURIER_FLUSH_COMMAND is empty")
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            env=CHILD_ENV,
            start_new_session=True,  # its own process group, so a timeout kills its children too
        )
    except OSError as exc:
        return FlushResult(None, "", f"the flush command could not be started ({exc.strerror or exc})")
    tail = _Tail()
    try:
        async with asyncio.timeout(timeout):
            await tail.read_all(process)
            status = await process.wait()
    except TimeoutError:
        _kill_group(process.pid)
        await process.wait()
        return FlushResult(None, tail.text(secrets), f"the flush command timed out after {timeout:g} s")
    return FlushResult(status, tail.text(secrets))


class _Tail:
    """The last KEEP_BYTES of the output."""

    def __init__(self) -> None:
        self._data = bytearray()
        self._cut = False

    async def read_all(self, process: asyncio.subprocess.Process) -> None:
        if process.stdout is None:
            return
        while chunk := await process.stdout.read(READ_CHUNK):
            self._data.extend(chunk)
            if len(self._data) > KEEP_BYTES:
                del self._data[: len(self._data) - KEEP_BYTES]
                self._cut = True

    def text(self, secrets: Sequence[str]) -> str:
        text = self._data.decode("utf-8", "replace")
        if self._cut:
            # The first line was cut mid-way and could hold half a secret no pattern recognises.
            text = text.partition("\n")[2]
        return last_lines(scrub(text, secrets), OUTPUT_TAIL_MAX)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
