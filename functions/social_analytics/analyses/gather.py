"""The worker's post sources for one job: the provider chain (with incremental scans) or an uploaded import.

* One pooled ``httpx.AsyncClient`` per container *and* event loop (``composition.http_client()``): Powertools'
  AsyncBatchProcessor reuses the thread's loop in Lambda (``LAMBDA_TASK_ROOT`` set), tests get a new loop per call,
  and a client must not outlive the loop its connections belong to.
* Sources are fanned out (``sources.fanout``): every live source at once, merged and deduplicated, simulated only
  when no live source answered. Provider failures never raise: they are in ``source["attempts"]`` and
  ``source["providers"]`` (the worker turns those into the ProviderErrors metric). Only when every provider failed
  and nothing was returned (possible only when ``PROVIDERS`` leaves out ``simulated``) is the job failed
  (``no_data``). The result gains ``coverage`` and ``volume`` (``analyses.sources.coverage``).
* Incremental scans, per source: the stored window holds each answering source's own posts (``provider`` is their
  comma-separated names) and a cursor per source. When it still covers the new window (same or longer window, at
  least as many posts, not expired), each of its sources is asked only for newer posts, merged into its own stored
  posts (``sources.incremental``); any other source fetches in full. The live answers with a cursor then become the
  stored window. Imports and simulated posts are never stored.
* Sources' own series (GDELT's average news tone) go in the result as ``news_tone``, apart from the sentiment; each
  job also records its sources' health (``observability.meter.sources_used``, read by ``GET /api/sources``).
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import timedelta

from social_analytics import composition
from social_analytics.analyses.outcomes import FetchedPosts, JobFailed
from social_analytics.analyses.ports import Cursors, PostWindows
from social_analytics.analyses.sources.base import UnconfiguredAdapter
from social_analytics.analyses.sources.chain import fetch_with_fallback
from social_analytics.analyses.sources.fanout import fetch_fanout
from social_analytics.analyses.sources.health import configured_map
from social_analytics.analyses.sources.incremental import IncrementalSource
from social_analytics.analyses.sources.spend import SpendGate
from social_analytics.imports.parsing import ImportAdapter, parse_import
from social_analytics.imports.uploads import MAX_IMPORT_ROWS
from social_analytics.keywords import provider_query
from social_analytics.models import AnalysisJob, TimeWindow, isoformat_z, normalize_keyword
from social_analytics.observability import logger, meter
from social_analytics.query import Query, QuerySyntaxError, parse_query, query_for_key
from social_analytics.records import StoredWindow
from social_analytics.settings import get_settings

MAX_IMPORT_SPAN = timedelta(days=366)


def summarize_attempts(attempts: list[dict]) -> str:
    return "; ".join(
        f"{a['provider']} {a['outcome']}" + (f" ({a['reason']})" if a.get("reason") else "") for a in attempts
    )


# The adapters (and httpx under them) load with the first live job, not with the worker: an import job or a
# redelivered one never needs them.
def load_provider_config():
    from social_analytics.analyses.sources.credentials import load_provider_config as load

    return load()


def build_adapters(*args, **kwargs):
    from social_analytics.analyses.sources.registry import build_adapters as build

    return build(*args, **kwargs)


def job_query(job: AnalysisJob) -> Query:
    """The job's parsed query, from its key (the canonical form): every spelling of a key asks the same. An import
    is keyed by its upload, so its posts are checked against the keyword it was uploaded for."""
    if job.kind == "import":
        try:
            return parse_query(job.keyword)
        except QuerySyntaxError:  # stored before the language: the keyword as one text, as it was matched then
            return query_for_key(normalize_keyword(job.keyword), job.keyword)
    return query_for_key(provider_query(job.key), job.keyword)


async def fetch_live(job: AnalysisJob) -> FetchedPosts:
    settings = get_settings()
    window = TimeWindow.last_hours(job.window_hours)
    config = load_provider_config()
    try:
        adapters = build_adapters(
            job.providers, config, composition.http_client(), session_store=composition.session_store()
        )
    except ValueError as error:
        raise JobFailed("unknown_provider", str(error)) from None

    stored, cursors = None, {}
    # Only a live source continues a stored window: a job of simulated or unconfigured sources skips the read.
    if any(not adapter.simulated and not isinstance(adapter, UnconfiguredAdapter) for adapter in adapters):
        stores = composition.data
        stored, cursors = await asyncio.to_thread(_stored_state, job, window, stores.post_windows, stores.cursors)
    incremental: list[str] = []
    for index, adapter in enumerate(adapters):  # each source with a stored window and cursor continues from it
        if stored is not None and adapter.name in cursors and not adapter.simulated:
            own = [p for p in stored.posts if p.provider == adapter.name]
            adapters[index] = IncrementalSource(adapter, own)
            incremental.append(adapter.name)

    # Paid providers reserve their cost first and may be skipped (service.spend).
    adapters = SpendGate(paid_allowed=job.paid_allowed, log_extra={"job_id": job.job_id}).guard(adapters)
    # One spelling per key: providers get the key's canonical query, never the submitter's spelling, so a
    # full-width or ligature spelling cannot replace what the plain one is served (keywords.provider_query).
    query = job_query(job)
    outcome = await fetch_fanout(
        adapters,
        query,
        window,
        job.limit,
        settings.fetch_budget_seconds,
        cursors={name: cursors[name] for name in incremental},
        log_extra={"job_id": job.job_id},
    )
    source = outcome.source
    # The sources' health (GET /api/sources): today's counts and each source's last state, failed jobs included.
    credentials = getattr(config, "credentials", None)  # tests may stand in a bare config
    configured = configured_map(credentials, config.providers) if credentials is not None else {}
    await asyncio.to_thread(
        meter.sources_used, source.get("providers") or [], composition.breaker().snapshot(), configured
    )
    if not outcome.posts and not any(a["outcome"] == "ok" for a in source["attempts"]):
        raise JobFailed("no_data", f"no provider returned posts: {summarize_attempts(source['attempts'])}"[:480])
    answered = {a["provider"] for a in source["attempts"] if a["outcome"] == "ok"}
    source["incremental"] = any(name in answered for name in incremental)

    keep_cursors = {
        name: cursor
        for name, cursor in outcome.cursors.items()
        if name in outcome.by_source and name not in ("import", "simulated")
    }
    if outcome.posts and not outcome.simulated and keep_cursors:
        now = time.time()
        kept = [post for name in keep_cursors for post in outcome.by_source[name]]
        keep = StoredWindow(
            provider=",".join(keep_cursors),
            posts=sorted(kept, key=lambda p: p.created_at, reverse=True),
            fetched_at=now,
            window_hours=job.window_hours,
            limit=job.limit,
            expires_at=int(now + job.window_hours * 3600),
            generation=job.job_id,
            query=query.key,
        )
        try:
            post_windows = composition.data.post_windows
            await asyncio.to_thread(post_windows.save_window, job.key, keep, None, cursors=keep_cursors)
        except Exception:  # the result is still right; only the next scan will fetch in full
            logger.exception("storing the incremental window failed", extra={"keyword": job.keyword})
    extra = {"coverage": outcome.coverage, "volume": outcome.volume, "query": query.key}
    # GDELT's tone of the news, on its own scale: a series beside the result, never mixed into our sentiment.
    extra["news_tone"] = outcome.series.get("news_tone")
    return FetchedPosts(posts=outcome.posts, source=source, window=window, extra=extra)


def _stored_state(job: AnalysisJob, window: TimeWindow, post_windows: PostWindows, cursor_store: Cursors):
    """The stored window and the cursors of its sources when they can continue this job's window, else (None, {}).

    The stored window holds each answering source's own posts (``provider`` lists them); a source continues
    incrementally from its own posts and cursor, any other source of the job fetches in full."""
    try:
        stored = post_windows.load_window(job.key)
        if stored is None:
            return None, {}
        usable = (
            stored.window_hours >= job.window_hours
            and stored.limit >= job.limit
            and stored.fetched_at >= window.start.timestamp()
            and stored.query == job_query(job).key  # a window continues only the query that fetched it
        )
        if not usable:
            return None, {}
        names = set(stored.provider.split(","))
        cursors = {name: c.cursor for name, c in cursor_store.load(job.key).items() if name in names}
        return stored, cursors
    except Exception:  # a storage hiccup must not fail the job: fetch in full
        logger.exception("reading the incremental window failed", extra={"keyword": job.keyword})
        return None, {}


async def fetch_import(job: AnalysisJob) -> FetchedPosts:
    key = job.import_object or ""
    import_store = composition.data.import_objects
    if not key.startswith(f"{import_store.PREFIX}{job.job_id}."):
        raise JobFailed("bad_import", "the job does not name its own upload")
    fmt = "jsonl" if key.endswith(".jsonl") else "csv"
    try:
        data = await asyncio.to_thread(import_store.get_object, key)
    except import_store.ImportTooLarge as error:
        raise JobFailed("too_large", f"too large: {error}") from None
    except import_store.ImportMissing:
        raise JobFailed("not_uploaded", "no upload was found for this import (it may have expired)") from None
    try:  # read once: the user's posts are not kept in the bucket once they are in memory
        await asyncio.to_thread(import_store.delete_object, key)
    except Exception:  # the bucket's one-day expiry removes it anyway
        logger.exception("deleting the read import failed", extra={"job_id": job.job_id})
    try:
        # Only the newest job.limit rows are kept (a bounded heap): an upload of tiny rows cannot exhaust the worker.
        # Only the newest job.limit rows are kept (a bounded heap): an upload of tiny rows cannot exhaust the worker.
        parsed = parse_import(data, fmt=fmt, max_posts=job.limit, max_rows=MAX_IMPORT_ROWS)
    except ValueError as error:
        raise JobFailed("bad_import", str(error)) from None
    del data
    report = parsed.report.as_dict()
    if not parsed.posts:
        raise JobFailed("no_data", f"the upload has no usable rows ({report['rejected']} rejected of {report['rows']})")

    newest = max(p.created_at for p in parsed.posts)
    end = newest + timedelta(seconds=1)
    oldest = min(p.created_at for p in parsed.posts)
    over = parsed.over_cap_span  # the rows over the cap are all older than every kept one
    if over is not None:
        oldest = min(oldest, over[0])
    start = max(oldest, end - MAX_IMPORT_SPAN)
    window = TimeWindow(start=start, end=end)
    in_span = [p for p in parsed.posts if p.created_at >= start]
    # Rows over the cap were counted, not kept: whether they fall in the span is known exactly unless the span's
    # start lies between the oldest and newest of them (then they are counted in, and the figure says estimated).
    over_in_span = 0 if over is None or over[1] < start else parsed.report.rows_over_cap
    # Lines after the row cap were not read at all: the count is then a lower bound, and says estimated.
    over_exact = (over is None or over[0] >= start or over[1] < start) and not parsed.report.lines_not_read
    report["outside_span"] = len(parsed.posts) - len(in_span) + (parsed.report.rows_over_cap - over_in_span)

    # Every uploaded post in the span is checked against the query; the newest matching ``limit`` are analyzed.
    outcome = await fetch_with_fallback([ImportAdapter(in_span)], job_query(job), window, len(in_span), 5.0)
    matching = len(outcome.posts)
    outcome.posts = outcome.posts[: job.limit]
    analyzed = len(outcome.posts)
    report["off_topic"] = len(in_span) - matching
    in_window = matching + over_in_span
    report["analyzed"] = analyzed
    extra = {
        "import": report,
        # The upload is everything there is: its span is covered and its count exact.
        "coverage": {
            "window_from": isoformat_z(window.start),
            "window_to": isoformat_z(window.end),
            "covered_from": isoformat_z(window.start),
            "covered_to": isoformat_z(window.end),
            "complete": analyzed == in_window and not parsed.report.lines_not_read,
        },
        "volume": {
            "observed_posts": analyzed,
            "posts_per_hour": round(in_window / max(window.hours, 1.0), 3),
            "estimated_posts_in_window": in_window,
            "basis": "complete" if over_exact else "estimated",
        },
        "window": {
            "start": isoformat_z(window.start),
            "end": isoformat_z(window.end),
            "hours": max(1, math.ceil(window.hours)),
        },
    }
    return FetchedPosts(posts=outcome.posts, source=outcome.source, window=window, extra=extra)
