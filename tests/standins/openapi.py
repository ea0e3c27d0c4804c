"""Validate a JSON response body against Kratos's published OpenAPI document (v26.2.0).

The stand-ins answer what real Kratos answers; this module is the guard that keeps them honest: every
body they send is checked against the schema the spec declares for that operation and status code.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError, best_match
from openapi_schema_validator import OAS30Validator, oas30_format_checker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

# The spec lives with the project's researched references; a vendored copy next to this file wins so
# the tests can also run from a checkout that lacks /work/shared.
_SPEC_CANDIDATES = (
    Path(__file__).with_name("kratos_api.json"),
    Path(__file__).resolve().parents[3] / "shared" / "reference" / "kratos" / "api.json",
)
_SPEC_URI = "urn:kratos:v26.2.0:api.json"
_FLOW_UPDATES = ("/self-service/verification", "/self-service/recovery")


def _find_spec() -> Path:
    for path in _SPEC_CANDIDATES:
        if path.is_file():
            return path
    raise FileNotFoundError(f"Kratos OpenAPI document not found in {[str(p) for p in _SPEC_CANDIDATES]}")


def _apply_errata(spec: dict[str, Any]) -> None:
    """Patch places where the spec contradicts what Kratos v26.2.0 really sends.

    Each entry is a documented, deliberate widening; anything else the stand-in sends must match the
    spec as published.
    """
    # sqlxx.NullTime marshals an unset time as JSON null (e.g. `verified_at` of an unverified
    # address), yet the spec declares a plain string.
    spec["components"]["schemas"]["nullTime"]["nullable"] = True
    # A missing or malformed `?flow=` fails before any flow is loaded, so Kratos answers 400 with the
    # generic error body rather than the flow the spec lists for 400.
    for path in _FLOW_UPDATES:
        media = spec["paths"][path]["post"]["responses"]["400"]["content"]["application/json"]
        media["schema"] = {"anyOf": [media["schema"], {"$ref": "#/components/schemas/errorGeneric"}]}


@functools.cache
def load_spec() -> dict[str, Any]:
    """The parsed spec (about 350 KB), with errata applied; parsed once per process."""
    spec: dict[str, Any] = json.loads(_find_spec().read_text(encoding="utf-8"))
    _apply_errata(spec)
    return spec


def _is_uuid(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not _RFC3339.match(value):
        return False
    # Python parses at most microseconds; Go may send nanoseconds.
    trimmed = re.sub(r"(\.\d{6})\d+", r"\1", value).replace("Z", "+00:00")
    try:
        datetime.fromisoformat(trimmed)
    except ValueError:
        return False
    return True


def _format_checker() -> FormatChecker:
    # The OAS 3.0 checker only knows numeric/binary formats; ids and timestamps are where a hand-written
    # stand-in most easily drifts, so check them too.
    checker = FormatChecker(formats=())
    checker.checkers = dict(oas30_format_checker.checkers)
    checkers: dict[str, Callable[[object], bool]] = {"uuid": _is_uuid, "date-time": _is_date_time}
    for name, func in checkers.items():
        checker.checks(name)(func)
    return checker


@functools.cache
def _registry() -> Registry[Any]:
    resource: Resource[Any] = DRAFT4.create_resource(load_spec())
    registry: Registry[Any] = Registry().with_resource(_SPEC_URI, resource)
    return registry


def _pointer_escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _match_template(path: str, paths: dict[str, Any]) -> str:
    path = path.split("?", 1)[0]
    if path in paths:
        return path
    for template in paths:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return template
    raise AssertionError(f"no operation in the Kratos spec matches path {path!r}")


def _schema_pointer(method: str, path: str, status: int) -> str | None:
    """JSON pointer (inside the spec) of the response schema, or None for a body-less response."""
    spec = load_spec()
    template = _match_template(path, spec["paths"])
    operation = spec["paths"][template].get(method.lower())
    if operation is None:
        raise AssertionError(f"the Kratos spec has no {method.upper()} {template}")
    responses = operation["responses"]
    key = str(status) if str(status) in responses else "default"
    if key not in responses:
        raise AssertionError(f"{method.upper()} {template} declares no response {status} and no default")
    pointer = f"/paths/{_pointer_escape(template)}/{method.lower()}/responses/{key}"
    response = responses[key]
    if "$ref" in response:
        pointer = response["$ref"].removeprefix("#")
        response = spec["components"]["responses"][pointer.rsplit("/", 1)[1]]
    if "application/json" not in response.get("content", {}):
        return None
    return f"{pointer}/content/application~1json/schema"


@functools.cache
def _validator(pointer: str) -> Any:
    schema = {"$ref": f"{_SPEC_URI}#{pointer}"}
    return OAS30Validator(schema, registry=_registry(), format_checker=_format_checker())


def validate_response(method: str, path: str, status: int, body: Any) -> None:
    """Raise AssertionError unless `body` is what the spec allows for `method path` answering `status`.

    `path` is either a spec template (`/admin/courier/messages/{id}`) or a concrete request path (a
    query string is ignored).
    """
    pointer = _schema_pointer(method, path, status)
    if pointer is None:
        if body is not None:
            raise AssertionError(f"{method.upper()} {path} {status}: the spec declares no JSON body")
        return
    errors = list(_validator(pointer).iter_errors(body))
    if errors:
        # best_match first (it picks the most telling error), then a few more for context.
        ordered = [best_match(errors), *(e for e in errors if e is not best_match(errors))]
        lines = [f"  at {_where(e)}: {_describe(e)}" for e in ordered[:_MAX_REPORTED]]
        more = f"\n  ... and {len(errors) - _MAX_REPORTED} more" if len(errors) > _MAX_REPORTED else ""
        raise AssertionError(
            f"{method.upper()} {path} -> {status}: body does not match the Kratos spec "
            f"({len(errors)} violation(s)):\n" + "\n".join(lines) + more
        )


_MAX_REPORTED = 5


def _where(error: ValidationError) -> str:
    return "/" + "/".join(str(p) for p in error.absolute_path)


def _describe(error: ValidationError, limit: int = 200) -> str:
    if len(error.message) <= limit:
        return error.message
    # jsonschema echoes whole values; name the broken rule instead of dumping them.
    shown = _short(repr(error.instance))
    if error.validator == "enum" and isinstance(error.validator_value, list):
        return f"{shown} is not one of the {len(error.validator_value)} allowed values"
    return f"{shown} fails {error.validator!r}: {_short(repr(error.validator_value))}"


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
