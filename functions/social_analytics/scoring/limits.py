"""Size limits of a stored result, so every DynamoDB item stays under its 400 KB limit by construction.

Pure (no AWS). A result is stored compressed (``storage.jobs``) in two items, the keyword's ``RESULT`` and the job's;
each holds at most ``MAX_RESULT_BYTES`` of JSON before compression (zlib never grows data by more than a few bytes),
so neither can reach 400 KB whatever the posts hold.

* Every post view's ``text`` is cut to ``POST_TEXT_MAX_CHARS`` characters with ``truncated: true`` (the analysis
  itself scores the whole text; only what is stored and shown is cut).
* Every other string in the result (a 10,000-letter "word" among the top terms, an author name, a URL) is cut to
  ``STRING_MAX_CHARS``.
* If the JSON is still larger than ``MAX_RESULT_BYTES`` (posts of escaped control characters, or new fields), the
  sample posts are halved until it fits, then the top positive / negative examples are dropped; ``trimmed`` says
  what was left out. A result that still does not fit raises ``ResultTooLarge`` (the job fails with that reason).
"""

from __future__ import annotations

import json
from typing import Any

POST_TEXT_MAX_CHARS = 1000
STRING_MAX_CHARS = 1000
MAX_RESULT_BYTES = 300_000


class ResultTooLarge(Exception):
    def __init__(self, size: int) -> None:
        super().__init__(f"the result is {size} bytes after trimming; at most {MAX_RESULT_BYTES} can be stored")
        self.size = size

    def __reduce__(self):  # pickled as its size, not its message (the result is built in a child process locally)
        return type(self), (self.size,)


def cap_text(text: str) -> tuple[str, bool]:
    """(text cut to POST_TEXT_MAX_CHARS, whether it was cut)."""
    if len(text) <= POST_TEXT_MAX_CHARS:
        return text, False
    return text[:POST_TEXT_MAX_CHARS], True


def encoded_size(result: dict) -> int:
    return len(json.dumps(result, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _cap_strings(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= STRING_MAX_CHARS else value[:STRING_MAX_CHARS]
    if isinstance(value, dict):
        return {key: _cap_strings(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_cap_strings(item) for item in value]
    return value


def fit_result(result: dict) -> dict:
    """The result with every string capped and, when its JSON is over MAX_RESULT_BYTES, fewer sample posts."""
    fitted = _cap_strings(result)
    size = encoded_size(fitted)
    if size <= MAX_RESULT_BYTES:
        return fitted
    original = size
    posts = list(fitted.get("posts") or [])
    dropped_examples = False
    while size > MAX_RESULT_BYTES and posts:
        posts = posts[: len(posts) // 2]
        fitted["posts"] = posts
        size = encoded_size(fitted)
    if size > MAX_RESULT_BYTES and (fitted.get("top_positive") or fitted.get("top_negative")):
        fitted["top_positive"], fitted["top_negative"] = [], []
        dropped_examples = True
        size = encoded_size(fitted)
    fitted["trimmed"] = {
        "reason": f"the result was {original} bytes; at most {MAX_RESULT_BYTES} are stored",
        "posts_kept": len(posts),
        "posts_dropped": len(result.get("posts") or []) - len(posts),
        "examples_dropped": dropped_examples,
    }
    size = encoded_size(fitted)
    if size > MAX_RESULT_BYTES:
        raise ResultTooLarge(size)
    return fitted
