"""`mailcheck worker`: an RQ worker on the mailcheck queue, with the scheduler (retries, follow-ups)."""

from __future__ import annotations

import redis
from rq import Worker
from rq.serializers import JSONSerializer

from workers.queueing import make_queue
from workers.settings import Settings


def run_worker(settings: Settings, *, burst: bool = False) -> bool:
    connection = redis.Redis.from_url(settings.redis_url)
    worker = Worker([make_queue(connection, settings)], connection=connection, serializer=JSONSerializer)
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="INFO"))
