"""Coverage and volume: what span each source's posts cover, and how many posts the window really holds.

Pure (no I/O). A fetch that stops at its limit holds only the newest posts: they cover the time back to the oldest of
them, not the whole window, and their count says nothing about how busy the keyword is. So, per source:

* ``complete``: the source returned everything it has in the window (it ran out of pages before the limit).
  ``covered_from`` is then the window's start; otherwise the oldest post it returned. ``covered_to`` is the window's
  end (every source answers newest first).
* Counts are of the *matching* posts (``sources.checking``): ``fetched`` is what the source returned, ``matched``
  what passed the query's check, ``off_topic`` the rest; coverage (span, completeness) follows what was fetched.
* ``estimated_posts_in_window`` and ``basis``: ``complete`` -> the exact count of matching posts; else a provider's
  own count when it gave one (``reported``: Algolia's ``nbHits``, a Mastodon trending tag's per-day uses), scaled by
  the source's matched share (matched / fetched: the provider counts its own loose matches too) and
  ``reported_matching`` / ``reported_note`` say so; else ``rate``: the matching posts over the covered span (at
  least 15 minutes), extrapolated to the window.

For the result: ``coverage.covered_from`` is the latest ``covered_from`` of the sources that answered (the span in
which every answering source's posts are all present), ``coverage.complete`` is true only when every live source
tried answered and was complete. ``volume.estimated_posts_in_window`` is the exact merged count when complete, else
the sum of the sources' estimates (never less than the posts observed); its ``basis`` is the weakest basis among
the answering sources (rate < reported < complete). ``posts_per_hour`` = estimate / window hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta

from social_analytics.analyses.sources.base import FetchResult
from social_analytics.models import Post, TimeWindow, isoformat_z

MIN_SPAN = timedelta(minutes=15)
BASIS_ORDER = ("rate", "reported", "complete")  # weakest first


def weakest(bases: Iterable[str]) -> str | None:
    found = [b for b in bases if b in BASIS_ORDER]
    return min(found, key=BASIS_ORDER.index) if found else None


def source_estimate(
    result: FetchResult, window: TimeWindow, limit: int, fetched_posts: Sequence[Post] | None = None
) -> dict:
    """Coverage and volume of one source's answer (see the module docstring): ``result.posts`` are the matching
    posts, ``fetched_posts`` everything the source returned (the same when not given)."""
    fetched_posts = result.posts if fetched_posts is None else fetched_posts
    if result.exact_total is not None:
        return _exact_estimate(result, window)
    fetched, matched = len(fetched_posts), len(result.posts)
    complete = result.complete if result.complete is not None else fetched < limit
    oldest = min((p.created_at for p in fetched_posts), default=None)
    covered_from = window.start if complete or oldest is None else max(window.start, oldest)
    hours = window.hours or 1.0
    scaled = None
    if result.reported_total is not None and fetched:
        scaled = round(result.reported_total * matched / fetched)
    if complete:
        estimate, basis = matched, "complete"
    elif scaled is not None:
        estimate, basis = max(matched, scaled), "reported"
    else:
        span = max(window.end - covered_from, MIN_SPAN).total_seconds() / 3600
        estimate, basis = max(matched, round(matched / span * hours)), "rate"
    extra = {"reported_matching": scaled, "matched_share": (matched, fetched)} if scaled is not None else {}
    return {
        **extra,
        "covered_from": covered_from,
        "covered_to": window.end,
        "complete": complete,
        "posts_per_hour": round(estimate / hours, 3),
        "estimated_posts_in_window": int(estimate),
        "basis": basis,
    }


def _exact_estimate(result: FetchResult, window: TimeWindow) -> dict:
    """A source that counted every match of the hours it holds: the exact count, ``complete`` basis for those hours;
    the row is complete only when it holds the whole window (``result.uncovered`` empty and every post returned)."""
    missing = sum((parse_iso(u["to"]) - parse_iso(u["from"])).total_seconds() for u in result.uncovered) / 3600
    hours = max(window.hours - missing, 0.0) or 1.0  # the rate of the hours it holds
    total = int(result.exact_total or 0)
    return {
        "covered_from": result.covered_from or window.start,
        "covered_to": window.end,
        "complete": bool(result.complete) and not result.uncovered,
        "posts_per_hour": round(total / hours, 3),
        "estimated_posts_in_window": total,
        "basis": "complete",
    }


def row(
    provider: str,
    outcome: str,
    *,
    ms: float = 0.0,
    cost: float = 0.0,
    reason: str = "",
    estimate: dict | None = None,
    posts: int = 0,
    fetched: int = 0,
    result: FetchResult | None = None,
    off_topic: int = 0,
    sent_query: str = "",
) -> dict:
    """One ``source.providers`` row (sentiment is added once the posts are scored: ``add_sentiment``)."""
    estimate = estimate or {}
    item: dict = {
        "provider": provider,
        "outcome": outcome,
        "posts": posts,
        "fetched": fetched,
        "matched": fetched - off_topic,
        "off_topic": off_topic,
        "duplicates": max(0, fetched - off_topic - posts) if outcome == "ok" else 0,
        "sent_query": sent_query,
        "covered_from": _iso(estimate.get("covered_from")),
        "covered_to": _iso(estimate.get("covered_to")),
        "complete": bool(estimate.get("complete", False)),
        "posts_per_hour": estimate.get("posts_per_hour", 0.0),
        "estimated_posts_in_window": estimate.get("estimated_posts_in_window", 0),
        "basis": estimate.get("basis"),
        "ms": round(ms, 1),
        "cost_estimate_usd": round(cost, 6),
    }
    if reason:
        item["reason"] = reason
    if result is not None and result.reported_total is not None:
        item["reported_total"] = result.reported_total
        item["reported_note"] = result.reported_note
        if "reported_matching" in estimate:
            matched, total = estimate["matched_share"]
            item["reported_matching"] = estimate["reported_matching"]
            item["reported_note"] += f"; scaled by the share of its posts that matched the query ({matched}/{total})"
        else:
            item["reported_note"] += "; not used: none of its posts could be checked"
    if result is not None and result.account:
        item["account"] = result.account
    if result is not None and result.exact_total is not None:
        item["exact_total"] = result.exact_total
        item["uncovered"] = result.uncovered
    return item


def summarize(rows: list[dict], estimates: list[dict], observed: int, window: TimeWindow) -> tuple[dict, dict]:
    """``(coverage, volume)`` of the merged result from the answering sources' rows and estimates (one each, same
    order; skipped and failed rows have no estimate and make the coverage incomplete)."""
    answered = [(r, e) for r, e in zip(rows, estimates, strict=True) if r["outcome"] == "ok" and e]
    live_rows = [r for r in rows if r["provider"] != "simulated"]
    everyone_answered = bool(live_rows) and all(r["outcome"] == "ok" for r in live_rows)
    if not live_rows:  # only the simulated source was asked
        everyone_answered = all(r["outcome"] == "ok" for r in rows) and bool(rows)
    complete = everyone_answered and all(e["complete"] for _, e in answered) and bool(answered)
    covered_from: datetime | None = max((e["covered_from"] for _, e in answered), default=None)
    coverage = {
        "window_from": isoformat_z(window.start),
        "window_to": isoformat_z(window.end),
        "covered_from": _iso(covered_from),
        "covered_to": isoformat_z(window.end) if answered else None,
        "complete": complete,
    }
    hours = window.hours or 1.0
    if answered and all(e["complete"] for _, e in answered):
        estimate, basis = observed, "complete"
    elif answered:
        estimate = max(observed, sum(e["estimated_posts_in_window"] for _, e in answered))
        basis = weakest(e["basis"] for _, e in answered) or "rate"
    else:
        estimate, basis = observed, "complete"
    volume = {
        "observed_posts": observed,
        "posts_per_hour": round(estimate / hours, 3),
        "estimated_posts_in_window": int(estimate),
        "basis": basis,
        "sources_missing": [r["provider"] for r in live_rows if r["outcome"] != "ok"],
    }
    return coverage, volume


def add_sentiment(rows: list[dict], by_provider: dict[str, dict]) -> None:
    """Per-source label counts and mean compound (of the posts the scorer reads), as ``analyze`` counted them."""
    for item in rows:
        item["sentiment"] = by_provider.get(item["provider"]) or _empty_sentiment()


def _empty_sentiment() -> dict:
    return {"positive": 0, "neutral": 0, "negative": 0, "mean_compound": 0.0}


def _iso(moment: datetime | None) -> str | None:
    return isoformat_z(moment) if moment is not None else None


def parse_iso(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))
