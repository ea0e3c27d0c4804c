"""The dependency directions of ARCHITECTURE.md, read from the source: the layout cannot rot silently."""

from __future__ import annotations

import ast
import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT

ARCHITECTURE = ROOT / "ARCHITECTURE.md"
_TABLE_ROW = re.compile(r"^\| `([\w/.]+)` \| (.+?) \|(?: .* \|)?$")
_MODULE_LINE = re.compile(r"^- `([\w/*.]+\.py)` — ")
_ROOM_HEADING = re.compile(r"^### `([\w/]+)/` — ")


def _section(title: str) -> list[str]:
    """The lines of one `## ` section of ARCHITECTURE.md."""
    lines = ARCHITECTURE.read_text().splitlines()
    start = lines.index(title) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return lines[start:end]


def _dotted(path: str) -> str:
    return path.strip("/").removesuffix(".py").replace("/", ".")


def _table(title: str) -> dict[str, set[str]]:
    rows: dict[str, set[str]] = {}
    for line in _section(title):
        match = _TABLE_ROW.match(line.strip())
        if match and not match.group(1).startswith("-"):
            rows[_dotted(match.group(1))] = {
                _dotted(room) for room in re.findall(r"`([\w/]+/)`", match.group(2))
            }
    return rows


# room -> the rooms its modules may import (besides their own), and single modules allowed one more
# room: both read from ARCHITECTURE.md, which says why.
MAY_IMPORT: dict[str, set[str]] = _table("## Rooms and what each may import")
EXCEPTIONS: dict[str, set[str]] = _table("## Exceptions")


def documented_modules() -> dict[str, list[str]]:
    """Room -> the module lines (paths or patterns, relative to the room) of ARCHITECTURE.md."""
    found: dict[str, list[str]] = {}
    room = ""
    for line in _section("## Each room, module by module"):
        if heading := _ROOM_HEADING.match(line):
            room = _dotted(heading.group(1))
            found[room] = []
        elif room and (match := _MODULE_LINE.match(line)):
            found[room].append(match.group(1))
    return found


def diagram(may_import: dict[str, set[str]]) -> str:
    """Each room and the rooms it may import, the most dependent first (the page's diagram)."""

    def short(room: str) -> str:
        return room.removeprefix("workers.")

    order = sorted(may_import, key=lambda room: (-len(may_import[room]), room))
    lines = []
    for room in order:
        allowed = sorted(may_import[room], key=lambda r: (-len(may_import.get(r, ())), r))
        lines.append(f"{short(room):<12} ──▶ {' · '.join(map(short, allowed)) or '(nothing)'}")
    return "\n".join(lines)


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


# ---- ARCHITECTURE.md is the one source of the rooms and names every module ----------------------------


def test_the_page_has_every_room_and_an_exception_for_the_cli() -> None:
    assert set(MAY_IMPORT) == {
        "bot",
        *(f"workers.{p.name}" for p in ROOT.glob("workers/*/") if p.is_dir() and p.name != "__pycache__"),
    }
    assert {"bot.cli": {"workers.checks"}} == EXCEPTIONS


def _has_code(path: Path) -> bool:
    """A package's `__init__.py` that holds only its docstring is no module of its own."""
    body = ast.parse(path.read_text()).body
    return path.name != "__init__.py" or any(not isinstance(node, ast.Expr) for node in body)


def _modules_of(room: str) -> list[str]:
    base = ROOT.joinpath(*room.split("."))
    return sorted(str(path.relative_to(base)) for path in base.rglob("*.py") if _has_code(path))


def test_every_module_is_on_the_page_and_every_line_names_one() -> None:
    documented = documented_modules()
    assert set(documented) == set(MAY_IMPORT)
    for room, lines in documented.items():
        modules = _modules_of(room)
        unlisted = [m for m in modules if not any(fnmatch.fnmatch(m, line) for line in lines)]
        assert unlisted == [], f"{room}: add a line to ARCHITECTURE.md for {unlisted}"
        stale = [line for line in lines if not any(fnmatch.fnmatch(m, line) for m in modules)]
        assert stale == [], f"{room}: ARCHITECTURE.md names modules that are gone: {stale}"


def test_the_diagram_is_the_one_the_table_gives() -> None:
    block = "\n".join(_section("## Diagram"))
    drawn = block.split("```text\n", 1)[1].split("\n```", 1)[0]
    assert drawn == diagram(MAY_IMPORT), "paste `python -m tests.test_architecture` into ARCHITECTURE.md"


if __name__ == "__main__":
    print(diagram(MAY_IMPORT))
