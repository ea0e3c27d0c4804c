"""Reports in Redis: found again by `report_id` for buttons and re-runs (TTL 7 days)."""

from __future__ import annotations

import json
from dataclasses import dataclass, fields
from typing import Any

import redis

from workers.clients.keyspace import REPORT_PREFIX, REPORT_TTL_S
from workers.report.model import Report


@dataclass
class StoredReport:
    """A report and where it lives in Slack."""

    report: Report
    channel: str
    ts: str
    requester: str
    thread_ts: str = ""  # set for re-runs, which live in the original report's thread
    typed: str = ""  # the address as typed when it differs from report.email (its NFC form), SPEC §14
    # Asked in a private channel, a DM or a group DM (SPEC §16: its history entries stay there).
    # Reports stored before this was kept count as private: fail closed.
    private: bool = True

    def to_json(self) -> str:
        # Field by field: `asdict` would deep-copy the whole report only to have it replaced.
        data: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        data["report"] = self.report.to_dict()
        return json.dumps(data)

    @classmethod
    def from_json(cls, raw: str | bytes) -> StoredReport:
        data = json.loads(raw)
        data["report"] = Report.from_dict(data["report"])
        return cls(**data)


class ReportStore:
    def __init__(self, connection: redis.Redis) -> None:
        self._redis = connection

    def save(self, stored: StoredReport) -> None:
        self._redis.set(REPORT_PREFIX + stored.report.report_id, stored.to_json(), ex=REPORT_TTL_S)

    def load(self, report_id: str) -> StoredReport | None:
        raw = self._redis.get(REPORT_PREFIX + report_id)
        return StoredReport.from_json(raw) if isinstance(raw, (str, bytes)) else None
