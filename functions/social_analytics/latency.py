"""Latency histograms with logarithmic buckets: exact counts, percentiles within 5 %.

Buckets are stored as plain counters (so DynamoDB can ``ADD`` to them atomically from many containers)
instead of keeping every sample.
"""

from __future__ import annotations

import math

_SMALLEST_MS = 0.01
_GROWTH = 1.1  # each bucket is 10 % wider than the last: the midpoint is within 5 % of any value in it


def bucket_of(milliseconds: float) -> int:
    if milliseconds <= _SMALLEST_MS:
        return 0
    return math.ceil(math.log(milliseconds / _SMALLEST_MS, _GROWTH))


def bucket_midpoint(index: int) -> float:
    if index == 0:
        return _SMALLEST_MS
    return _SMALLEST_MS * _GROWTH ** (index - 0.5)


def percentile(buckets: dict[int, int], fraction: float) -> float | None:
    """The ``fraction`` percentile (0..1) of the histogram, in ms; None when it is empty."""
    total = sum(buckets.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for index in sorted(buckets):
        seen += buckets[index]
        if seen >= rank:
            return round(bucket_midpoint(index), 3)
    return round(bucket_midpoint(max(buckets)), 3)
