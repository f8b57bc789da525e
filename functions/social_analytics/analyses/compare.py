"""Share of voice: each keyword's share of the estimated posts in the window of its latest result, with sentiment.

A result capped by its limit holds ``limit`` posts however busy the keyword is, so shares use each result's
``volume.estimated_posts_in_window`` (exact when its sources returned everything, else a provider's reported count
or the observed rate extrapolated to the window: ``service.coverage``). ``volume`` stays the posts analyzed. Each row
says its ``basis``; the body's ``basis`` is the weakest among the analyzed rows (rate < reported < complete).
Results stored before volumes existed are estimated from their timeline (posts over the span back to the oldest
non-empty bucket, basis ``rate``).
"""

from __future__ import annotations

from datetime import datetime

from social_analytics import composition
from social_analytics.analyses.sources.coverage import weakest
from social_analytics.query import parse_query

MAX_KEYWORDS = 10


def share_of_voice(keywords: list[str]) -> dict:
    """Keywords that normalize to the same key count once (the first spelling wins)."""
    rows: list[dict] = []
    seen: set[str] = set()
    for keyword in keywords:
        key = parse_query(keyword).key
        if key in seen:
            continue
        seen.add(key)
        stored = composition.analysis.results.get_latest_result(key)
        if stored is None:
            rows.append(
                {
                    "keyword": " ".join(keyword.split()),
                    "key": key,
                    "analyzed": False,
                    "volume": 0,
                    "estimated_posts_in_window": 0,
                    "basis": None,
                }
            )
            continue
        result = stored.result
        sentiment = result.get("sentiment") or {}
        volume = int(result.get("posts_analyzed") or 0)
        rows.append(
            {
                "keyword": result.get("keyword", keyword),
                "key": key,
                "analyzed": True,
                "volume": volume,
                **_estimate(result, volume),
                "sentiment": {
                    "positive": int(sentiment.get("positive") or 0),
                    "neutral": int(sentiment.get("neutral") or 0),
                    "negative": int(sentiment.get("negative") or 0),
                    "mean_compound": float(sentiment.get("mean_compound") or 0.0),
                    "negative_share": round(int(sentiment.get("negative") or 0) / volume, 4) if volume else 0.0,
                },
                "analyzed_at": result.get("analyzed_at"),
                "simulated": bool((result.get("source") or {}).get("simulated")),
            }
        )
    total = sum(row["volume"] for row in rows)
    estimated = sum(row["estimated_posts_in_window"] for row in rows)
    for row in rows:
        row["share"] = round(row["estimated_posts_in_window"] / estimated, 4) if estimated else 0.0
    return {
        "total_volume": total,
        "total_estimated_posts": estimated,
        "basis": weakest(row["basis"] for row in rows if row["analyzed"]),
        "keywords": rows,
    }


def _estimate(result: dict, count: int) -> dict:
    volume = result.get("volume")
    if isinstance(volume, dict) and "estimated_posts_in_window" in volume:
        return {
            "estimated_posts_in_window": int(volume["estimated_posts_in_window"]),
            "basis": volume.get("basis") or "rate",
            "window_hours": (result.get("window") or {}).get("hours"),
        }
    window = result.get("window") or {}
    hours = float(window.get("hours") or 24)
    starts = [b["start"] for b in result.get("timeline") or [] if b.get("posts")]
    estimate = count
    if starts and window.get("end"):
        oldest = datetime.fromisoformat(min(starts).replace("Z", "+00:00"))
        end = datetime.fromisoformat(window["end"].replace("Z", "+00:00"))
        span = min(hours, max((end - oldest).total_seconds() / 3600, 0.25))
        estimate = max(count, round(count / span * hours))
    return {"estimated_posts_in_window": estimate, "basis": "rate", "window_hours": window.get("hours")}
