"""The archive's domain without AWS: coverage pieces, the writer and compaction on a folder, the query plan."""

from __future__ import annotations

import pytest
from social_analytics.archive import coverage
from social_analytics.archive.layout import HOUR_US, compacted_key, hour_of, parse_key

T0 = 1_796_000_000 * 1_000_000 - (1_796_000_000 * 1_000_000) % HOUR_US  # an hour boundary


def test_layout_keys_are_hive_partitions():
    key = compacted_key("posts", T0)
    kind, hour, name = parse_key(key)
    assert key.startswith("posts/dt=") and "/hour=" in key and name == "hour.parquet"
    assert (kind, hour) == ("posts", T0) and hour_of(T0 + 5) == T0
    assert parse_key("meta/coverage.json") is None


def test_extend_merges_touching_spans_and_drops_what_is_past_the_floor():
    spans = coverage.extend([], T0, T0 + 100)
    spans = coverage.extend(spans, T0 + 100 + 30_000_000, T0 + 200_000_000)  # within the join tolerance
    assert spans == [(T0, T0 + 200_000_000)]
    assert coverage.extend(spans, 0, 0, floor_us=T0 + 300_000_000) == []


def test_pieces_say_which_hours_are_held_and_why_not():
    spans = [(T0 + HOUR_US // 2, T0 + 4 * HOUR_US)]
    gaps = [{"from_us": T0 + 2 * HOUR_US + 10, "to_us": T0 + 2 * HOUR_US + 20}]
    pieces = coverage.pieces(spans, gaps, floor_us=0, from_us=T0, to_us=T0 + 5 * HOUR_US)
    assert [(p.covered, p.reason) for p in pieces] == [
        (False, "before_archive"),
        (True, ""),
        (False, "stream_gap"),
        (True, ""),
        (False, "not_read_yet"),
    ]
    # the present's last minutes, still being read, do not make the newest piece uncovered
    newest = coverage.pieces(spans, [], 0, T0 + 3 * HOUR_US, T0 + 4 * HOUR_US + 60_000_000)
    assert all(p.covered for p in newest)
    assert coverage.pieces(spans, [], T0 + 2 * HOUR_US, T0 + HOUR_US, T0 + 2 * HOUR_US)[0].reason == "past_retention"


@pytest.fixture
def folder_archive(tmp_path, monkeypatch):
    from social_analytics import composition, settings
    from social_analytics.storage.archive import DirectoryArchive

    monkeypatch.setenv("ARCHIVE_DAYS", "7")
    monkeypatch.setenv("ARCHIVE_DIR", str(tmp_path / "archive"))
    monkeypatch.setenv("ARCHIVE_SETTLE_SECONDS", "0")
    settings.reset()

    class NoGaps:
        def list_gaps(self, since_us, until_us):
            return []

    composition.use_tracking(stream=NoGaps())
    store = DirectoryArchive(tmp_path / "archive")
    composition.use_archive(store)
    yield store
    composition.reset()


def post(index: int, at_us: int, text: str):
    from social_analytics.tracking.stream_events import StreamPost

    return StreamPost(f"did:plc:p{index:04d}", f"3k{index:08d}", at_us, text, langs=("en",))


def test_written_twice_compacted_once_deletes_applied_and_the_query_is_exact(folder_archive):
    import time

    from social_analytics.archive import search, writer
    from social_analytics.query import parse_query

    now = time.time()
    start = hour_of(int(now * 1e6)) - 2 * HOUR_US
    texts = ["lambda rocks", "LAMBDA!", "ＬＡＭＢＤＡ fullwidth", "lambdas nope", "unrelated words"]
    posts = [post(i, start + i * 1_000_000_000, texts[i % len(texts)]) for i in range(7)]  # every ~17 minutes
    run = writer.RunArchive(folder_archive, start, start)
    for p in posts:
        run.add_post(p)
    run.flush()
    for p in posts[:3]:  # a replayed stretch: the same posts written again by a later run
        run.add_post(p)
    run.add_delete(posts[1].did, posts[1].rkey, start + HOUR_US + 5)  # "LAMBDA!" deleted in the next hour
    run.flush()
    run.close(int(now * 1e6))
    compacted = writer.maintain(int(now * 1e6), now)
    assert any(c.startswith("posts") for c in compacted)
    keys = folder_archive.list("posts/")
    current = hour_of(int(now * 1e6))
    settled = [k for k in keys if parse_key(k)[1] < current]
    assert settled and all(k.endswith("/hour.parquet") for k in settled)  # the parts of past hours are gone
    answer = search.search(parse_query("lambda"), start, int(now * 1e6), now)
    found = sorted(p.text for p in answer.posts)
    expected = sorted(
        p.text for p in posts if p.text.split()[0] in ("lambda", "LAMBDA!", "ＬＡＭＢＤＡ") and p is not posts[1]
    )
    assert found == expected
    assert answer.prefilter == ["lambda"] and not answer.uncovered
    assert answer.candidates >= len(expected)  # "lambdas" passes the substring pre-filter, the matcher drops it
