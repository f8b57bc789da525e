"""Which spans the archive holds: the spans its runs read, minus the stream's gaps, within the retention. Pure.

Every stream run that archives adds the span it read (its start cursor to its stored cursor) to
``meta/coverage.json``; touching spans merge. A query window is cut at the hours; a piece is covered when a span
holds all of it, or all of it but a tail after the newest span's end shorter than ``tail_tolerance_us`` (the stream
runs every minute, so the last minute or two of the present is always still being read). Anything else is uncovered,
with the reason: before the archive started, past the retention, a stream gap, not read yet, or not archived
(the archive was off then).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from social_analytics.archive.layout import HOUR_US, hour_of

DEFAULT_TAIL_TOLERANCE_US = 180 * 1_000_000
JOIN_TOLERANCE_US = 60 * 1_000_000  # runs this close count as continuous (the cursor is rewound on resume anyway)


@dataclass(frozen=True)
class Piece:
    from_us: int
    to_us: int
    covered: bool
    reason: str = ""


def parse(data: bytes | None) -> list[tuple[int, int]]:
    if not data:
        return []
    try:
        spans = json.loads(data)["spans"]
        return sorted((int(a), int(b)) for a, b in spans if int(b) > int(a))
    except (ValueError, KeyError, TypeError):
        return []


def dump(spans: list[tuple[int, int]]) -> bytes:
    return json.dumps({"spans": [[a, b] for a, b in spans]}, separators=(",", ":")).encode()


def extend(spans: list[tuple[int, int]], from_us: int, to_us: int, floor_us: int = 0) -> list[tuple[int, int]]:
    """``spans`` with [from, to] added, touching spans merged, spans ending before ``floor_us`` dropped."""
    items = sorted([*spans, (from_us, to_us)] if to_us > from_us else spans)
    merged: list[tuple[int, int]] = []
    for start, end in items:
        if merged and start <= merged[-1][1] + JOIN_TOLERANCE_US:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return [(max(a, floor_us), b) for a, b in merged if b > floor_us]


def subtract(spans: list[tuple[int, int]], gaps: list[dict]) -> list[tuple[int, int]]:
    """The spans without the stream's gaps (``{"from_us", "to_us"}``)."""
    result = list(spans)
    for gap in gaps:
        low, high = int(gap["from_us"]), int(gap["to_us"])
        cut: list[tuple[int, int]] = []
        for start, end in result:
            if high <= start or low >= end:
                cut.append((start, end))
                continue
            if start < low:
                cut.append((start, low))
            if high < end:
                cut.append((high, end))
        result = cut
    return result


def pieces(
    spans: list[tuple[int, int]],
    gaps: list[dict],
    floor_us: int,
    from_us: int,
    to_us: int,
    tail_tolerance_us: int = DEFAULT_TAIL_TOLERANCE_US,
) -> list[Piece]:
    """The window [from, to) cut at the hours, each piece covered or not (and why)."""
    held = subtract(spans, gaps)
    newest = max((b for _, b in spans), default=None)
    first = min((a for a, _ in spans), default=None)
    out: list[Piece] = []
    for hour in range(hour_of(from_us), to_us, HOUR_US):
        low, high = max(hour, from_us), min(hour + HOUR_US, to_us)
        if high <= low:
            continue
        end = high
        if newest is not None and newest < high <= newest + tail_tolerance_us:
            end = max(low, newest)  # the present's last minutes: still being read
        if low < floor_us:
            out.append(Piece(low, high, False, "past_retention"))
            continue
        if end <= low or any(a <= low and end <= b for a, b in held):
            out.append(Piece(low, high, True))
            continue
        if first is None or low < first:  # (partly) before the first span
            reason = "before_archive"
        elif any(int(g["from_us"]) < high and int(g["to_us"]) > low for g in gaps):
            reason = "stream_gap"
        elif newest is not None and high > newest:
            reason = "not_read_yet"
        else:
            reason = "not_archived"
        out.append(Piece(low, high, False, reason))
    return out
