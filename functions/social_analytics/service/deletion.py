"""Delete a keyword's stored data (admin): results, history, cursors, posts, finished jobs, alerts."""

from __future__ import annotations

from social_analytics.models import normalize_keyword
from social_analytics.service import submissions
from social_analytics.storage import alerts as alert_store
from social_analytics.storage import purge
from social_analytics.storage import stream as stream_store


def delete_keyword(keyword: str) -> dict:
    key = normalize_keyword(keyword)
    deleted = purge.delete_keyword_items(key)
    skipped_locks = deleted.pop("skipped_in_flight")
    jobs, running = purge.delete_finished_jobs(key)
    deleted["jobs"] = jobs
    deleted["alerts"] = alert_store.delete_alerts(key)
    deleted["stream_minutes"] = stream_store.delete_keyword(key)
    submissions.hot_results.forget(key)
    return {
        "keyword": " ".join(keyword.split()),
        "key": key,
        "deleted": deleted,
        "kept": {"running_jobs": running, "in_flight_locks": skipped_locks},
    }
