from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from social_analytics.imports.parsing import ImportAdapter, parse_import

from tests.fakes.mock_http import run, window

UPLOADED = datetime(2026, 11, 24, 13, 0, tzinfo=UTC)


def test_csv_with_bom_quoted_newlines_and_optional_columns():
    data = (
        "\ufefftext,created_at,author,likes,reposts,url\r\n"
        '"multi\nline, with comma",2026-11-24T10:00:00Z,ann,3,1,https://e.test/1\r\n'
        "no date,,bob,,,\r\n"
        "epoch,1764000000,cy,1,0,\r\n"
    ).encode()
    outcome = parse_import(data, uploaded_at=UPLOADED)
    assert outcome.report.as_dict() == {"rows": 3, "imported": 3, "rejected": 0, "rows_over_cap": 0, "errors": []}
    first, second, third = outcome.posts
    assert first.text == "multi\nline, with comma" and first.author == "ann" and (first.likes, first.reposts) == (3, 1)
    assert first.url == "https://e.test/1" and first.provider == "import" and first.id.startswith("import:")
    assert second.created_at == UPLOADED and second.likes == 0 and second.url is None
    assert third.created_at == datetime.fromtimestamp(1764000000, tz=UTC)


def test_bad_rows_are_counted_with_line_numbers():
    data = "text,created_at,likes\nok,,1\n,,\n  ,2026-01-01T00:00:00Z,\nbad date,yesterday,\nneg,,-1\nok2,,7\n"
    report = parse_import(data, uploaded_at=UPLOADED).report
    assert (report.rows, report.imported, report.rejected) == (5, 2, 3)
    assert report.errors == [
        {"line": 4, "reason": "text is required"},
        {"line": 5, "reason": "created_at is not ISO 8601 or epoch seconds"},
        {"line": 6, "reason": "likes must be >= 0"},
    ]  # line 3 is blank and skipped


def test_jsonl_with_malformed_lines():
    lines = [
        json.dumps({"text": "hello", "author": "a", "likes": 2, "created_at": "2026-11-24T09:00:00+02:00"}),
        "{not json",
        json.dumps(["not", "an", "object"]),
        json.dumps({"author": "no text"}),
        "",
        json.dumps({"text": "bye", "reposts": "4", "id": "native-7"}),
    ]
    outcome = parse_import("\n".join(lines), uploaded_at=UPLOADED)
    assert outcome.report.as_dict()["rows"] == 5 and outcome.report.imported == 2
    assert [e["line"] for e in outcome.report.errors] == [2, 3, 4]
    assert outcome.posts[0].created_at == datetime(2026, 11, 24, 7, 0, tzinfo=UTC)
    assert outcome.posts[1].id == "import:native-7" and outcome.posts[1].reposts == 4


def test_only_the_first_20_errors_are_listed():
    data = "text,author\n" + "\n".join(",someone" for _ in range(30))
    report = parse_import(data).report
    assert report.rejected == 30 and len(report.errors) == 20


def test_csv_without_text_column_is_unusable():
    with pytest.raises(ValueError, match="text"):
        parse_import("body,author\nx,y\n")


def test_5000_row_csv():
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["text", "created_at", "author", "likes", "reposts", "url"])
    for i in range(5000):
        writer.writerow([f"post {i} is great\nreally", f"2026-11-24T{i % 24:02d}:00:00Z", f"u{i}", i, i % 5, ""])
    writer.writerow(["", "", "", "", "", ""])  # blank row: skipped
    writer.writerow(["", "2026-11-24T00:00:00Z", "", "", "", ""])  # no text: rejected
    outcome = parse_import(buffer.getvalue().encode("utf-8-sig"), uploaded_at=UPLOADED)
    assert (outcome.report.rows, outcome.report.imported, outcome.report.rejected) == (5001, 5000, 1)
    assert len({p.id for p in outcome.posts}) == 5000
    assert outcome.report.errors == [{"line": 10003, "reason": "text is required"}]


def test_import_adapter_serves_the_newest_posts():
    posts = parse_import("text,created_at\na,2026-11-24T01:00:00Z\nb,2026-11-24T02:00:00Z\n").posts
    adapter = ImportAdapter(posts)
    assert adapter.name == "import" and not adapter.simulated
    assert [p.text for p in run(adapter.fetch("", window(), 1)).posts] == ["b"]
