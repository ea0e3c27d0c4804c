"""The bot asks RQ's registry whether a worker serves the queue; a worker seen is remembered briefly,
so that a burst of commands does not read the registry once per command."""

from __future__ import annotations

import redis
from rq import Queue, Worker
from rq.serializers import JSONSerializer

from bot.worker_presence import WorkerPresence


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_worker_seen_is_remembered_for_the_ttl_and_no_worker_is_never_remembered(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    queue = Queue("presence", connection=connection, serializer=JSONSerializer)
    clock = Clock()
    presence = WorkerPresence(ttl_s=2.0, clock=clock)
    assert presence.alive(queue) is False

    worker = Worker([queue], connection=connection, serializer=JSONSerializer)
    worker.register_birth()
    assert presence.alive(queue) is True  # not remembered as absent: seen at once

    worker.register_death()
    clock.now += 1.9
    assert presence.alive(queue) is True  # within the TTL: the registry was not read again
    clock.now += 0.2
    assert presence.alive(queue) is False  # past it: read again, and the worker is gone
    connection.close()


def test_redis_unreachable_says_nothing_rather_than_something_wrong() -> None:
    connection = redis.Redis(port=1, socket_connect_timeout=0.2)
    queue = Queue("presence", connection=connection, serializer=JSONSerializer)
    assert WorkerPresence().alive(queue) is True
