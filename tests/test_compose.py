"""compose.yaml is valid against the Compose specification's JSON schema, runs what we expect, and
passes every SPEC §3 setting from .env to the bot and the workers (SPEC §13).

`docker compose config` is not available here, so the test resolves `env_file` and `environment` the
way Compose does for the files we ship. The list of settings is SPEC §3's table itself, read from
shared/SPEC.md beside the clone (as the Compose schema is), so a setting added there is missed here
until .env.example carries it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SCHEMA = SHARED / "reference" / "compose" / "compose-spec.json"
SPEC = SHARED / "SPEC.md"
MAILCHECK_SERVICES = ("bot", "worker")
COMPOSE_REDIS_URL = "redis://redis:6379/0"
_SETTING_LINE = re.compile(r"^#? ?([A-Z][A-Z0-9_]*)=(.*)$")


def _shared(path: Path) -> Path:
    if not path.exists():
        pytest.fail(f"{path} is missing: the tests read shared/ beside the clone")
    return path


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "compose.yaml").read_text()))


def _validate(document: Any) -> None:
    # The schema says draft-07 under a URI jsonschema does not know; name the draft instead.
    jsonschema.Draft7Validator(json.loads(_shared(SCHEMA).read_text())).validate(document)


def spec_settings() -> list[str]:
    """The variables of SPEC §3's table, in order."""
    text = _shared(SPEC).read_text()
    section = text.split("\n## 3.", 1)[1].split("\n## 4.", 1)[0]
    names = re.findall(r"^\| `([A-Z][A-Z0-9_]*)` \|", section, flags=re.MULTILINE)
    assert len(names) >= 30, "SPEC §3's table was not found"
    return names


def example_settings() -> dict[str, str]:
    """Every setting of .env.example, the ones commented out (defaults, examples) included."""
    settings: dict[str, str] = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = _SETTING_LINE.match(line)
        if match:
            assert match[1] not in settings, f"{match[1]} twice in .env.example"
            settings[match[1]] = match[2]
    return settings


def read_env_file(path: Path) -> dict[str, str]:
    """Compose's env_file format as far as our files use it: NAME=value, # comments, blank lines."""
    env: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        assert sep, f"{path.name}: not NAME=value: {line!r}"
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        env[name.strip()] = value
    return env


def service_environment(service: dict[str, Any], project_dir: Path) -> dict[str, str]:
    """What the container gets: env_file entries in order, then `environment`, which wins."""
    env: dict[str, str] = {}
    entries = service.get("env_file", [])
    for entry in [entries] if isinstance(entries, str) else entries:
        spec = {"path": entry} if isinstance(entry, str) else entry
        path = project_dir / spec["path"]
        if path.exists():
            env.update(read_env_file(path))
        elif spec.get("required", True):
            raise FileNotFoundError(f"env_file {path} is required")
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    env.update({name: str(value) for name, value in environment.items()})
    return env


def test_compose_file_matches_the_compose_spec() -> None:
    compose = _compose()
    _validate(compose)
    services = compose["services"]
    assert set(services) == {"redis", *MAILCHECK_SERVICES}
    assert services["bot"]["command"] == ["bot"] and services["worker"]["command"] == ["worker"]
    assert "replicas" in services["worker"]["deploy"]  # workers scale
    assert "ports" not in services["worker"]
    assert services["bot"]["ports"] == ["${PORT:-3000}:${PORT:-3000}"]


def test_the_project_image_is_built_never_pulled() -> None:
    services = _compose()["services"]
    for name in MAILCHECK_SERVICES:
        assert services[name]["build"] == "." and services[name]["pull_policy"] == "build"
        assert services[name]["depends_on"]["redis"]["condition"] == "service_healthy"


def test_every_service_has_a_real_healthcheck() -> None:
    services = _compose()["services"]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    for name in MAILCHECK_SERVICES:
        check = services[name]["healthcheck"]
        assert check["test"] == ["CMD", "mailcheck", "healthcheck", name]  # tests/bot/test_healthcheck.py
        assert not check.get("disable")


def test_env_example_names_every_spec_setting() -> None:
    example, spec = set(example_settings()), set(spec_settings())
    assert sorted(spec - example) == [], "missing from .env.example"
    assert sorted(example - spec) == [], "in .env.example but not in SPEC §3"


def test_every_setting_in_dotenv_reaches_bot_and_workers(tmp_path: Path) -> None:
    """An operator's .env holding every setting of .env.example, each uncommented."""
    settings = example_settings()
    (tmp_path / ".env").write_text("".join(f"{name}={value}\n" for name, value in settings.items()))
    services = _compose()["services"]
    for name in MAILCHECK_SERVICES:
        env = service_environment(services[name], tmp_path)
        missing = [setting for setting in spec_settings() if setting not in env]
        assert missing == [], f"{name} does not get {missing}"
        assert env.pop("REDIS_URL") == COMPOSE_REDIS_URL  # the one container-network override
        assert env == {k: v for k, v in settings.items() if k != "REDIS_URL"}, name


def test_compose_runs_without_a_dotenv(tmp_path: Path) -> None:
    services = _compose()["services"]
    for name in MAILCHECK_SERVICES:
        assert service_environment(services[name], tmp_path) == {"REDIS_URL": COMPOSE_REDIS_URL}


def test_schema_rejects_a_broken_file() -> None:
    broken = {"services": {"bot": {"image": "x", "replica": 2}}}
    with pytest.raises(jsonschema.ValidationError):
        _validate(broken)


def test_the_image_is_pinned_locked_healthchecked_and_not_root() -> None:
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    base = next(line.split()[1] for line in lines if line.startswith("FROM "))
    assert re.fullmatch(r"python:3\.11\.\d+-slim-bookworm(@sha256:[0-9a-f]{64})?", base), base
    assert any("pip install -c constraints.txt ." in line for line in lines)
    assert 'CMD ["mailcheck", "healthcheck", "bot"]' in lines
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1] not in ("root", "0")
