"""Configured URLs as they may be shown to people (never with credentials, a query or a fragment), and
the sign that one points at a web page rather than an API."""

from __future__ import annotations

import httpx


def shown_url(url: httpx.URL | str) -> str:
    """scheme://host[:port][/path] of a configured URL (userinfo, query and fragment dropped)."""
    url = httpx.URL(url)
    host = f"[{url.host}]" if ":" in url.host else url.host
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{host}{port}{url.path.rstrip('/')}"


def is_html(response: httpx.Response) -> bool:
    """An HTML page (a login page, a proxy's or a UI's) where an API's JSON was expected."""
    if "html" in response.headers.get("content-type", "").lower():
        return True
    return response.content[:64].lstrip().lower().startswith((b"<!doctype", b"<html"))
