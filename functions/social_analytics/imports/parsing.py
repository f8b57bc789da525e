"""User-uploaded posts: CSV or JSON Lines -> posts plus a report. Provider name ``import``.

Columns/keys: ``text`` (required); optional ``created_at`` (ISO 8601 or epoch seconds/ms; missing -> upload time),
``author``, ``likes``, ``reposts``, ``url``, ``id``. Bad rows are counted and reported (the first 20 with line number
and reason), never fatal: a cell of the wrong type (a JSON object where text is expected), a count that is not a
finite number up to ``MAX_COUNT`` (``inf``, ``nan``, ``1e400``), a time outside 1970-01-01 .. upload time + 1 day
(year 1, year 9999), an over-long ``id`` or ``url`` each rejects its row only. A UTF-8 BOM is accepted; CSV fields
may contain quoted newlines (reported lines are the physical line where the row starts). The format is sniffed from
the content unless given.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
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
    errors: list[dict[str, Any]] = field(default_factory=list)

    def reject(self, line: int, reason: str) -> None:
        self.rejected += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "reason": reason})

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported, "rejected": self.rejected, "errors": list(self.errors)}


@dataclass
class ImportOutcome:
    posts: list[Post]
    report: ImportReport


def _decode(data: bytes | str) -> str:
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
    else:
        text = data
    return text.removeprefix("\ufeff")


def detect_format(text: str) -> Literal["csv", "jsonl"]:
    first = text.lstrip()[:1]
    return "jsonl" if first in ("{", "[") else "csv"


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


def _row_to_post(row: dict[str, Any], line: int, uploaded_at: datetime, id_prefix: str) -> Post:
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
) -> ImportOutcome:
    """Parse an upload. Never raises for bad rows; raises ``ValueError`` only for an unusable file (no ``text``
    column in a CSV header). Post ids are ``import:<id column>`` or ``import:<content hash>-<line>``."""
    uploaded_at = (uploaded_at or datetime.now(UTC)).astimezone(UTC)
    text = _decode(data)
    fmt = fmt or detect_format(text)
    id_prefix = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    report = ImportReport()
    posts: list[Post] = []
    if fmt == "jsonl":
        for line_number, line in enumerate(text.splitlines(), start=1):
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
            _add(row, line_number, uploaded_at, id_prefix, posts, report)
        return ImportOutcome(posts=posts, report=report)

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        return ImportOutcome(posts=posts, report=report)
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
        _add(dict(zip(columns, values, strict=False)), start, uploaded_at, id_prefix, posts, report)
    return ImportOutcome(posts=posts, report=report)


def _add(
    row: dict[str, Any], line: int, uploaded_at: datetime, id_prefix: str, posts: list[Post], report: ImportReport
) -> None:
    try:
        posts.append(_row_to_post(row, line, uploaded_at, id_prefix))
    except ValueError as exc:
        report.reject(line, str(exc))
        return
    except (TypeError, OverflowError, ArithmeticError):  # a cell no rule above foresaw: its row only
        report.reject(line, "a cell has an unusable value")
        return
    report.imported += 1


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
