"""Imports parse as a stream with a row cap: the newest N rows are kept, the rest counted, and the memory the parse
takes grows with N, not with the file (tracemalloc, so the figure is Python's own allocations, not the noisy RSS)."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta

from social_analytics.imports.parsing import parse_import

UPLOADED = datetime(2026, 11, 25, tzinfo=UTC)


def _tiny_rows(n: int) -> bytes:
    return b"text\n" + b"a\n" * n


def _peak(data: bytes, cap: int) -> tuple[int, object]:
    tracemalloc.start()
    try:
        outcome = parse_import(data, fmt="csv", uploaded_at=UPLOADED, max_posts=cap)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, outcome


def test_the_newest_rows_are_kept_and_the_rest_counted():
    base = UPLOADED - timedelta(days=10)
    lines = ["text,created_at"] + [f"post {i},{(base + timedelta(hours=i)).isoformat()}" for i in range(50)]
    lines.insert(5, ",2026-11-20T00:00:00Z")  # no text: rejected whatever the cap
    outcome = parse_import("\n".join(lines), uploaded_at=UPLOADED, max_posts=10)

    report = outcome.report
    assert (report.rows, report.imported, report.rejected, report.rows_over_cap) == (51, 50, 1, 40)
    assert sorted(p.text for p in outcome.posts) == sorted(f"post {i}" for i in range(40, 50))
    assert outcome.over_cap_span == (base, base + timedelta(hours=39))
    assert report.as_dict()["rows_over_cap"] == 40


def test_equal_times_keep_the_earlier_lines():
    outcome = parse_import(_tiny_rows(100), fmt="csv", uploaded_at=UPLOADED, max_posts=3)
    assert [p.id.rsplit("-", 1)[1] for p in outcome.posts] == ["2", "3", "4"]
    assert outcome.report.rows_over_cap == 97


def test_peak_memory_scales_with_the_cap_not_with_the_file():
    small_cap, large_file = 200, 200_000
    peak_small_file, _ = _peak(_tiny_rows(20_000), small_cap)
    peak_large_file, outcome = _peak(_tiny_rows(large_file), small_cap)
    peak_large_cap, _ = _peak(_tiny_rows(20_000), 20_000)

    assert outcome.report.imported == large_file and len(outcome.posts) == small_cap
    assert outcome.report.rows_over_cap == large_file - small_cap
    # Ten times the rows, same cap: about the same peak (before: every row became a Post, ~10x the memory).
    assert peak_large_file < 2 * peak_small_file + 64_000
    # The cap is what the memory follows.
    assert peak_large_cap > 5 * peak_small_file
    # And the bound itself: well under a kilobyte per row of the file.
    assert peak_large_file < large_file * 20


def test_latin_1_uploads_still_parse_when_streamed():
    data = "text,author\ncaf\xe9,j\xfcrgen\n".encode("latin-1")
    outcome = parse_import(data, uploaded_at=UPLOADED, max_posts=10)
    assert [(p.text, p.author) for p in outcome.posts] == [("caf\xe9", "j\xfcrgen")]


def test_reading_stops_at_the_row_cap_and_counts_the_lines_left():
    outcome = parse_import(_tiny_rows(1000), fmt="csv", uploaded_at=UPLOADED, max_posts=10, max_rows=100)
    report = outcome.report
    assert report.rows == 100 and report.lines_not_read == 900
    assert report.as_dict()["lines_not_read"] == 900 and len(outcome.posts) == 10
    jsonl = "\n".join('{"text": "x"}' for _ in range(50)).encode()
    partial = parse_import(jsonl, fmt="jsonl", uploaded_at=UPLOADED, max_rows=20).report
    assert (partial.rows, partial.lines_not_read) == (20, 30)
    assert "lines_not_read" not in parse_import(_tiny_rows(5), fmt="csv", max_rows=100).report.as_dict()
