"""Share of voice: each keyword's share of the total volume of the latest results, with its sentiment."""

from __future__ import annotations

from social_analytics.models import normalize_keyword
from social_analytics.storage import jobs as job_store

MAX_KEYWORDS = 10


def share_of_voice(keywords: list[str]) -> dict:
    """Keywords that normalize to the same key count once (the first spelling wins)."""
    rows: list[dict] = []
    seen: set[str] = set()
    for keyword in keywords:
        key = normalize_keyword(keyword)
        if key in seen:
            continue
        seen.add(key)
        stored = job_store.get_latest_result(key)
        if stored is None:
            rows.append({"keyword": " ".join(keyword.split()), "key": key, "analyzed": False, "volume": 0})
            continue
        result = stored[0]
        sentiment = result.get("sentiment") or {}
        volume = int(result.get("posts_analyzed") or 0)
        rows.append(
            {
                "keyword": result.get("keyword", keyword),
                "key": key,
                "analyzed": True,
                "volume": volume,
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
    for row in rows:
        row["share"] = round(row["volume"] / total, 4) if total else 0.0
    return {"total_volume": total, "keywords": rows}
