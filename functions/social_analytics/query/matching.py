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
    """A post normalized and tokenized once, for any number of questions."""

    __slots__ = ("author", "langs", "norm", "tokens", "tokenset", "words", "wordset")

    def __init__(self, post: PostView) -> None:
        self.norm = normalize_text(post.text) if post.text else ""
        self.tokens = _TOKEN.findall(self.norm)
        self.words = [t[1:] if t[0] in "#$" else t for t in self.tokens]
        self.wordset = frozenset(self.words)
        self.tokenset = frozenset(self.tokens)
        self.langs = tuple(str(lang).casefold() for lang in post.langs if lang)
        self.author = normalize_text(post.author or "").lstrip("@")


def prepare(post: PostView | str) -> Prepared:
    return Prepared(PostView(post) if isinstance(post, str) else post)


WORD, TAG, PHRASE, LITERAL = "word", "tag", "phrase", "literal"


class TextMatcher:
    """The compiled form of one normalized text (see the module docstring for the rules)."""

    __slots__ = ("anchor", "glued", "kind", "pattern", "text", "word", "words")

    def __init__(self, text: str) -> None:
        self.text = text
        self.word = ""
        self.words: tuple[str, ...] = ()
        self.glued = ""
        self.pattern: re.Pattern | None = None
        self.anchor: str | None = None  # a word every matching post holds (None: no such word)
        tokens = _TOKEN.findall(text)
        if not tokens or _SEPARATORS.sub("", _TOKEN.sub("", text)):
            self.kind = LITERAL  # the tokenizer would drop part of it (c++, f#, .net)
            self.pattern = re.compile(_bounded(text))
            words = [t.lstrip("#$") for t in tokens]
            self.anchor = max(words, key=len) if words else None
            self.words = tuple(words)
        elif len(tokens) == 1:
            token = tokens[0]
            self.kind = TAG if token[0] in "#$" else WORD
            self.word = token
            self.anchor = token.lstrip("#$")
            self.words = (self.anchor,)
        else:
            self.kind = PHRASE
            self.words = tuple(t.lstrip("#$") for t in tokens)
            self.glued = "#" + "".join(self.words)
            self.anchor = max(self.words, key=len)

    def cover(self) -> frozenset[str] | None:
        """Words such that every post this text matches holds one of them as a word (tags' words included)."""
        if self.kind == PHRASE:
            return frozenset((self.anchor, self.glued[1:]))
        return frozenset((self.anchor,)) if self.anchor else None

    def matches(self, post: Prepared) -> bool:
        kind = self.kind
        if kind == WORD:
            return self.word in post.wordset
        if kind == TAG:
            return self.word in post.tokenset
        if kind == PHRASE:
            if self.glued in post.tokenset:
                return True
            return bool(self.spans(post))
        if self.anchor is not None and self.anchor not in post.wordset:
            return False
        return self.pattern.search(post.norm) is not None

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
            found += [(i, i + 1) for i, t in enumerate(post.tokens) if t == self.glued]
            return found
        return []


def _bounded(text: str) -> str:
    """A literal bounded by non-word characters wherever its own edge is a word character."""
    start = r"(?<!\w)" if re.match(r"\w", text) else ""
    end = r"(?!\w)" if re.search(r"\w$", text) else ""
    return start + re.escape(text) + end
