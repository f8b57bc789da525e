"""A job's result from its posts: the analysis pass and the job's own fields, fitted to the item limit.

Pure CPU on plain data, and light to import (no storage, no providers, no boto3 or httpx): the local stack's embedded
mode runs it in a second process (``local_stack.analysis_pool``) while the worker's storage calls stay in the stack's.
"""

from __future__ import annotations

from datetime import UTC, datetime

from social_analytics.analyses.outcomes import FetchedPosts
from social_analytics.analyses.sources.coverage import add_sentiment, parse_iso
from social_analytics.models import AnalysisJob, isoformat_z
from social_analytics.scoring.limits import fit_result
from social_analytics.scoring.summary import analyze


def build_result(job: AnalysisJob, fetched: FetchedPosts, previous_result: dict | None) -> dict:
    """The job's result from its posts: the analysis pass, the job's own fields, fitted to the item limit.

    Raises ``ResultTooLarge`` (``scoring.limits``) when even the fitted result is too large."""
    coverage = fetched.extra.get("coverage") or {}
    fields = analyze(
        fetched.posts,
        job.keyword,
        fetched.window,
        previous_result=previous_result,
        covered_from=parse_iso(coverage.get("covered_from")),
        languages=job.languages,
    )
    by_provider = fields.pop("sentiment_by_provider", {})
    if isinstance(fetched.source.get("providers"), list):  # per-source sentiment, to compare channels
        add_sentiment(fetched.source["providers"], by_provider)
    result = {
        "keyword": job.keyword,
        **fields,
        "source": fetched.source,
        "window": {
            "start": isoformat_z(fetched.window.start),
            "end": isoformat_z(fetched.window.end),
            "hours": job.window_hours,
        },
        "analyzed_at": isoformat_z(datetime.now(UTC)),
        **fetched.extra,
    }
    return fit_result(result)
