"""Queries through the API in-process against moto: every route that takes a keyword takes a query, refuses a
malformed one with a 422 naming the character (never a 5xx, never a queued job), keys it by its canonical form,
and still reaches what was stored under today's keyword keys."""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest

TOKEN = "query-admin-token-0123456789"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def admin(aws, monkeypatch):
    from social_analytics import settings

    monkeypatch.setenv("ADMIN_TOKEN", TOKEN)
    settings.reset()


def routes(query: str) -> list[tuple[str, str, dict | None, dict, str]]:
    """(method, path, body, extra, field) of every route that takes a keyword, asked for ``query``."""
    path = quote(query, safe="")
    return [
        ("POST", "/api/analyses", {"keyword": query}, {}, "keyword"),
        ("GET", f"/api/analyses/{path}", None, {}, "path.keyword"),
        ("DELETE", f"/api/analyses/{path}", None, {"headers": ADMIN}, "path.keyword"),
        ("GET", f"/api/analyses/{path}/history", None, {}, "path.keyword"),
        ("POST", "/api/tracked", {"keyword": query, "interval_minutes": 15}, {"headers": ADMIN}, "keyword"),
        ("DELETE", f"/api/tracked/{path}", None, {"headers": ADMIN}, "path.keyword"),
        ("GET", f"/api/tracked/{path}/live", None, {}, "path.keyword"),
        ("GET", f"/api/tracked/{path}/backtest", None, {}, "path.keyword"),
        ("GET", "/api/alerts", None, {"query": {"keyword": path}}, "query.keyword"),
        ("GET", "/api/compare", None, {"query": {"keywords": "java," + path}}, "query.keywords.1"),
        ("POST", "/api/imports", {"keyword": query}, {}, "keyword"),
    ]


@pytest.mark.parametrize(
    ("query", "message", "position"),
    [
        ("java AND NOT )", "expected a term after NOT at character 14", 13),
        ("(kubernetes OR k8s", "missing ')' for this '(' at character 1", 0),
        ("-java", "a query needs at least one term that is not excluded (in every OR branch) at character 1", 0),
        ('java "big brand', "unclosed quote at character 6", 5),
        ("java OR ja*", "a prefix needs at least 3 letters or digits before '*', like auto* at character 9", 8),
    ],
)
def test_a_malformed_query_is_a_422_naming_the_position_on_every_route(
    admin, call_api, queue_messages, query, message, position
):
    for method, path, body, extra, field in routes(query):
        status, answer = call_api(method, path, body, **extra)
        assert status == 422, (method, path, answer)
        (problem,) = answer["error"]["fields"]
        assert problem == {"field": field, "message": message, "position": position}, (method, path)
    assert queue_messages() == []


def test_a_boolean_query_is_one_job_keyed_by_its_canonical_form(call_api, queue_messages):
    status, first = call_api("POST", "/api/analyses", {"keyword": "(Kubernetes OR k8s)  -helm"})
    assert status == 202, first
    assert first["keyword"] == "(Kubernetes OR k8s) -helm"  # what the user typed, whitespace collapsed
    # another spelling of the same query joins the job in flight (single flight is on the key)
    status, second = call_api("POST", "/api/analyses", {"keyword": "NOT helm AND (K8S OR kubernetes)"})
    assert status == 202 and second["job_id"] == first["job_id"]
    (message,) = queue_messages()
    job = json.loads(message["Body"])
    assert job["key"] == "(k8s OR kubernetes) AND -helm"
    assert job["keyword"] == "(Kubernetes OR k8s) -helm"


def _store_under_todays_keys(keyword: str) -> str:
    """A result, a tracked entry, a history point and an alert, written the way they were before queries."""
    from social_analytics import composition
    from social_analytics.models import AnalysisJob, normalize_keyword
    from social_analytics.records import Alert, HistoryPoint, TrackedKeyword
    from social_analytics.tracking.scans import _iso

    key = normalize_keyword(keyword)  # today's key
    now = time.time()
    job = AnalysisJob(
        job_id=f"old-{abs(hash(key))}", keyword=keyword, key=key, limit=100, window_hours=24, submitted_at=now
    )
    from social_analytics.storage import jobs as job_store

    job_store.complete_job(job, {"keyword": keyword, "posts_analyzed": 7, "marker": key})  # the latest result
    composition.tracking.tracked.put_tracked(
        TrackedKeyword(keyword=keyword, key=key, interval_minutes=15, created_at=now)
    )
    values = {"volume": 10, "positive": 1, "neutral": 8, "negative": 1, "mean_compound": 0.1, "top_terms": []}
    composition.tracking.history.append_point(
        key, HistoryPoint(time=_iso(now - 60), epoch=now - 60, job_id=job.job_id, **values), 3600
    )
    composition.tracking.alerts.put_alert(
        Alert(
            type="spike",
            detail_type="SpikeDetected",
            keyword=keyword,
            key=key,
            at=_iso(now - 60),
            epoch=now - 60,
            value=40.0,
            volume=40,
            baseline_mean=10.0,
            baseline_sd=2.0,
            threshold=16.0,
            k=3.0,
            score=15.0,
            sensitivity="medium",
            source="scan",
            explanation={"terms": []},
            job_id=job.job_id,
        ),
        3600,
    )
    return key


@pytest.mark.parametrize(
    ("stored_as", "typed_now"),
    [
        ("Big Brand", '"big   BRAND"'),  # a phrase keyword, now reached by the quoted phrase too
        ("Big Brand", "big brand"),
        ("C++", "c++"),
        ("#AWS", "＃aws"),
        ("covid-19", "COVID-19"),
        ("cats or dogs", "Cats or Dogs"),  # lowercase or: a word, as it always was
    ],
)
def test_what_was_stored_under_todays_keys_is_still_reached(admin, call_api, stored_as, typed_now):
    key = _store_under_todays_keys(stored_as)
    path = quote(typed_now, safe="")

    status, result = call_api("GET", f"/api/analyses/{path}")
    assert status == 200 and result["marker"] == key, result
    status, history = call_api("GET", f"/api/analyses/{path}/history")
    assert status == 200 and history["key"] == key and len(history["points"]) == 1
    status, alerts = call_api("GET", "/api/alerts", query={"keyword": path})
    assert status == 200 and [a["key"] for a in alerts["alerts"]] == [key]
    status, listed = call_api("GET", "/api/tracked")
    assert [t["key"] for t in listed["tracked"]] == [key]
    status, live = call_api("GET", f"/api/tracked/{path}/live", query={"minutes": 5})
    assert status == 200 and live["tracked"] is True and live["key"] == key
    status, untracked = call_api("DELETE", f"/api/tracked/{path}", headers=ADMIN)
    assert status == 200 and untracked["key"] == key
