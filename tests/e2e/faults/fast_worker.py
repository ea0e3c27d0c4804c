"""`mailcheck worker` with lost-worker timings short enough for tests to watch a retry happen.

Production runs `WorkerTimings()` (a lost job is noticed within 85 s); here a killed worker's job is
retried after about 6 s. Everything else is the real worker.
"""

from __future__ import annotations

import logging

from workers.core.settings import load_settings
from workers.jobs.worker import WorkerTimings, run_worker

# A heartbeat every second; 4 s of silence (a busy 2-core CI box can starve a process for a moment)
# before a job counts as abandoned; maintenance and the reaper every second.
FAST = WorkerTimings(heartbeat_s=1, grace_s=4, maintenance_s=1)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    run_worker(load_settings(), timings=FAST)


if __name__ == "__main__":
    main()
