"""Which terms trend: log-likelihood G-squared (Rayson & Garside 2000) against the keyword's own baseline.

For a term seen ``a`` times in the current corpus of ``c`` tokens and ``b`` times in the baseline of ``d`` tokens,
with expected counts ``E1 = c (a + b) / (c + d)`` and ``E2 = d (a + b) / (c + d)``::

    G2 = 2 (a ln(a / E1) + b ln(b / E2))

G2 is chi-squared with one degree of freedom under "same rate in both", so G2 >= 3.84 means p < 0.05. We also ask
for ``MIN_COUNT`` occurrences in the current corpus (G2 over-reacts to very rare words) and apply the 3.84 cut-off
per term without a multiple-comparison correction: it flags candidates, it is not a paper's claim (so the
``trend_score`` is reported as is and the reader can apply a stricter cut, e.g. 10.83 for p < 0.001).

Corpus sizes are token counts (all content words). Baselines:

* ``history``: the keyword's previous result: its ``term_counts`` (the ``TERM_COUNTS`` most frequent words with
  their counts, which every new result carries) or, for older results, its ``top_terms``, and its ``term_tokens``.
  See ``baseline_from_history`` for terms the list does not name.
* ``window``: without a previous result, the older half of the posts (by post time) against the newer half.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping

SIGNIFICANT_G2 = 3.84  # chi-squared, 1 degree of freedom, p = 0.05
MIN_COUNT = 5
TOP_EMERGING = 10
TERM_COUNTS = 200  # terms kept with their counts in each result (``term_counts``), the next result's baseline


def g_squared(a: int, b: int, c: int, d: int) -> float:
    """Rayson & Garside's log-likelihood for a term seen ``a`` times in ``c`` tokens now, ``b`` in ``d`` before."""
    if c <= 0 or d <= 0 or a + b == 0:
        return 0.0
    e1 = c * (a + b) / (c + d)
    e2 = d * (a + b) / (c + d)
    g2 = 0.0
    if a:
        g2 += a * math.log(a / e1)
    if b:
        g2 += b * math.log(b / e2)
    return max(0.0, 2.0 * g2)


def direction(a: int, b: int, c: int, d: int) -> str:
    if c <= 0 or d <= 0:
        return "flat"
    now, before = a / c, b / d
    return "up" if now > before else "down" if now < before else "flat"


def baseline_from_history(previous_result: dict | None, tokens_per_post: float) -> tuple[Counter[str], int, int] | None:
    """``(term counts, token total, count assumed for an unlisted term)`` of the previous result, or ``None``.

    The previous result lists only its most frequent terms (``term_counts``, else ``top_terms``). When that list is
    full, an unlisted term may still have occurred up to the smallest listed count, so that count is assumed
    (conservative for rising terms); when it is not full, unlisted terms did not occur. Its token total is its
    ``term_tokens``, else its posts times the current tokens per post."""
    if not previous_result:
        return None
    listed = previous_result.get("term_counts")
    cap = TERM_COUNTS
    if not isinstance(listed, list) or not listed:
        listed, cap = previous_result.get("top_terms") or [], 25
    counts: Counter[str] = Counter()
    for item in listed:
        term, count = item.get("term"), item.get("count")
        if isinstance(term, str) and isinstance(count, int | float) and count > 0:
            counts[term] = int(count)
    if not counts:
        return None
    tokens = previous_result.get("term_tokens")
    if not isinstance(tokens, int) or tokens <= 0:
        tokens = round((previous_result.get("posts_analyzed") or 0) * tokens_per_post) or sum(counts.values())
    floor = min(counts.values()) if len(counts) >= cap else 0
    return counts, tokens, floor


def annotate(
    top_terms: list[dict],
    current: Mapping[str, int],
    current_tokens: int,
    baseline: Counter[str],
    baseline_tokens: int,
    floor: int = 0,
) -> tuple[list[dict], list[dict]]:
    """Adds ``trend_score``, ``trend_direction`` and ``significant`` to each top term (in place) and returns
    ``(top_terms, emerging_terms)``: terms of the current corpus with at least ``MIN_COUNT`` occurrences that
    the baseline does not have, by G2."""
    for item in top_terms:
        a = current.get(item["term"], 0)
        b = baseline.get(item["term"], floor)
        score = g_squared(a, b, current_tokens, baseline_tokens)
        item["trend_score"] = round(score, 3)
        item["trend_direction"] = direction(a, b, current_tokens, baseline_tokens)
        item["significant"] = bool(score >= SIGNIFICANT_G2 and a >= MIN_COUNT and item["trend_direction"] != "flat")
    emerging = []
    for term, a in current.items():
        if a >= MIN_COUNT and term not in baseline:
            score = g_squared(a, floor, current_tokens, baseline_tokens)
            if score >= SIGNIFICANT_G2 and a / current_tokens > floor / baseline_tokens:
                emerging.append({"term": term, "count": a, "trend_score": round(score, 3)})
    emerging.sort(key=lambda e: (-e["trend_score"], e["term"]))
    return top_terms, emerging[:TOP_EMERGING]
