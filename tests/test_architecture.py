"""The dependency directions of ARCHITECTURE.md, read from the source: the layout cannot rot silently."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT

# room -> the rooms its modules may import (besides their own). ARCHITECTURE.md says why.
MAY_IMPORT: dict[str, set[str]] = {
    "workers.core": set(),
    "workers.report": {"workers.core"},
    "workers.clients": {"workers.core", "workers.report"},
    "workers.providers": {"workers.core", "workers.report", "workers.clients"},
    "workers.checks": {"workers.core", "workers.report", "workers.clients", "workers.providers"},
    "workers.remediation": {"workers.core", "workers.report", "workers.clients", "workers.providers"},
    "workers.slack": {"workers.core", "workers.report", "workers.clients"},
    "workers.jobs": {
        "workers.core",
        "workers.report",
        "workers.clients",
        "workers.providers",
        "workers.checks",
        "workers.remediation",
        "workers.slack",
    },
    "bot": {
        "workers.remediation",  # only the guard: exactly-once claims and the send counter, before enqueueing
        "workers.core",
        "workers.report",
        "workers.clients",
        "workers.providers",  # only the Resend webhook receiver, which stores events for the check
        "workers.slack",
        "workers.jobs",
    },
}


# Single modules allowed one more room, and why.
EXCEPTIONS: dict[str, set[str]] = {
    # `mailcheck check` runs the diagnostics in-process; it imports them inside the command only.
    "bot.cli": {"workers.checks"},
}


def room_of(module: str) -> str:
    if module == "bot" or module.startswith("bot."):
        return "bot"
    parts = module.split(".")
    return ".".join(parts[:2])


def module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def imports_of(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in found if name.split(".")[0] in ("bot", "workers")}


def sources() -> list[Path]:
    return sorted([*ROOT.glob("bot/**/*.py"), *ROOT.glob("workers/*/**/*.py")])


def test_every_module_lives_in_a_room() -> None:
    loose = sorted(p.name for p in ROOT.glob("workers/*.py") if p.name != "__init__.py")
    assert loose == [], f"modules outside any room: {loose}"
    rooms = {room_of(module_name(path)) for path in sources()}
    assert rooms <= set(MAY_IMPORT), rooms - set(MAY_IMPORT)


@pytest.mark.parametrize("path", sources(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_the_documented_way(path: Path) -> None:
    room = room_of(module_name(path))
    allowed = MAY_IMPORT[room] | {room} | EXCEPTIONS.get(module_name(path), set())
    wrong = sorted(
        name
        for name in imports_of(path)
        if name.count(".") >= 1 or name == "bot"
        if room_of(name) not in allowed and room_of(name) in MAY_IMPORT
    )
    assert wrong == [], f"{room} may not import {wrong} (see ARCHITECTURE.md)"


def test_the_rule_catches_a_wrong_import(tmp_path: Path) -> None:
    bad = ROOT / "workers" / "core" / "_probe_for_rule_test.py"
    assert not bad.exists()
    source = "from workers.checks.smtp.check import check_smtp\n"
    assert room_of("workers.checks.smtp.check") not in MAY_IMPORT["workers.core"]
    parsed = tmp_path / "probe.py"
    parsed.write_text(source)
    assert "workers.checks.smtp.check" in imports_of(parsed)


def _loaded_after(imports: str, package: str) -> list[str]:
    """The modules of `package` a fresh interpreter has loaded after `import {imports}`."""
    code = (
        f"import sys, {imports}; print('\\n'.join(m for m in sys.modules if m.split('.')[0] == '{package}'))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_the_bot_process_loads_no_check() -> None:
    """SPEC/issue: the bot imports no check module (they belong to the work-horse)."""
    loaded = _loaded_after(
        "bot.app, bot.server, bot.runner, bot.listeners.commands, bot.listeners.actions", "workers"
    )
    assert [m for m in loaded if m.startswith("workers.checks")] == []


def test_mailcheck_check_loads_no_slack_framework() -> None:
    """`mailcheck check` imports what it needs when run (SPEC §9); Bolt is the bot's, ~50 ms it would
    pay for nothing."""
    loaded = _loaded_after(
        "bot.cli, bot.parse, workers.checks.diagnostics, workers.report.terminal", "slack_bolt"
    )
    assert loaded == []


def _module_graph() -> dict[str, set[str]]:
    """Every module of bot/ and workers/ → the modules of ours it imports, function-level imports too."""
    names = {module_name(path) for path in sources()}
    graph: dict[str, set[str]] = {}
    for path in sources():
        found = set()
        for name in imports_of(path):
            # `from a.b import c` names a.b and a.b.c; keep whichever is a module of ours
            while name and name not in names:
                name = name.rpartition(".")[0]
            if name and name != module_name(path):
                found.add(name)
        graph[module_name(path)] = found
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_anywhere() -> None:
    """Issue 20: no two modules import each other, directly or round about, not even inside a function
    (the button jobs once did: one imported the other inside its functions)."""
    assert _cycles(_module_graph()) == []


def test_the_circle_check_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []
