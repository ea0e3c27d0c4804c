"""Pure steps of a report's lifecycle (workers/jobs/lifecycle.py); the Redis-backed ones are in
test_reaper.py beside the reaper that uses them."""

from __future__ import annotations

from workers.clients.store import StoredReport
from workers.jobs.lifecycle import with_parent
from workers.report.model import Report, State


def test_a_settling_job_keeps_what_only_the_bot_knows() -> None:
    """The job builds its StoredReport from its arguments; where the parent is (its ts, the ticket's
    thread it was posted in) and whether it was asked in a private conversation come from what the bot
    stored. Before, only the ts was kept: a shortcut's report lost its thread, and every settled report
    counted as private."""
    bot = StoredReport(
        Report("r1", "a@example.com"), "C0SUPPORT", "1.2", "U0AGENT", thread_ts="1.1", private=False
    )
    job = StoredReport(Report("r1", "a@example.com", state=State.COMPLETE), "C0SUPPORT", "", "U0AGENT")
    merged = with_parent(job, bot)
    assert (merged.ts, merged.thread_ts, merged.private) == ("1.2", "1.1", False)
    assert merged.report.state == State.COMPLETE  # the job's result, with the bot's facts
    assert with_parent(job, None) is job
