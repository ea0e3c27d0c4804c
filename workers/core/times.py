"""Times as our dependencies write them, read one way.

Kratos writes RFC 3339 ("…Z"); the providers disagree ("2026-04-03 22:13:42.67+00", "…Z", naive UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

# Kratos, the providers and this worker keep their own clocks: times from two of them compare within this.
CLOCK_SKEW = timedelta(minutes=1)


def parse_time(value: object) -> datetime:
    """An ISO 8601 / RFC 3339 time (or a datetime) as an aware datetime; raises ValueError otherwise.

    Naive times are taken as UTC (SMTP2GO's suppression timestamps carry no zone; assumption).
    """
    if isinstance(value, str):
        value = datetime.fromisoformat(value.strip())
    if not isinstance(value, datetime):
        raise ValueError(f"not a time: {type(value).__name__}")
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value
