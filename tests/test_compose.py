"""compose.yaml is valid against the Compose specification's JSON schema and runs what we expect."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT.parent / "shared" / "reference" / "compose" / "compose-spec.json"


def test_compose_file_matches_the_compose_spec() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validate(compose, schema)
    services = compose["services"]
    assert set(services) == {"redis", "bot", "worker"}
    assert services["bot"]["command"][0] == "bot" and services["worker"]["command"] == ["worker"]
    assert "replicas" in services["worker"]["deploy"]  # workers scale
    assert "ports" not in services["worker"]
    for name in ("bot", "worker"):
        assert services[name]["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_schema_rejects_a_broken_file() -> None:
    schema = json.loads(SCHEMA.read_text())
    broken = {"services": {"bot": {"image": "x", "replica": 2}}}
    try:
        jsonschema.validate(broken, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("the schema accepted an unknown service key")
