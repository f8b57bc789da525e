"""How one normalized text (a term, a phrase, a tag) is found in a post: the stream's matching rules, one place.

Texts and posts go through the same normalisation (NFKC, casefolded) and the same tokenizer (runs of word
characters, a leading ``#`` or ``$`` kept as a tag). A text then matches a post when:

- one word (``lambda``): the post has that word, alone or as a hashtag/cashtag (``#lambda``, ``$lambda``);
- several words (``big brand``, ``covid-19``): the words appear in that order, next to each other, whatever
  non-word characters separate them (``big brand``, ``big-brand``, ``Big, Brand``), or glued together as one
  hashtag (``#bigbrand``, ``#covid19``);
- a tag (``#lambda``, ``$tsla``): only the tag itself, not the bare word;
- anything the tokenizer would lose (``c++``, ``f#``, ``.net``): a literal match bounded by non-word characters,
  tried only on posts that hold the literal's longest word.

Word boundaries come for free: tokens are whole words, so ``cat`` never matches ``catalog``. A post is prepared
once (:func:`prepare`: one normalisation, one ``findall``) and then asked about any number of texts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(r"[#$]?\w+")
_WORD = re.compile(r"\w+")
_TAG = re.compile(r"[#$]\w+")
_NO_TAGS: frozenset[str] = frozenset()
# What a text may hold besides its tokens and still be matched by them (separators, not meaning).
_SEPARATORS = re.compile(r"[\s\-_/.'’:,]+")


def normalize_text(text: str) -> str:
    return unicodedata.normalize("NFKC", text).casefold()


def tokens_of(normalized: str) -> list[str]:
    return _TOKEN.findall(normalized)


@dataclass(frozen=True)
class PostView:
    """What the matcher sees of a post: the text the user sees, the author's handle (for ``from:``), its languages."""

    text: str
    author: str = ""
    langs: tuple[str, ...] = ()


class Prepared:
    """A post normalized once, for any number of questions.

    Texts are found by searching the normalized text (C-level ``in`` and regular expressions written to mean
    exactly the token rules). The word set (what an index of many queries looks words up in), the tag set and the
    token list (for NEAR positions), the author and the languages are built on first use. ``\\w+`` finds the
    same runs of word characters as the tokenizer, so ``words`` are the tokens without their ``#``/``$``."""

    __slots__ = ("_author", "_langs", "_post", "_tags", "_tokens", "_words", "_wordset", "norm")

    def __init__(self, post: PostView) -> None:
        self._post = post
        self.norm = normalize_text(post.text) if post.text else ""
        self._words: list[str] | None = None
        self._wordset: frozenset[str] | None = None
        self._tags: frozenset[str] | None = None
        self._tokens: list[str] | None = None
        self._langs: tuple[str, ...] | None = None
        self._author: str | None = None

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = _WORD.findall(self.norm)
        return self._words

    @property
    def wordset(self) -> frozenset[str]:
        if self._wordset is None:
            self._wordset = frozenset(self.words)
        return self._wordset

    @property
    def tags(self) -> frozenset[str]:
        if self._tags is None:
            norm = self.norm
            self._tags = frozenset(_TAG.findall(norm)) if ("#" in norm or "$" in norm) else _NO_TAGS
        return self._tags

    @property
    def tokens(self) -> list[str]:
        if self._tokens is None:
            self._tokens = _TOKEN.findall(self.norm)
        return self._tokens

    @property
    def langs(self) -> tuple[str, ...]:
        if self._langs is None:
            self._langs = tuple([str(lang).casefold() for lang in self._post.langs if lang])
        return self._langs

    @property
    def author(self) -> str:
        if self._author is None:
            self._author = normalize_text(self._post.author or "").lstrip("@")
        return self._author


def prepare(post: PostView | str) -> Prepared:
    return Prepared(PostView(post) if isinstance(post, str) else post)


WORD, TAG, PHRASE, LITERAL = "word", "tag", "phrase", "literal"


def word_start(word: str) -> str:
    """``word`` where it begins a run of word characters. Written literal first, the look-behind after it, so the
    regular expression engine scans for the literal (several times faster than a leading look-behind)."""
    escaped = re.escape(word)
    return escaped + r"(?<!\w" + escaped + ")"


class TextMatcher:
    """The compiled form of one normalized text (see the module docstring for the rules).

    ``gate`` is a substring every match contains (a C-level ``in`` rejects most posts); ``pattern`` finds the
    text itself, ``glued_pattern`` a phrase glued as one hashtag."""

    __slots__ = ("anchor", "gate", "glued", "glued_pattern", "kind", "pattern", "text", "word", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self.word = ""
        self.words: tuple[str, ...] = ()
        self.glued = ""
        self.glued_pattern: re.Pattern | None = None
        self.anchor: str | None = None  # a word every matching post holds (None: no such word)
        tokens = _TOKEN.findall(text)
        if not tokens or _SEPARATORS.sub("", _TOKEN.sub("", text)):
            self.kind = LITERAL  # the tokenizer would drop part of it (c++, f#, .net)
            self.pattern = re.compile(_bounded(text))
            words = [t.lstrip("#$") for t in tokens]
            self.anchor = max(words, key=len) if words else None
            self.words = tuple(words)
            self.gate = text
        elif len(tokens) == 1:
            token = tokens[0]
            self.kind = TAG if token[0] in "#$" else WORD
            self.word = token
            self.anchor = token.lstrip("#$")
            self.words = (self.anchor,)
            # A tag's sigil is never a word character, so "#rust" not followed by one is the token "#rust".
            body = re.escape(token) if self.kind == TAG else word_start(token)
            self.pattern = re.compile(body + r"(?!\w)")
            self.gate = token
        else:
            self.kind = PHRASE
            self.words = tuple(t.lstrip("#$") for t in tokens)
            self.glued = "#" + "".join(self.words)
            self.anchor = max(self.words, key=len)
            # The words as adjacent tokens: whole runs of word characters with only non-word characters between.
            self.pattern = re.compile(
                word_start(self.words[0]) + "".join(r"\W+" + re.escape(w) for w in self.words[1:]) + r"(?!\w)"
            )
            self.glued_pattern = re.compile(re.escape(self.glued) + r"(?!\w)")
            self.gate = self.anchor  # in both forms

    def cover(self) -> frozenset[str] | None:
        """Words such that every post this text matches holds one of them as a word (tags' words included)."""
        if self.kind == PHRASE:
            return frozenset((self.anchor, self.glued[1:]))
        return frozenset((self.anchor,)) if self.anchor else None

    def matches(self, post: Prepared) -> bool:
        norm = post.norm
        if self.gate not in norm:
            return False
        if self.pattern.search(norm) is not None:
            return True
        return self.glued_pattern is not None and "#" in norm and self.glued_pattern.search(norm) is not None

    def spans(self, post: Prepared) -> list[tuple[int, int]]:
        """Where the text occurs, as token index ranges [start, end) (a literal has no token positions)."""
        kind = self.kind
        if kind == WORD:
            return [(i, i + 1) for i, w in enumerate(post.words) if w == self.word]
        if kind == TAG:
            return [(i, i + 1) for i, t in enumerate(post.tokens) if t == self.word]
        if kind == PHRASE:
            phrase, words, first, n = self.words, post.words, self.words[0], len(self.words)
            found = [(i, i + n) for i, w in enumerate(words) if w == first and tuple(words[i : i + n]) == phrase]
            if self.glued in post.tags:
                found += [(i, i + 1) for i, t in enumerate(post.tokens) if t == self.glued]
            return found
        return []


def _bounded(text: str) -> str:
    """A literal bounded by non-word characters wherever its own edge is a word character."""
    start = r"(?<!\w)" if re.match(r"\w", text) else ""
    end = r"(?!\w)" if re.search(r"\w$", text) else ""
    return start + re.escape(text) + end
