"""The archive's file layout, hive-style so Athena (a Glue table partitioned by ``dt`` and ``hour``) reads it as is.

    posts/dt=2026-12-07/hour=15/part-<first time_us>-<token>.parquet   one per stream run and hour (small)
    posts/dt=2026-12-07/hour=15/hour.parquet                            the hour compacted (zstd, one file)
    deletes/dt=2026-12-07/hour=15/...                                   the same, for Jetstream delete commits
    meta/coverage.json                                                  the spans the archive's runs read

Hours are UTC and named by the time Jetstream received the event (``time_us``), the clock every coverage is kept in.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime

HOUR_US = 3_600_000_000
POSTS = "posts"
DELETES = "deletes"
COMPACTED = "hour.parquet"
COVERAGE_KEY = "meta/coverage.json"
_HOUR_KEY = re.compile(r"^(posts|deletes)/dt=(\d{4}-\d{2}-\d{2})/hour=(\d{2})/([^/]+)$")


def hour_of(time_us: int) -> int:
    """The start of the hour holding ``time_us``, in µs."""
    return time_us - time_us % HOUR_US


def hour_prefix(kind: str, hour_us: int) -> str:
    moment = datetime.fromtimestamp(hour_us / 1e6, UTC)
    return f"{kind}/dt={moment:%Y-%m-%d}/hour={moment:%H}/"


def part_key(kind: str, hour_us: int, first_us: int) -> str:
    return f"{hour_prefix(kind, hour_us)}part-{first_us}-{secrets.token_hex(4)}.parquet"


def compacted_key(kind: str, hour_us: int) -> str:
    return hour_prefix(kind, hour_us) + COMPACTED


def parse_key(key: str) -> tuple[str, int, str] | None:
    """``(kind, hour µs, file name)`` of a data file's key, None for anything else."""
    found = _HOUR_KEY.match(key)
    if not found:
        return None
    kind, day, hour, name = found.groups()
    moment = datetime.strptime(f"{day} {hour}", "%Y-%m-%d %H").replace(tzinfo=UTC)
    return kind, int(moment.timestamp()) * 1_000_000, name


def hours_between(from_us: int, to_us: int) -> list[int]:
    """Every hour overlapping [from, to)."""
    return list(range(hour_of(from_us), to_us, HOUR_US)) if to_us > from_us else []
