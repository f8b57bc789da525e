"""The query language: text -> typed tree -> canonical key. Pure, no I/O.

Grammar (precedence NOT > AND > OR; ``AND``/``OR``/``NOT``/``NEAR/n`` are operators in capitals only)::

    query   := or
    or      := and ("OR" and)*
    and     := unary (["AND"] unary)*              adjacent terms: implicit AND
    unary   := "NOT" unary | "-" primary | near
    near    := primary ["NEAR/" n primary]         n = 0..MAX_NEAR words between
    primary := "(" or ")" | '"' words '"' | #tag | $cashtag | stem* | lang:xx | from:handle | word

A query with no operator syntax at all (no quotes, parentheses, operators, ``-``, ``*``, ``lang:``/``from:``) is a
keyword exactly as before this language existed: one word, or several words matched as a phrase; its key is
``models.normalize_keyword(text)``. See docs/decisions.md ("Queries keep today's keywords").

Positions in errors are offsets in what the user typed (0-based in ``.position``, counted from 1 in the message).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from social_analytics.keywords import key_problem
from social_analytics.models import normalize_keyword
from social_analytics.query import tree
from social_analytics.query.matching import PostView, Prepared, prepare
from social_analytics.query.tree import And, Field, Near, Node, Not, Or, Phrase, Prefix, Tag, Term

MAX_TERMS = 30
MAX_DEPTH = 5
MAX_NEAR = 30
MIN_PREFIX = 3
MAX_TYPED_CHARS = 10_000  # a bound on the work; the limits that matter are MAX_TERMS and MAX_KEY_BYTES
_ALLOWED_FORMAT_CHARS = {"\u200c", "\u200d"}  # joiners inside emoji and some scripts
_NEAR = re.compile(r"NEAR/(\d{1,3})")
_FIELD = re.compile(r"(lang|from):(.*)", re.IGNORECASE | re.DOTALL)
_LANG = re.compile(r"[a-z]{2,3}")
_HANDLE = re.compile(r"[\w.\-:]+")
_TAG = re.compile(r"[#$]\w+")
_STEM = re.compile(r"\w+")


class QuerySyntaxError(ValueError):
    """A query that cannot be read: what is wrong (``message``) and where (``position``, 0-based)."""

    def __init__(self, message: str, position: int) -> None:
        self.message = message
        self.position = position
        super().__init__(f"{message} at character {position + 1}")


@dataclass(frozen=True)
class Query:
    """A parsed query: its storage key, the spelling shown back, the canonical tree."""

    key: str
    display: str
    root: Node

    def matches(self, post: PostView | Prepared) -> bool:
        return self.root.matches(post if isinstance(post, Prepared) else prepare(post))

    def explain_miss(self, post: PostView | Prepared) -> str | None:
        return tree.explain(self.root, post if isinstance(post, Prepared) else prepare(post))

    def positive_terms(self) -> list[Node]:
        """The terms not under a NOT (what a source is asked for), canonical order, no repeats."""
        found: dict[str, Node] = {}
        for leaf in tree.positive_leaves(self.root):
            if not isinstance(leaf, Field):
                found.setdefault(tree.render(leaf), leaf)
        return list(found.values())

    def prefilter_words(self) -> frozenset[str] | None:
        """Normalized words such that every matching post holds at least one of them as a word (``#tag``'s
        word included); None when no such cover exists (a prefix or a wordless literal in some branch)."""
        anchors = tree.cover(self.root, prefixes=False)
        return frozenset(word for _, word in anchors) if anchors else None

    def languages(self) -> frozenset[str] | None:
        """Languages such that every match is tagged with at least one of them (``lang:de``); None = any."""
        return tree.languages(self.root)

    def is_keyword(self) -> bool:
        """A plain keyword as before the language: one term, tag or phrase, nothing else."""
        return isinstance(self.root, Term | Tag | Phrase)


# ------------------------------------------------------------------ lexing
@dataclass(frozen=True)
class _Token:
    kind: str  # "word" "phrase" "(" ")" "AND" "OR" "NOT" "NEAR" "-"
    text: str  # for word/phrase: the NFKC text (per character, see _normalized); NEAR: the distance
    start: int  # offset in the typed text


def _normalized(text: str) -> tuple[str, list[int]]:
    """NFKC per character with, for each output character, the offset of the typed character it came from.

    Per character so that positions survive (NFKC of the joined result equals NFKC of the whole text), and so
    that full-width ``（`` ``＂`` ``ＡＮＤ`` are the operators they look like."""
    out: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        norm = unicodedata.normalize("NFKC", char)
        out.append(norm)
        where.extend([index] * len(norm))
    where.append(len(text))
    return "".join(out), where


def _lex(text: str) -> Iterator[_Token]:
    s, where = _normalized(text)
    i, n = 0, len(s)
    while i < n:
        char = s[i]
        if char.isspace():
            i += 1
        elif char in "()":
            yield _Token(char, char, where[i])
            i += 1
        elif char == '"':
            end = s.find('"', i + 1)
            if end < 0:
                raise QuerySyntaxError("unclosed quote", where[i])
            yield _Token("phrase", s[i + 1 : end], where[i])
            i = end + 1
        elif char == "-" and i + 1 < n and not s[i + 1].isspace() and s[i + 1] != ")":
            yield _Token("-", "-", where[i])
            i += 1
        else:
            j = i
            while j < n and not s[j].isspace() and s[j] not in '()"':
                j += 1
            word = s[i:j]
            if word in ("AND", "OR", "NOT"):
                yield _Token(word, word, where[i])
            elif word.startswith("NEAR") and (word == "NEAR" or word[4] == "/"):
                match = _NEAR.fullmatch(word)
                if not match or int(match.group(1)) > MAX_NEAR:
                    raise QuerySyntaxError(f"NEAR needs a distance of 0 to {MAX_NEAR} words, like NEAR/3", where[i])
                yield _Token("NEAR", match.group(1), where[i])
            else:
                yield _Token("word", word, where[i])
            i = j


def _operator_free(tokens: list[_Token]) -> bool:
    """Nothing but plain words: today's keyword (a term or a phrase)."""
    return all(t.kind == "word" and not t.text.endswith("*") and not _FIELD.match(t.text) for t in tokens)


# ------------------------------------------------------------------ parsing
_STARTS_UNARY = {"word", "phrase", "(", "NOT", "-"}


class _Parser:
    def __init__(self, tokens: list[_Token], end: int) -> None:
        self.tokens = tokens
        self.at = 0
        self.end = end  # the typed text's length: where "the end" is
        self.depth = 0
        self.terms = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def here(self) -> int:
        token = self.peek()
        return token.start if token else self.end

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect_term_after(self, what: str) -> None:
        token = self.peek()
        if token is None or token.kind not in _STARTS_UNARY:
            raise QuerySyntaxError(f"expected a term after {what}", self.here())

    def parse(self) -> Node:
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            if token.kind == ")":
                raise QuerySyntaxError("unexpected ')' without a matching '('", token.start)
            raise QuerySyntaxError(f"unexpected {token.kind}", token.start)  # pragma: no cover - parse_or eats all
        return node

    def parse_or(self) -> Node:
        parts = [self.parse_and()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            self.expect_term_after("OR")
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Node:
        parts = [self.parse_unary()]
        while (token := self.peek()) is not None:
            if token.kind == "AND":
                self.take()
                self.expect_term_after("AND")
            elif token.kind not in _STARTS_UNARY:
                break
            parts.append(self.parse_unary())
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def parse_unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "NOT":
            self.take()
            self.expect_term_after("NOT")
            return Not(self.parse_unary())
        if token is not None and token.kind == "-":
            self.take()
            following = self.peek()
            if following is None or following.kind not in ("word", "phrase", "("):
                raise QuerySyntaxError("expected a term after '-'", self.here())
            return Not(self.parse_primary())
        return self.parse_near()

    def parse_near(self) -> Node:
        left_at = self.here()
        left = self.parse_primary()
        token = self.peek()
        if token is None or token.kind != "NEAR":
            return left
        self.take()
        following = self.peek()
        if following is None or following.kind not in ("word", "phrase", "("):
            raise QuerySyntaxError("expected a term after NEAR", self.here())
        right_at = following.start
        right = self.parse_primary()
        for node, at in ((left, left_at), (right, right_at)):
            if not tree.near_operand_ok(node):
                raise QuerySyntaxError("NEAR joins two words, phrases, tags or prefixes", at)
        after = self.peek()
        if after is not None and after.kind == "NEAR":
            raise QuerySyntaxError("NEAR joins two terms; join NEAR pairs with AND", after.start)
        return Near(left, right, int(token.text))

    def parse_primary(self) -> Node:
        token = self.peek()
        if token is None:
            raise QuerySyntaxError("expected a term", self.end)
        if token.kind == "(":
            self.take()
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QuerySyntaxError(f"parentheses nest deeper than {MAX_DEPTH} levels", token.start)
            if (inner := self.peek()) is None or inner.kind not in _STARTS_UNARY:
                if inner is not None and inner.kind == ")":
                    raise QuerySyntaxError("empty parentheses", token.start)
                raise QuerySyntaxError("expected a term after '('", self.here())
            node = self.parse_or()
            close = self.peek()
            if close is None or close.kind != ")":
                raise QuerySyntaxError("missing ')' for this '('", token.start)
            self.take()
            self.depth -= 1
            return node
        if token.kind in ("word", "phrase"):
            self.take()
            self.terms += 1
            if self.terms > MAX_TERMS:
                raise QuerySyntaxError(f"at most {MAX_TERMS} terms in a query", token.start)
            return _leaf(token)
        if token.kind == ")":
            raise QuerySyntaxError("unexpected ')' without a matching '('", token.start)
        raise QuerySyntaxError(f"expected a term before {token.kind}", token.start)


def _leaf(token: _Token) -> Node:
    text, at = token.text, token.start
    if token.kind == "word":
        field = _FIELD.fullmatch(text)
        if field:
            name, value = field.group(1).casefold(), normalize_keyword(field.group(2))
            if not value:
                raise QuerySyntaxError(f"expected a value after {name}:", at)
            if name == "lang":
                if not _LANG.fullmatch(value):
                    raise QuerySyntaxError("lang: takes a 2- or 3-letter language code, like lang:de", at)
                return Field("lang", value)
            value = value.lstrip("@")
            if not _HANDLE.fullmatch(value):
                raise QuerySyntaxError("from: takes an author's handle, like from:alice.bsky.social", at)
            return Field("from", value)
        if text.endswith("*"):
            stem = normalize_keyword(text[:-1])
            if not _STEM.fullmatch(stem) or len(stem) < MIN_PREFIX:
                raise QuerySyntaxError(
                    f"a prefix needs at least {MIN_PREFIX} letters or digits before '*', like auto*", at
                )
            return Prefix(stem)
    value = normalize_keyword(text)
    if not value:
        raise QuerySyntaxError("empty quotes", at)
    return _text_leaf(value, at)


def _text_leaf(value: str, at: int) -> Node:
    if not any(unicodedata.category(char)[0] in "LNS" for char in value):
        raise QuerySyntaxError("a term needs a letter, digit or symbol", at)
    if " " in value:
        return Phrase(value)
    if _TAG.fullmatch(value):
        return Tag(value)
    return Term(value)


def _control_character(text: str) -> None:
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category in ("Cc", "Cs") or (category == "Cf" and char not in _ALLOWED_FORMAT_CHARS):
            raise QuerySyntaxError(f"control characters are not allowed (found U+{ord(char):04X})", index)


def parse_query(text: str) -> Query:
    """Read a query (see the module docstring); raises :class:`QuerySyntaxError` naming what and where."""
    if not isinstance(text, str):
        raise QuerySyntaxError("a query must be text", 0)
    return _parse(text)


@lru_cache(maxsize=1024)  # a request validates, then keys, the same text; a Query is immutable
def _parse(text: str) -> Query:
    display = " ".join(text.split())
    if not display:
        raise QuerySyntaxError("a query must not be empty", 0)
    if len(display) > MAX_TYPED_CHARS:
        raise QuerySyntaxError(f"a query must be at most {MAX_TYPED_CHARS} characters", MAX_TYPED_CHARS)
    _control_character(text)
    tokens = list(_lex(text))
    if not tokens:
        raise QuerySyntaxError("a query must not be empty", 0)
    if _operator_free(tokens):  # one term or one phrase, however many words: only the key's bytes limit it
        root = _text_leaf(normalize_keyword(text), tokens[0].start)  # exactly today's key and meaning
    else:
        root = tree.canonical(_Parser(tokens, len(text)).parse())
        if not tree.anchored(root):
            raise QuerySyntaxError(
                "a query needs at least one term that is not excluded (in every OR branch)", tokens[0].start
            )
    key = tree.render(root, top=True)
    problem = key_problem(key)  # the stored key's own rules (bytes); the parser has already checked the rest
    if problem:
        raise QuerySyntaxError(f"the query {problem}", 0)
    return Query(key=key, display=display, root=root)


def query_for_key(key: str, display: str | None = None) -> Query:
    """The query a stored key stands for, whatever was stored before the language: the key parsed when it reads
    back as itself, else the key as today's keyword (one text, the stream's rules) so old items keep matching."""
    try:
        query = parse_query(key)
    except QuerySyntaxError:
        query = None
    if query is not None and query.key == key:
        return Query(key=key, display=display or query.display, root=query.root)
    root: Node = Phrase(key) if " " in key else Tag(key) if _TAG.fullmatch(key) else Term(key)
    return Query(key=key, display=display or key, root=root)
