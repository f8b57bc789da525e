"""The archive's Parquet files, written and read with DuckDB (in process, local files; no pyarrow).

One row per post (``POST_COLUMNS``): ``did``, ``rkey`` (the post's URI is ``at://<did>/app.bsky.feed.post/<rkey>``),
``time_us`` (received by Jetstream), ``created_us`` (the author's ``createdAt``, null when it did not parse),
``text`` (at most 3,000 bytes), ``langs``, ``reply`` / ``quote`` / ``repost``, ``tags``, ``links``, ``mentions``, and
``special``: the text changes under NFKC + casefold beyond a lowercase, so the SQL pre-filter (a lowercase substring
test) always lets it through to the shared matcher. A delete row is ``did``, ``rkey``, ``time_us``.

Rows reach DuckDB as JSON Lines (its reader is typed by the columns below, so nothing is inferred) and leave as
zstd Parquet sorted by ``time_us``.
"""

# ruff: noqa: S608 - the SQL is built from our own file paths (quoted) and column names; user words are parameters.
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Sequence
from typing import Any

from social_analytics.tracking.stream_events import StreamPost, needs_normalizing

POST_COLUMNS = {
    "did": "VARCHAR",
    "rkey": "VARCHAR",
    "time_us": "BIGINT",
    "created_us": "BIGINT",
    "text": "VARCHAR",
    "langs": "VARCHAR[]",
    "reply": "BOOLEAN",
    "quote": "BOOLEAN",
    "repost": "BOOLEAN",
    "tags": "VARCHAR[]",
    "links": "VARCHAR[]",
    "mentions": "VARCHAR[]",
    "special": "BOOLEAN",
}
DELETE_COLUMNS = {"did": "VARCHAR", "rkey": "VARCHAR", "time_us": "BIGINT"}
# zstd level 9: compaction runs once an hour, reads are unaffected; about 15% smaller than the default level 3.
_PARQUET = "FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 9, ROW_GROUP_SIZE 122880"
_PART = "FORMAT parquet, COMPRESSION zstd"


def _connect() -> Any:
    import duckdb  # on first use: the worker's cold start does not pay for it unless the archive is asked

    con = duckdb.connect(config={"threads": max(1, min(4, os.cpu_count() or 1))})
    con.execute("SET preserve_insertion_order = false")
    return con


def _columns(spec: dict[str, str]) -> str:
    return "{" + ", ".join(f"{name}: '{kind}'" for name, kind in spec.items()) + "}"


def _sql_list(paths: Sequence[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def post_row(post: StreamPost) -> dict:
    return {
        "did": post.did,
        "rkey": post.rkey,
        "time_us": post.time_us,
        "created_us": post.created_us,
        "text": post.text,
        "langs": list(post.langs),
        "reply": post.reply,
        "quote": post.quote,
        "repost": post.repost,
        "tags": list(post.tags),
        "links": list(post.links),
        "mentions": list(post.mentions),
        "special": needs_normalizing(post.text),
    }


def _write(rows: Iterable[dict], columns: dict[str, str], out: str, options: str = _PART) -> int:
    count = 0
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8", delete=False) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            handle.write("\n")
            count += 1
        source = handle.name
    try:
        if count:
            with _connect() as con:
                con.execute(
                    f"COPY (SELECT * FROM read_json('{source}', format='newline_delimited', "
                    f"columns={_columns(columns)}) ORDER BY time_us) TO '{out}' ({options})"
                )
    finally:
        os.unlink(source)
    return count


def write_posts(posts: Iterable[StreamPost], out: str) -> int:
    """A part file of these posts; returns how many rows it holds (0: no file written)."""
    return _write((post_row(p) for p in posts), POST_COLUMNS, out)


def write_deletes(deletes: Iterable[tuple[str, str, int]], out: str) -> int:
    rows = ({"did": did, "rkey": rkey, "time_us": time_us} for did, rkey, time_us in deletes)
    return _write(rows, DELETE_COLUMNS, out)


def _posts_from(files: Sequence[str]) -> str:
    return f"read_parquet({_sql_list(files)}, union_by_name = true)"


def compact_posts(files: Sequence[str], delete_files: Sequence[str], out: str) -> int:
    """One file of the posts in ``files``: each post once (its first receipt), deleted ones gone; returns the rows."""
    deleted = (
        f"ANTI JOIN (SELECT DISTINCT did, rkey FROM {_posts_from(delete_files)}) d USING (did, rkey)"
        if delete_files
        else ""
    )
    names = ", ".join(f"p.{name}" for name in POST_COLUMNS)
    with _connect() as con:
        con.execute(
            f"COPY (SELECT {names} FROM (SELECT * FROM {_posts_from(files)} "
            f"QUALIFY row_number() OVER (PARTITION BY did, rkey ORDER BY time_us) = 1) p {deleted} "
            f"ORDER BY p.time_us) TO '{out}' ({_PARQUET})"
        )
        return con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]


def compact_deletes(files: Sequence[str], out: str) -> int:
    with _connect() as con:
        con.execute(
            f"COPY (SELECT did, rkey, min(time_us) AS time_us FROM {_posts_from(files)} GROUP BY did, rkey "
            f"ORDER BY time_us) TO '{out}' ({_PARQUET})"
        )
        return con.execute(f"SELECT count(*) FROM read_parquet('{out}')").fetchone()[0]


def candidates(
    files: Sequence[str],
    delete_files: Sequence[str],
    from_us: int,
    to_us: int,
    words: Iterable[str] | None,
) -> list[tuple]:
    """``(did, rkey, time_us, created_us, text, langs, tags)`` of every post received in [from, to) that is not
    deleted and may match: its lowercased text holds one of ``words`` (or it is ``special``); every post when
    ``words`` is None. Each post once, newest first. The caller runs the shared matcher on what comes back."""
    if not files:
        return []
    words = sorted({w.lower() for w in words or ()})
    where = "time_us >= ? AND time_us < ?"
    params: list = [from_us, to_us]
    if words:  # None or no word: every post goes to the matcher
        where += " AND (special OR " + " OR ".join("contains(lower(text), ?)" for _ in words) + ")"
        params += words
    deleted = (
        f"ANTI JOIN (SELECT DISTINCT did, rkey FROM {_posts_from(delete_files)}) d USING (did, rkey)"
        if delete_files
        else ""
    )
    sql = (
        f"SELECT p.did, p.rkey, p.time_us, p.created_us, p.text, p.langs, p.tags FROM ("
        f"SELECT did, rkey, time_us, created_us, text, langs, tags FROM {_posts_from(files)} WHERE {where}) p {deleted}"
    )
    with _connect() as con:
        rows = con.execute(sql, params).fetchall()
    # Each post once, its first receipt (a replayed stretch is in two part files); the candidates are few, so this
    # is cheaper here than a window function over the scan.
    first: dict[tuple[str, str], tuple] = {}
    for row in rows:
        seen = first.get((row[0], row[1]))
        if seen is None or row[2] < seen[2]:
            first[(row[0], row[1])] = row
    return sorted(first.values(), key=lambda row: row[2], reverse=True)


def count_rows(files: Sequence[str]) -> int:
    if not files:
        return 0
    with _connect() as con:
        return con.execute(f"SELECT count(*) FROM {_posts_from(files)}").fetchone()[0]
