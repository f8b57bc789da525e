"""Matching every streamed post against every tracked keyword at once. Pure, no AWS.

Texts and keywords go through the same normalisation (NFKC, casefolded) and the same tokenizer (runs of word
characters, a leading ``#`` or ``$`` kept as a tag). A keyword then matches a post when:

- one word (``lambda``): the post has that word, alone or as a hashtag/cashtag (``#lambda``, ``$lambda``);
- several words (``big brand``, ``covid-19``): the words appear in that order, next to each other, whatever
  non-word characters separate them (``big brand``, ``big-brand``, ``Big, Brand``), or glued together as one
  hashtag (``#bigbrand``, ``#covid19``);
- a tag (``#lambda``, ``$tsla``): only the tag itself, not the bare word;
- anything the tokenizer would lose (``c++``, ``f#``, ``.net``): a literal match bounded by non-word characters,
  tried only on posts that hold the literal's longest word.

Word boundaries come for free: tokens are whole words, so ``cat`` never matches ``catalog``. Per post the work
is two C-level calls (normalise, ``findall``) and one dictionary lookup per token, so 1,000 keywords cost the
same as ten. :class:`KeywordMatcher` is built once per tracked set; :func:`matcher_for` caches the newest one.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

_TOKEN = re.compile(r"[#$]?\w+")
# What a keyword may hold besides its tokens and still be matched by them (separators, not meaning).
_SEPARATORS = re.compile(r"[\s\-_/.'’:,]+")


def normalize_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


class KeywordMatcher:
    """One compiled matcher for a set of normalized keywords (``models.normalize_keyword`` keys)."""

    def __init__(self, keys: Iterable[str]) -> None:
        self.keys = frozenset(keys)
        self._words: dict[str, set[str]] = {}  # a bare word (or tag's word) -> keys
        self._tags: dict[str, set[str]] = {}  # "#word" / "$word" / "#gluedphrase" -> keys
        self._phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}  # first word -> (words, key)
        # Literals are tried only on posts holding one of their words (a regex alternation of 100 literals
        # run over every post costs 25x the rest of the matcher); a literal without a word is always tried.
        self._literals: dict[str, list[tuple[re.Pattern, str]]] = {}
        self._wordless: list[tuple[re.Pattern, str]] = []
        for key in sorted(self.keys):
            text = normalize_text(key)
            tokens = _tokens(text)
            if not tokens or _SEPARATORS.sub("", _TOKEN.sub("", text)):
                pattern = (re.compile(_bounded(text)), key)  # the tokenizer would drop part of it (c++, f#, .net)
                words = [t.lstrip("#$") for t in tokens]
                if words:
                    self._literals.setdefault(max(words, key=len), []).append(pattern)
                else:
                    self._wordless.append(pattern)
                continue
            if len(tokens) == 1:
                token = tokens[0]
                if token[0] in "#$":
                    self._tags.setdefault(token, set()).add(key)
                else:
                    self._words.setdefault(token, set()).add(key)
                continue
            words = tuple(t.lstrip("#$") for t in tokens)
            self._phrases.setdefault(words[0], []).append((words, key))
            self._tags.setdefault("#" + "".join(words), set()).add(key)

    def __len__(self) -> int:
        return len(self.keys)

    def match(self, text: str) -> set[str]:
        """The keys of every keyword ``text`` mentions (empty set when none)."""
        if not text:
            return set()
        norm = normalize_text(text)
        found: set[str] = set()
        words_index, tags_index, phrases = self._words, self._tags, self._phrases
        tokens = _tokens(norm)
        words = [t[1:] if t[0] in "#$" else t for t in tokens]
        for token, word in zip(tokens, words, strict=True):
            keys = words_index.get(word)
            if keys:
                found |= keys
            if token is not word:
                keys = tags_index.get(token)
                if keys:
                    found |= keys
        if phrases:
            for index, word in enumerate(words):
                candidates = phrases.get(word)
                if candidates:
                    for phrase, key in candidates:
                        if tuple(words[index : index + len(phrase)]) == phrase:
                            found.add(key)
        literals = self._literals
        if literals:
            for word in set(words).intersection(literals):
                for pattern, key in literals[word]:
                    if pattern.search(norm):
                        found.add(key)
        for pattern, key in self._wordless:
            if pattern.search(norm):
                found.add(key)
        return found


def _bounded(text: str) -> str:
    """A literal bounded by non-word characters wherever its own edge is a word character."""
    start = r"(?<!\w)" if re.match(r"\w", text) else ""
    end = r"(?!\w)" if re.search(r"\w$", text) else ""
    return start + re.escape(text) + end


_cached: KeywordMatcher | None = None


def matcher_for(keys: Iterable[str]) -> KeywordMatcher:
    """The matcher of this tracked set, rebuilt only when the set changed since the last call."""
    global _cached
    wanted = frozenset(keys)
    if _cached is None or _cached.keys != wanted:
        _cached = KeywordMatcher(wanted)
    return _cached
