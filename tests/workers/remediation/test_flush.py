"""The flush command: argv without a shell, a timeout, a minimal environment, scrubbed output."""

from __future__ import annotations

import asyncio
import shlex
import sys
import time

from workers.remediation.flush import CHILD_ENV, OUTPUT_TAIL_MAX, run_flush

PYTHON = shlex.quote(sys.executable)


def _run(code: str, *, timeout: float = 10.0, secrets: tuple[str, ...] = ()):
    return asyncio.run(run_flush(f"{PYTHON} -c {shlex.quote(code)}", timeout=timeout, secrets=secrets))


def test_exit_status_and_scrubbed_last_lines() -> None:
    code = (
        "import sys\n"
        "for i in range(200): print(f'restarting step {i:03d} ' + 'x' * 30)\n"
        "print('connected with hunter2-the-password and token xoxb-1-2-3')\n"
        "print('send code 654321 via https://kratos/self-service/recovery?flow=x')\n"
        "sys.exit(3)\n"
    )
    result = _run(code, secrets=("hunter2-the-password",))
    assert result.exit_status == 3 and not result.ok
    assert result.describe() == "the flush command exited with status 3"
    assert len(result.output) <= OUTPUT_TAIL_MAX
    assert "step 199" in result.output and "step 000" not in result.output
    for leak in ("hunter2-the-password", "xoxb-1-2-3", "654321", "flow=x"):
        assert leak not in result.output


def test_success_runs_without_a_shell() -> None:
    # `;` and `$HOME` reach the program as plain arguments: no shell ever sees them.
    result = asyncio.run(run_flush(f"{PYTHON} -c 'import sys; print(sys.argv[1:])' ';' '$HOME'", timeout=10))
    assert result.ok and result.exit_status == 0
    assert result.output == "[';', '$HOME']"


def test_environment_is_minimal() -> None:
    result = _run("import os; print(sorted(os.environ))")
    assert result.ok
    assert result.output == str(sorted(CHILD_ENV))


def test_timeout_kills_the_command_and_its_children() -> None:
    code = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "print('child', child.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    result = _run(code, timeout=1.0)
    assert result.exit_status is None and not result.ok
    assert "timed out after 1 s" in result.describe()
    child_pid = int(result.output.split()[-1])
    assert _gone(child_pid)


def _gone(pid: int) -> bool:
    import os

    for _ in range(100):
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a killed child of ours would be a zombie until reaped by init; it is not our child
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split()[2] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


def test_unusable_commands_fail_with_a_reason() -> None:
    missing = asyncio.run(run_flush("/nonexistent/podman restart kratos", timeout=5))
    assert missing.exit_status is None and "could not be started" in missing.describe()
    unbalanced = asyncio.run(run_flush("podman restart 'kratos", timeout=5))
    assert "cannot be split" in unbalanced.describe()
    empty = asyncio.run(run_flush("   ", timeout=5))
    assert empty.describe() == "COURIER_FLUSH_COMMAND is empty"


def test_instance_placeholder_is_filled_in_each_word_after_splitting() -> None:
    # `{instance}` is replaced inside words, after shell splitting: the name can never add an argument.
    command = (
        f"{PYTHON} -c 'import sys; print(sys.argv[1:])' prod_{{instance}}-kratos_1 '{{instance}} x' {{other}}"
    )
    result = asyncio.run(run_flush(command, timeout=10, instance="iam"))
    assert result.ok
    assert result.output == "['prod_iam-kratos_1', 'iam x', '{other}']"
