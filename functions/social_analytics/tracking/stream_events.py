"""Jetstream messages read defensively: every field checked for type and size before anything uses it. Pure, no I/O.

A Jetstream server relays records as their authors wrote them (``validate: false`` records pass unchecked), so a
message may hold anything JSON can: a list where a string belongs, a 5,000-deep array, a 4,000-digit number, a
450 KB ``createdAt``. :func:`parse` turns one message into a typed :class:`StreamEvent` or a :class:`Malformed`
with a short reason; nothing it is given makes it raise. The run counts a malformed message and goes on.

Sizes (Bluesky's lexicons): a post's ``text`` is at most 3,000 bytes (UTF-8) and is cut there before matching;
``langs`` keeps at most 3 valid language tags; ``createdAt`` is kept only when it parses as a date-time; ``did`` and
``rkey`` must be short strings of their syntax. Facets give the tags, links and mentions, each list bounded.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

POST_COLLECTION = "app.bsky.feed.post"
KINDS = ("commit", "identity", "account")
OPERATIONS = ("create", "update", "delete")
MAX_TEXT_BYTES = 3000  # app.bsky.feed.post#text maxLength
MAX_LANGS = 3  # app.bsky.feed.post#langs maxLength
MAX_DID_CHARS = 256
MAX_RKEY_CHARS = 512  # the record-key syntax's limit
MAX_ITEMS = 20  # tags, links, mentions kept per post
MAX_TAG_CHARS = 64  # app.bsky.richtext.facet#tag maxGraphemes
MAX_LINK_CHARS = 1000
MAX_TIME_US = 1 << 62  # any larger is not a time (and would overflow a float or an int64 column)
MAX_FIELD_CHARS = 1000  # a createdAt longer than this was written by no client: the event is malformed
MAX_TEXT_CHARS_READ = 100_000  # a text far past the lexicon's limit is malformed (a longer valid one is cut)

_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]+")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]+")
_LANG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,4}")
_QUOTE_EMBEDS = ("app.bsky.embed.record", "app.bsky.embed.recordWithMedia")


@dataclass(frozen=True)
class Malformed:
    reason: str


@dataclass(frozen=True)
class StreamPost:
    """What the stream keeps of one created post (the archive's record; the matcher reads ``text``)."""

    did: str
    rkey: str
    time_us: int  # when Jetstream received it
    text: str
    created_us: int | None = None  # the author's createdAt, when it parses
    created_at: str | None = None  # ... as the author wrote it (a short, parsed string)
    langs: tuple[str, ...] = ()
    reply: bool = False
    quote: bool = False
    repost: bool = False  # posts never are; kept for a subscription to app.bsky.feed.repost
    tags: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()

    @property
    def uri(self) -> str:
        return f"at://{self.did}/{POST_COLLECTION}/{self.rkey}"


@dataclass(frozen=True)
class StreamEvent:
    """A well-formed message: its time and kind; for a post commit, the post (create) or the deleted key."""

    time_us: int
    kind: str
    post: StreamPost | None = None
    deleted: tuple[str, str] | None = None  # (did, rkey) of a deleted post
    other: dict = field(default_factory=dict, compare=False)


def cut_utf8(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes, never inside a character."""
    data = text.encode("utf-8", "surrogatepass")
    if len(data) <= limit:
        return text
    return data[:limit].decode("utf-8", "ignore")


def _short(value: object, limit: int, pattern: re.Pattern) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= limit and pattern.fullmatch(value):
        return value
    return None


def _langs(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    kept = [v for v in value[:10] if isinstance(v, str) and len(v) <= 35 and _LANG.fullmatch(v)]
    return tuple(dict.fromkeys(kept))[:MAX_LANGS]


def parse_created(value: object) -> tuple[str | None, int | None]:
    """``createdAt`` when it is a short string that parses as a date-time (naive read as UTC), else (None, None)."""
    if not isinstance(value, str) or not 10 <= len(value) <= 40:
        return None, None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None, None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return value, int(moment.timestamp() * 1_000_000)
    except (OverflowError, OSError, ValueError):
        return None, None


def _facets(record: dict) -> tuple[list[str], list[str], list[str]]:
    tags: list[str] = []
    links: list[str] = []
    mentions: list[str] = []
    facets = record.get("facets")
    if isinstance(facets, list):
        for facet in facets[:50]:
            features = facet.get("features") if isinstance(facet, dict) else None
            if not isinstance(features, list):
                continue
            for feature in features[:10]:
                if not isinstance(feature, dict):
                    continue
                kind = feature.get("$type")
                if kind == "app.bsky.richtext.facet#tag":
                    tag = feature.get("tag")
                    if isinstance(tag, str) and 0 < len(tag) <= MAX_TAG_CHARS:
                        tags.append(tag)
                elif kind == "app.bsky.richtext.facet#link":
                    uri = feature.get("uri")
                    if isinstance(uri, str) and 0 < len(uri) <= MAX_LINK_CHARS:
                        links.append(uri)
                elif kind == "app.bsky.richtext.facet#mention":
                    did = _short(feature.get("did"), MAX_DID_CHARS, _DID)
                    if did:
                        mentions.append(did)
    extra = record.get("tags")
    if isinstance(extra, list):
        tags.extend(t for t in extra[:8] if isinstance(t, str) and 0 < len(t) <= MAX_TAG_CHARS)
    embed = record.get("embed")
    if isinstance(embed, dict):
        external = embed.get("external")
        uri = external.get("uri") if isinstance(external, dict) else None
        if isinstance(uri, str) and 0 < len(uri) <= MAX_LINK_CHARS:
            links.append(uri)

    def bounded(items: list[str]) -> list[str]:
        return list(dict.fromkeys(items))[:MAX_ITEMS]

    return bounded(tags), bounded(links), bounded(mentions)


def _post(did: str, rkey: str, time_us: int, record: object) -> StreamPost:
    record = record if isinstance(record, dict) else {}
    text = record.get("text")
    text = cut_utf8(text) if isinstance(text, str) else ""
    created_at, created_us = parse_created(record.get("createdAt"))
    embed = record.get("embed")
    embed_type = embed.get("$type") if isinstance(embed, dict) else None
    tags, links, mentions = _facets(record)
    return StreamPost(
        did=did,
        rkey=rkey,
        time_us=time_us,
        text=text,
        created_us=created_us,
        created_at=created_at,
        langs=_langs(record.get("langs")),
        reply=isinstance(record.get("reply"), dict),
        quote=embed_type in _QUOTE_EMBEDS,
        tags=tuple(tags),
        links=tuple(links),
        mentions=tuple(mentions),
    )


def loads(raw: str | bytes) -> object | Malformed:
    """The JSON value of a message, or why not (deep nesting and huge numbers included)."""
    try:
        return json.loads(raw)
    except RecursionError:
        return Malformed("too_deep")
    except (ValueError, TypeError):  # bad JSON, bad UTF-8, an int over Python's digit limit
        return Malformed("not_json")


def parse(raw: str | bytes) -> StreamEvent | Malformed:
    """One message as a typed event, or :class:`Malformed` with its reason. Never raises."""
    try:
        value = loads(raw)
        return value if isinstance(value, Malformed) else parse_value(value)
    except Exception:
        return Malformed("unreadable")


def parse_value(event: object) -> StreamEvent | Malformed:
    if not isinstance(event, dict):
        return Malformed("not_an_object")
    time_us = event.get("time_us")
    if not isinstance(time_us, int) or isinstance(time_us, bool) or not 0 < time_us < MAX_TIME_US:
        return Malformed("bad_time_us")
    kind = event.get("kind")
    if not isinstance(kind, str) or kind not in KINDS:
        return Malformed("bad_kind")
    if kind != "commit":
        return StreamEvent(time_us, kind)
    commit = event.get("commit")
    if not isinstance(commit, dict):
        return Malformed("bad_commit")
    collection = commit.get("collection")
    if not isinstance(collection, str) or len(collection) > 317:
        return Malformed("bad_commit")
    if collection != POST_COLLECTION:
        return StreamEvent(time_us, kind)
    operation = commit.get("operation")
    if not isinstance(operation, str) or operation not in OPERATIONS:
        return Malformed("bad_operation")
    did = _short(event.get("did"), MAX_DID_CHARS, _DID)
    rkey = _short(commit.get("rkey"), MAX_RKEY_CHARS, _RKEY)
    if did is None or rkey is None:
        return Malformed("bad_did_or_rkey")
    if operation == "delete":
        return StreamEvent(time_us, kind, deleted=(did, rkey))
    if operation == "update":
        return StreamEvent(time_us, kind)  # an edit: the original post stays as counted
    record = commit.get("record")
    created = record.get("createdAt") if isinstance(record, dict) else None
    if isinstance(created, str) and len(created) > MAX_FIELD_CHARS:
        return Malformed("oversized_field")  # no client writes this; a record built to fill a stored item
    text = record.get("text") if isinstance(record, dict) else None
    if isinstance(text, str) and len(text) > MAX_TEXT_CHARS_READ:
        return Malformed("oversized_field")
    return StreamEvent(time_us, kind, post=_post(did, rkey, time_us, record))


def needs_normalizing(text: str) -> bool:
    """True when NFKC + casefold changes ``text`` beyond a plain lowercase (fullwidth letters, ligatures, ß...):
    the archive's SQL pre-filter (lowercase substring) would not see such a text's words, so it always passes it."""
    if text.isascii():
        return False
    normal = unicodedata.normalize("NFKC", text)
    return normal != text or normal.casefold() != normal.lower()
