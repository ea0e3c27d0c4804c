"""The history per address is one list for every Unicode spelling of the address (SPEC §12, §14)."""

from __future__ import annotations

import redis

from workers.clients.history import HistoryEntry, index_key, recall, remember


def test_nfc_and_nfd_spellings_share_one_history(redis_url: str) -> None:
    connection = redis.Redis.from_url(redis_url)
    composed, decomposed = "jos\u00e9@example.com", "jose\u0301@example.com"
    assert index_key(connection, composed) == index_key(connection, decomposed)
    remember(connection, decomposed, HistoryEntry("report", "r1", "C0SUPPORT", "1.0", "U0A"), days=30)
    assert [entry.report_id for entry in recall(connection, composed, days=30)] == ["r1"]
