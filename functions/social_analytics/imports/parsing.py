"""User-uploaded posts: CSV or JSON Lines -> posts plus a report. Provider name ``import``.

Columns/keys: ``text`` (required); optional ``created_at`` (ISO 8601 or epoch seconds/ms; missing -> upload time),
``author``, ``likes``, ``reposts``, ``url``, ``id``. Bad rows are counted and reported (the first 20 with line number
and reason), never fatal: a cell of the wrong type (a JSON object where text is expected), a count that is not a
finite number up to ``MAX_COUNT`` (``inf``, ``nan``, ``1e400``), a time outside 1970-01-01 .. upload time + 1 day
(year 1, year 9999), an over-long ``id`` or ``url`` each rejects its row only. A UTF-8 BOM is accepted; CSV fields
may contain quoted newlines (reported lines are the physical line where the row starts). The format is sniffed from
the content unless given.

Parsed as a stream in bounded memory: the upload is read a line at a time (never split into a list of lines), and
only the newest ``max_posts`` valid rows are kept, in a heap; the rest are counted (``rows_over_cap``) and, when
they could not enter the heap anyway, never become a ``Post``. Peak memory is the upload's bytes plus ``max_posts``
posts, whatever the number of rows (bench/inputs_bench.py measures it for the largest upload of tiny rows).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import heapq
import io
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from social_analytics.analyses.sources._http import parse_datetime
from social_analytics.analyses.sources.base import FetchResult, SourceQuery
from social_analytics.models import Post

MAX_REPORTED_ERRORS = 20
PROVIDER = "import"
MAX_COUNT = 10**12  # likes / reposts above this are not real counts
MAX_ID_CHARS = 256
MAX_URL_CHARS = 2048
MAX_AUTHOR_CHARS = 200  # longer author names are cut, not rejected
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(days=1)  # clock skew between the uploader and us


@dataclass
class ImportReport:
    rows: int = 0
    imported: int = 0
    rejected: int = 0
    rows_over_cap: int = 0  # valid rows older than the newest ``max_posts``: counted, not kept
    lines_not_read: int = 0  # lines after the ``max_rows``-th row: not parsed at all
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "imported": self.imported,
            "rejected": self.rejected,
            "rows_over_cap": self.rows_over_cap,
            **({"lines_not_read": self.lines_not_read} if self.lines_not_read else {}),
            "errors": list(self.errors),
        }


@dataclass
class ImportOutcome:
    posts: list[Post]  # in the file's order, at most ``max_posts`` (the newest)
    report: ImportReport
    # The creation times of the rows over the cap, as ``(oldest, newest)``, or None when none were over it.
    over_cap_span: tuple[datetime, datetime] | None = None


_NON_SPACE = re.compile(rb"\S")


def detect_format(text: str | bytes) -> Literal["csv", "jsonl"]:
    if isinstance(text, bytes):
        found = _NON_SPACE.search(text, len(codecs.BOM_UTF8) if text.startswith(codecs.BOM_UTF8) else 0)
        first = text[found.start() : found.start() + 1].decode("latin-1") if found else ""
    else:
        first = text.lstrip().removeprefix("\ufeff")[:1]
    return "jsonl" if first in ("{", "[") else "csv"


def _text_stream(data: bytes | str, encoding: str) -> io.TextIOBase:
    """A text stream over the upload without copying it (``BytesIO`` shares the bytes until written to)."""
    if isinstance(data, str):
        return io.StringIO(data.removeprefix("\ufeff"), newline="")
    return io.TextIOWrapper(io.BytesIO(data), encoding=encoding, newline="")


def _count(value: Any, name: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} is not a number")
    try:
        number = float(str(value).strip().replace(",", "")) if isinstance(value, str) else float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} is not a finite number")
    if number < 0:
        raise ValueError(f"{name} must be >= 0")
    if number > MAX_COUNT:
        raise ValueError(f"{name} must be at most {MAX_COUNT}")
    return int(number)


def _string(value: Any, name: str) -> str:
    """A text cell: a string (or a number, for ids); anything else (object, list, boolean) is a wrong type."""
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} must be a string")
    return str(value).strip()


def _created_at(row: dict[str, Any], uploaded_at: datetime) -> datetime:
    text = row.get("text")
    if text is not None and not isinstance(text, str):
        raise ValueError("text must be a string")
    if text is None or not text.strip():
        raise ValueError("text is required")
    raw_created = row.get("created_at")
    if raw_created is None or (isinstance(raw_created, str) and not raw_created.strip()):
        created_at = uploaded_at
    else:
        if not isinstance(raw_created, str | int | float) or isinstance(raw_created, bool):
            raise ValueError("created_at is not ISO 8601 or epoch seconds")
        try:
            created_at = parse_datetime(raw_created)
        except (ValueError, OverflowError):
            created_at = None
        if created_at is None:
            raise ValueError("created_at is not ISO 8601 or epoch seconds")
        if not EARLIEST <= created_at <= uploaded_at + FUTURE_SLACK:
            raise ValueError("created_at is outside 1970-01-01 .. the upload time")
    return created_at


def _row_to_post(row: dict[str, Any], line: int, created_at: datetime, id_prefix: str) -> Post:
    """The post of a row whose text and time ``_created_at`` accepted; ``ValueError`` for any other bad cell."""
    text = row["text"]
    native_id = _string(row.get("id"), "id") or f"{id_prefix}-{line}"
    if len(native_id) > MAX_ID_CHARS:
        raise ValueError(f"id is longer than {MAX_ID_CHARS} characters")
    url = _string(row.get("url"), "url") or None
    if url is not None and len(url) > MAX_URL_CHARS:
        raise ValueError(f"url is longer than {MAX_URL_CHARS} characters")
    return Post(
        id=f"{PROVIDER}:{native_id}",
        text=text.strip(),
        created_at=created_at,
        provider=PROVIDER,
        author=_string(row.get("author"), "author")[:MAX_AUTHOR_CHARS],
        url=url,
        likes=_count(row.get("likes"), "likes"),
        reposts=_count(row.get("reposts"), "reposts"),
        language=str(row.get("lang") or row.get("language") or "").strip() or None,
    )


def parse_import(
    data: bytes | str,
    *,
    fmt: Literal["csv", "jsonl"] | None = None,
    uploaded_at: datetime | None = None,
    max_posts: int | None = None,
    max_rows: int | None = None,
) -> ImportOutcome:
    """Parse an upload. Never raises for bad rows; raises ``ValueError`` only for an unusable file (no ``text``
    column in a CSV header). Post ids are ``import:<id column>`` or ``import:<content hash>-<line>``.

    ``max_posts`` keeps the newest that many valid rows (ties: the earlier lines); the others count in
    ``rows_over_cap``. ``max_rows`` stops reading after that many rows (the parse's time is bounded too); the
    lines left unread are counted in ``lines_not_read``. Bytes are read as UTF-8 (a BOM is accepted), or as Latin-1 when
    they are not UTF-8."""
    uploaded_at = (uploaded_at or datetime.now(UTC)).astimezone(UTC)
    fmt = fmt or detect_format(data)
    digest = data if isinstance(data, bytes) else data.removeprefix("\ufeff").encode("utf-8", "surrogatepass")
    id_prefix = hashlib.sha256(digest).hexdigest()[:12]
    try:
        return _parse(_text_stream(data, "utf-8-sig"), fmt, uploaded_at, id_prefix, max_posts, max_rows)
    except UnicodeDecodeError:  # not UTF-8: start over as Latin-1 (every byte is a character)
        return _parse(_text_stream(data, "latin-1"), fmt, uploaded_at, id_prefix, max_posts, max_rows)


class _Newest:
    """The newest ``cap`` posts in a min-heap keyed by (time, -line); the rows pushed out are only counted."""

    def __init__(self, cap: int | None, report: ImportReport) -> None:
        self.cap = cap
        self.report = report
        self.heap: list[tuple[datetime, int, Post]] = []
        self.over_oldest: datetime | None = None
        self.over_newest: datetime | None = None

    def _over(self, created_at: datetime) -> None:
        self.report.rows_over_cap += 1
        self.over_oldest = created_at if self.over_oldest is None else min(self.over_oldest, created_at)
        self.over_newest = created_at if self.over_newest is None else max(self.over_newest, created_at)

    def add(self, row: dict[str, Any], line: int, uploaded_at: datetime, id_prefix: str) -> None:
        report = self.report
        try:
            created_at = _created_at(row, uploaded_at)
            full = self.cap is not None and len(self.heap) >= self.cap
            post = _row_to_post(row, line, created_at, id_prefix)  # every cell checked, kept or not
        except ValueError as exc:
            report.reject(line, str(exc))
            return
        except (TypeError, OverflowError, ArithmeticError):  # a cell no rule above foresaw: its row only
            report.reject(line, "a cell has an unusable value")
            return
        report.imported += 1
        entry = (created_at, -line, post)
        if not full:
            heapq.heappush(self.heap, entry)
        elif self.cap and entry[:2] > self.heap[0][:2]:
            self._over(heapq.heapreplace(self.heap, entry)[0])
        else:  # older than every kept post: pushed out at once
            self._over(created_at)

    def outcome(self) -> ImportOutcome:
        posts = [post for _, _, post in sorted(self.heap, key=lambda e: -e[1])]  # in the file's order
        span = (self.over_oldest, self.over_newest) if self.over_oldest and self.over_newest else None
        return ImportOutcome(posts=posts, report=self.report, over_cap_span=span)


def _jsonl_rows(stream: io.TextIOBase, report: ImportReport) -> Iterator[tuple[int, dict[str, Any]]]:
    for line_number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        report.rows += 1
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
            report.reject(line_number, "malformed JSON")
            continue
        if not isinstance(row, dict):
            report.reject(line_number, "not a JSON object")
            continue
        yield line_number, row


def _csv_rows(stream: io.TextIOBase, report: ImportReport) -> Iterator[tuple[int, dict[str, Any]]]:
    reader = csv.reader(stream)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise ValueError(f"unreadable CSV header: {exc}") from None
    columns = [h.strip().lstrip("\ufeff").casefold() for h in header]
    if "text" not in columns:
        raise ValueError("the CSV header has no 'text' column")
    line_number = reader.line_num + 1
    while True:
        start = line_number
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.rows += 1
            report.reject(start, f"unreadable CSV row: {exc}")
            line_number = reader.line_num + 1
            continue
        line_number = reader.line_num + 1
        if not values or all(not v.strip() for v in values):
            continue
        report.rows += 1
        if len(values) > len(columns):
            report.reject(start, f"{len(values)} fields, header has {len(columns)}")
            continue
        yield start, dict(zip(columns, values, strict=False))


def _parse(
    stream: io.TextIOBase,
    fmt: str,
    uploaded_at: datetime,
    id_prefix: str,
    max_posts: int | None,
    max_rows: int | None,
) -> ImportOutcome:
    report = ImportReport()
    newest = _Newest(max_posts, report)
    rows = _jsonl_rows(stream, report) if fmt == "jsonl" else _csv_rows(stream, report)
    for line, row in rows:
        newest.add(row, line, uploaded_at, id_prefix)
        if max_rows is not None and report.rows >= max_rows:
            report.lines_not_read = _remaining_lines(stream)
            break
    return newest.outcome()


def _remaining_lines(stream: io.TextIOBase) -> int:
    """Lines left in the stream (blank ones included), counted a chunk at a time: C speed, no row parsing."""
    count, last = 0, "\n"
    while chunk := stream.read(1 << 20):
        count += chunk.count("\n")
        last = chunk[-1]
    return count + (last != "\n")


class ImportAdapter:
    """An upload behind the adapter protocol, so import jobs go through the same chain and provenance.

    ``fetch`` ignores the query and the window (the user chose these posts) and returns the newest ``limit``.
    """

    name = PROVIDER
    simulated = False

    def __init__(self, posts: list[Post]) -> None:
        self._posts = sorted(posts, key=lambda p: p.created_at, reverse=True)

    def translate(self, query: Any) -> SourceQuery:
        return SourceQuery(("the uploaded posts",))

    async def fetch(self, query: Any, window: Any, limit: int, *, cursor=None, budget=None) -> FetchResult:
        # Every post is checked against the query afterwards (sources.fanout), as any source's are.
        return FetchResult(posts=self._posts[:limit], sent_query="the uploaded posts")
