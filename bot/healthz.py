"""`GET /healthz` (SPEC §13): Redis reachable, the queue's live workers and waiting jobs, and in Socket
Mode the state of the socket."""

from __future__ import annotations

from typing import Any, Protocol

import redis
from rq import Worker

from bot.deps import Deps
from workers.clients.alert_store import AlertStore

# 503 once the Socket Mode connection has been down this long (read at every request, so that a test
# process may shorten it).
SOCKET_DOWN_LIMIT_S = 30.0


class SocketLink(Protocol):
    def down_for(self) -> float:
        """Seconds since the socket was last connected; 0.0 while it is connected."""
        ...


def healthz(deps: Deps, socket: SocketLink | None) -> tuple[bool, dict[str, Any]]:
    """(healthy, the body to answer with)."""
    try:
        deps.redis.ping()
        workers, queued = Worker.count(queue=deps.queue), deps.queue.count
    except redis.RedisError as exc:
        body: dict[str, Any] = {"ok": False, "redis": f"unreachable: {type(exc).__name__}"}
        if socket is not None:
            body["socket"] = _socket_state(socket.down_for())
        return False, body
    down_for = 0.0 if socket is None else socket.down_for()
    ok = down_for <= SOCKET_DOWN_LIMIT_S
    body = {"ok": ok, "redis": "ok", "workers": workers, "queued": queued}
    body["socket"] = "n/a" if socket is None else _socket_state(down_for)
    body["watch"] = _watch_state(deps)
    if not ok:
        body["socket_down_s"] = int(down_for)
    return ok, body


def _watch_state(deps: Deps) -> str:
    """SPEC §16: a WATCH_CHANNEL the bot cannot post to is told here (the watch itself keeps trying);
    it does not make the bot unhealthy, which restarting it would not cure."""
    if not deps.settings.watch_channel:
        return "off"
    try:
        return AlertStore(deps.redis).post_problem() or "ok"
    except redis.RedisError:
        return "unknown"


def _socket_state(down_for: float) -> str:
    return "connected" if down_for == 0.0 else "disconnected"
