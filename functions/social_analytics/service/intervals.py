"""95 % Wilson score intervals for the sentiment shares.

Wilson rather than the normal approximation ("share +- 1.96 standard errors"): it stays inside 0..1, is not zero
wide at 0 % or 100 %, and keeps close to its nominal coverage for small counts (Brown, Cai & DasGupta 2001), which
is exactly where an interval matters (a keyword with 12 scored posts). Written out (a few lines of arithmetic)
rather than importing scipy/statsmodels into the Lambda layer for one formula.
"""

from __future__ import annotations

import math

CONFIDENCE = 0.95
Z = 1.959963984540054  # the standard normal's 97.5th percentile


def wilson(successes: int, n: int, z: float = Z) -> list[float]:
    """``[low, high]`` of the Wilson interval for ``successes`` out of ``n`` (``[0.0, 1.0]`` when ``n`` is 0)."""
    if n <= 0:
        return [0.0, 1.0]
    p = successes / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return [round(max(0.0, centre - half), 4), round(min(1.0, centre + half), 4)]


def share_intervals(positive: int, neutral: int, negative: int) -> dict:
    """The ``sentiment.intervals`` block: one Wilson interval per label share over the scored posts."""
    n = positive + neutral + negative
    return {
        "positive": wilson(positive, n),
        "neutral": wilson(neutral, n),
        "negative": wilson(negative, n),
        "method": "wilson",
        "confidence": CONFIDENCE,
        "n": n,
    }
