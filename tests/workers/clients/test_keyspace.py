"""Every Redis key is named in one place, with how long it lives (issue 20): workers/clients/keyspace.py."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.processes import ROOT
from workers.clients import keyspace

KEY = re.compile(r"^mailcheck:[a-z_]")
HOME = ROOT / "workers" / "clients" / "keyspace.py"


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            found.add(id(first.value))
    return found


def key_literals(path: Path) -> list[str]:
    """The `mailcheck:…` strings of a module's code (its docstrings may name keys to explain them)."""
    tree = ast.parse(path.read_text())
    skip = _docstrings(tree)
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        if KEY.match(node.value)
    ]


def test_no_key_is_spelled_outside_the_keyspace() -> None:
    sources = [p for p in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("workers/**/*.py")] if p != HOME]
    spelled = {str(p.relative_to(ROOT)): found for p in sources if (found := key_literals(p))}
    assert spelled == {}


def test_the_check_finds_a_key_spelled_elsewhere(tmp_path: Path) -> None:
    module = tmp_path / "module.py"
    module.write_text(
        '"""Keys like `mailcheck:report:<id>` may be named here."""\nKEY = "mailcheck:sneaky:"\n'
    )
    assert key_literals(module) == ["mailcheck:sneaky:"]


def test_every_key_of_the_module_is_in_its_table_with_how_long_it_lives() -> None:
    names = [n for n in dir(keyspace) if n.endswith(("_KEY", "_PREFIX")) and n.isupper()]
    values = {getattr(keyspace, n) for n in names}
    tabled = [family.key for family in keyspace.KEYSPACE]
    assert all(any(row.startswith(value) for row in tabled) for value in values)
    assert len(tabled) == len(set(tabled)) and all(family.lives for family in keyspace.KEYSPACE)
    assert all(KEY.match(value) for value in values)
