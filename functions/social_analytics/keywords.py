"""What a keyword may be once normalized, and the one spelling of it that providers are asked for.

* The key (``models.normalize_keyword``: NFKC, casefolded, whitespace collapsed) is what every stored item is
  keyed on (``KW#<key>`` partitions, ``TRACKED``/``KW#<key>``, ``ALERTS``/``<time>#<key>#<type>``, the jobs
  index). NFKC can expand one character into many (U+FDFA is 18 characters, 33 bytes), so the limit is on the
  key's UTF-8 bytes, not on what was typed: ``MAX_KEY_BYTES`` leaves room inside DynamoDB's 1,024-byte sort keys
  and 2,048-byte partition keys for every composed key.
* A key must hold at least one letter, digit or symbol (Unicode categories L*, N*, S*): a keyword of only
  punctuation, combining marks or joiners names nothing a provider can search for.
* ``provider_query(key)`` is the query sent to every provider for that key. It depends on the key alone, so every
  spelling of a key (full-width, ligatures, case) fetches the same posts, and the cache, the stored window and the
  incremental cursor (all keyed on the key) always hold what that query returned.
"""

from __future__ import annotations

import unicodedata

MAX_KEY_BYTES = 512
_ALLOWED_FORMAT_CHARS = {"\u200c", "\u200d"}  # joiners inside emoji and some scripts


def key_bytes(key: str) -> int:
    return len(key.encode("utf-8", "surrogatepass"))


def key_problem(key: str) -> str | None:
    """Why a normalized key cannot be stored or searched, or None when it can."""
    if not key:
        return "must not be empty"
    size = key_bytes(key)
    if size > MAX_KEY_BYTES:
        return f"must be at most {MAX_KEY_BYTES} bytes once normalized (NFKC); this one is {size} bytes"
    for char in key:
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or (category == "Cf" and char not in _ALLOWED_FORMAT_CHARS):
            return f"must not contain control characters once normalized (found U+{ord(char):04X})"
    if not any(unicodedata.category(char)[0] in "LNS" for char in key):
        return "must contain a letter, digit or symbol once normalized"
    return None


def provider_query(key: str) -> str:
    """The query providers are asked for a key: the key itself (search is case-insensitive at every provider)."""
    return key


def display(keyword: str) -> str:
    """The spelling shown back to the user: what they typed, whitespace collapsed."""
    return " ".join(keyword.split())
