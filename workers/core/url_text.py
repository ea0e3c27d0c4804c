"""Configured URLs as they may be shown to people: never with credentials, a query or a fragment."""

from __future__ import annotations

import httpx


def shown_url(url: httpx.URL | str) -> str:
    """scheme://host[:port][/path] of a configured URL (userinfo, query and fragment dropped)."""
    url = httpx.URL(url)
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{host}{port}{url.path.rstrip('/')}"
