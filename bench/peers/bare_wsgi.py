"""The floor: a bare WSGI handler that checks Slack's signature and writes one Redis key, no framework.

Served by waitress like the bot. Usage: python -m bench.peers.bare_wsgi PORT REDIS_URL SIGNING_SECRET THREADS
"""

from __future__ import annotations

import hashlib
import hmac
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import redis
import waitress


def build(redis_url: str, signing_secret: str) -> Callable[..., Iterable[bytes]]:
    connection = redis.Redis.from_url(redis_url)
    secret = signing_secret.encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        timestamp = environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "0")
        expected = (
            "v0=" + hmac.new(secret, b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256).hexdigest()
        )
        fresh = abs(time.time() - int(timestamp)) < 300
        if not (fresh and hmac.compare_digest(expected, environ.get("HTTP_X_SLACK_SIGNATURE", ""))):
            start_response("401 Unauthorized", [("Content-Length", "0")])
            return [b""]
        form = parse_qs(body.decode())
        connection.set(f"peer:bare:{form['trigger_id'][0]}:{form['text'][0]}", form["user_id"][0], ex=600)
        start_response("200 OK", [("Content-Length", "0")])
        return [b""]

    return app


def main() -> None:
    port, redis_url, secret = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    threads = int(sys.argv[4])
    waitress.serve(build(redis_url, secret), host="127.0.0.1", port=port, threads=threads, ident="peer")


if __name__ == "__main__":
    main()
