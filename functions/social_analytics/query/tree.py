"""The typed tree of a query, its canonical form and its evaluation against a prepared post. Pure.

Nodes are frozen dataclasses, compared by value, so equal subtrees deduplicate. :func:`canonical` puts a tree in
its one form (nested AND/OR flattened, operands deduplicated and sorted by their rendering, double negation
removed, one-operand groups unwrapped); :func:`render` writes it as query text that parses back to the same tree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from social_analytics.query.matching import PHRASE, TAG, WORD, Prepared, TextMatcher, word_start

_FIELD = re.compile(r"(?:lang|from):", re.IGNORECASE)


@dataclass(frozen=True)
class _Text:
    """A leaf found by the stream's text rules (``matching.TextMatcher``); ``text`` is normalized."""

    text: str
    matcher: TextMatcher = field(init=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "matcher", TextMatcher(self.text))

    def matches(self, post: Prepared) -> bool:
        return self.matcher.matches(post)

    def spans(self, post: Prepared) -> list[tuple[int, int]]:
        return self.matcher.spans(post)


@dataclass(frozen=True)
class Term(_Text):
    """One word (``java``) or a literal the tokenizer cannot split (``c++``, ``.net``, ``covid-19``)."""

    def describe(self) -> str:
        return f"'{self.text}'"


@dataclass(frozen=True)
class Phrase(_Text):
    """Several words, adjacent and in order (or glued as one hashtag)."""

    def describe(self) -> str:
        return f"phrase '{self.text}'"


@dataclass(frozen=True)
class Tag(_Text):
    """A hashtag (``#rust``) or cashtag (``$tsla``): only the tag, never the bare word."""

    def describe(self) -> str:
        return f"tag '{self.text}'"


@dataclass(frozen=True)
class Prefix:
    """``stem*``: any word starting with the stem (tags' words included)."""

    stem: str
    pattern: re.Pattern = field(init=False, compare=False, repr=False, hash=False)

    def __post_init__(self) -> None:
        # A word starts with the stem where the stem follows a non-word character (or the start): one C-level search.
        object.__setattr__(self, "pattern", re.compile(word_start(self.stem)))

    def matches(self, post: Prepared) -> bool:
        return self.stem in post.norm and self.pattern.search(post.norm) is not None

    def spans(self, post: Prepared) -> list[tuple[int, int]]:
        return [(i, i + 1) for i, w in enumerate(post.words) if w.startswith(self.stem)]

    def describe(self) -> str:
        return f"word starting with '{self.stem}'"


@dataclass(frozen=True)
class Field:
    """``lang:de`` (the post is tagged with that language) or ``from:handle`` (its author)."""

    name: str  # "lang" | "from"
    value: str

    def matches(self, post: Prepared) -> bool:
        if self.name == "lang":
            value, langs = self.value, post.langs
            return value in langs or any(lang.startswith(value + "-") for lang in langs)
        return post.author == self.value

    def describe(self) -> str:
        return f"{self.name}:{self.value}"


@dataclass(frozen=True)
class Not:
    child: Node

    def matches(self, post: Prepared) -> bool:
        return not self.child.matches(post)


@dataclass(frozen=True)
class And:
    children: tuple[Node, ...]

    def matches(self, post: Prepared) -> bool:
        for child in self.children:  # noqa: SIM110 - a loop, not all(genexpr): this runs on every fetched post
            if not child.matches(post):
                return False
        return True


@dataclass(frozen=True)
class Or:
    children: tuple[Node, ...]

    def matches(self, post: Prepared) -> bool:
        for child in self.children:  # noqa: SIM110 - as And: no generator per post
            if child.matches(post):
                return True
        return False


@dataclass(frozen=True)
class Near:
    """``a NEAR/n b``: both occur with at most ``n`` words between them, in either order."""

    left: Node
    right: Node
    distance: int

    def matches(self, post: Prepared) -> bool:
        if not (self.left.matches(post) and self.right.matches(post)):
            return False
        rights = self.right.spans(post)
        n = self.distance
        for s1, e1 in self.left.spans(post):
            for s2, e2 in rights:
                gap = s2 - e1 if s2 >= e1 else s1 - e2
                if 0 <= gap <= n:
                    return True
        return False

    def describe(self) -> str:
        return f"{self.left.describe()} and {self.right.describe()} within {self.distance} words"


Leaf = Term | Phrase | Tag | Prefix | Field
Node = Term | Phrase | Tag | Prefix | Field | Not | And | Or | Near
NEAR_OPERANDS = (Term, Phrase, Tag, Prefix)


def is_leaf(node: Node) -> bool:
    return isinstance(node, Term | Phrase | Tag | Prefix | Field)


def near_operand_ok(node: Node) -> bool:
    """NEAR measures word positions: words, phrases, tags and prefixes have them; literals (``c++``) do not."""
    if isinstance(node, Prefix):
        return True
    return isinstance(node, Term | Phrase | Tag) and node.matcher.kind in (WORD, TAG, PHRASE)


# ------------------------------------------------------------------ canonical form
def canonical(node: Node) -> Node:
    if isinstance(node, Not):
        child = canonical(node.child)
        return child.child if isinstance(child, Not) else Not(child)
    if isinstance(node, And | Or):
        kind = type(node)
        flat: dict[str, Node] = {}
        for child in node.children:
            child = canonical(child)
            for part in child.children if isinstance(child, kind) else (child,):
                flat.setdefault(render(part), part)
        if len(flat) == 1:
            return next(iter(flat.values()))
        return kind(tuple(flat[k] for k in sorted(flat, key=lambda k: (_group(flat[k]), k))))
    if isinstance(node, Near):
        left, right = canonical(node.left), canonical(node.right)
        if render(right) < render(left):
            left, right = right, left
        return Near(left, right, node.distance)
    return node


def _group(node: Node) -> int:
    """Operand order: what a post must mention first, then languages/authors, then exclusions."""
    return 2 if isinstance(node, Not) else 1 if isinstance(node, Field) else 0


# ------------------------------------------------------------------ rendering
def bare_safe(word: str) -> bool:
    """The word reads back as itself, one plain term: nothing the query syntax would take as an operator."""
    return bool(
        word
        and not any(c.isspace() or c in '"()' for c in word)
        and not (word.startswith("-") and len(word) > 1)
        and not word.endswith("*")
        and not _FIELD.match(word)
        and word not in ("AND", "OR", "NOT")
        and not word.startswith("NEAR")
    )


def plain_words(text: str) -> bool:
    """Every word of ``text`` is bare-safe: written without quotes it is a query of plain words only."""
    return all(bare_safe(word) for word in text.split(" "))


def _quoted(text: str) -> str:
    return f'"{text}"'


def render(node: Node, top: bool = False) -> str:
    """The canonical text of a (canonical) tree; ``top``: the whole query (a bare phrase keeps today's key)."""
    if isinstance(node, Term):
        return node.text if bare_safe(node.text) else _quoted(node.text)
    if isinstance(node, Tag):
        return node.text
    if isinstance(node, Phrase):
        return node.text if top and plain_words(node.text) else _quoted(node.text)
    if isinstance(node, Prefix):
        return node.stem + "*"
    if isinstance(node, Field):
        return f"{node.name}:{node.value}"
    if isinstance(node, Not):
        inner = render(node.child)
        return "-" + (inner if is_leaf(node.child) else f"({inner})")
    if isinstance(node, And):
        return " AND ".join(f"({render(c)})" if isinstance(c, Or) else render(c) for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(render(c) for c in node.children)
    if isinstance(node, Near):
        return f"{render(node.left)} NEAR/{node.distance} {render(node.right)}"
    raise TypeError(type(node))


# ------------------------------------------------------------------ questions about a tree
def leaves(node: Node):
    if isinstance(node, Not):
        yield from leaves(node.child)
    elif isinstance(node, And | Or):
        for child in node.children:
            yield from leaves(child)
    elif isinstance(node, Near):
        yield node.left
        yield node.right
    else:
        yield node


def positive_leaves(node: Node):
    if isinstance(node, Not):
        return
    if isinstance(node, And | Or):
        for child in node.children:
            yield from positive_leaves(child)
    elif isinstance(node, Near):
        yield node.left
        yield node.right
    else:
        yield node


def anchored(node: Node, negated: bool = False) -> bool:
    """Every post the tree matches holds a positive term (so a source can be asked for something).

    ``negated``: the node is under an odd number of NOTs (De Morgan: NOT (a AND b) = NOT a OR NOT b)."""
    if isinstance(node, Term | Phrase | Tag | Prefix | Near):
        return not negated
    if isinstance(node, Not):
        return anchored(node.child, not negated)
    if isinstance(node, And | Or):
        every = isinstance(node, Or) != negated  # an OR (or a negated AND) needs it in every branch
        results = (anchored(c, negated) for c in node.children)
        return all(results) if every else any(results)
    return False  # Field


Anchor = tuple[str, str]  # ("w", word) or ("p", stem)


def _rank(cover: frozenset[Anchor]) -> tuple:
    # Prefer few anchors, exact words over prefixes, long words (rarer) over short ones.
    return (len(cover), sum(kind == "p" for kind, _ in cover), -min(len(v) for _, v in cover), sorted(cover))


def cover(node: Node, prefixes: bool, negated: bool = False) -> frozenset[Anchor] | None:
    """Anchors such that every post the tree matches holds one of them (an OR-cover); None when there is none."""
    if isinstance(node, Not):
        return cover(node.child, prefixes, not negated)
    if isinstance(node, Term | Phrase | Tag | Prefix | Near | Field) and negated:
        return None
    if isinstance(node, Term | Phrase | Tag):
        words = node.matcher.cover()
        return frozenset(("w", w) for w in words) if words else None
    if isinstance(node, Prefix):
        return frozenset({("p", node.stem)}) if prefixes else None
    if isinstance(node, Near):
        node = And((node.left, node.right))
    if isinstance(node, And | Or):
        parts = [cover(child, prefixes, negated) for child in node.children]
        if isinstance(node, And) != negated:  # every operand must hold: any one operand's cover will do
            found = [part for part in parts if part]
            return min(found, key=_rank) if found else None
        if any(part is None for part in parts):  # one operand is enough: all their covers together
            return None
        return frozenset().union(*parts)
    return None


def languages(node: Node) -> frozenset[str] | None:
    """Languages such that every match is tagged with at least one of them; None = any language."""
    if isinstance(node, Field):
        return frozenset({node.value}) if node.name == "lang" else None
    if isinstance(node, And):
        found = [c for c in (languages(child) for child in node.children) if c is not None]
        return min(found, key=lambda s: (len(s), sorted(s))) if found else None
    if isinstance(node, Or):
        union: set[str] = set()
        for child in node.children:
            part = languages(child)
            if part is None:
                return None
            union |= part
        return frozenset(union)
    return None


def explain(node: Node, post: Prepared) -> str | None:
    """None when the tree matches the post, else a short reason."""
    if isinstance(node, Not):
        if not node.child.matches(post):
            return None
        return f"excluded by {_what(node.child)}"
    if isinstance(node, And):
        for child in node.children:
            reason = explain(child, post)
            if reason:
                return reason
        return None
    if isinstance(node, Or):
        reasons = []
        for child in node.children:
            reason = explain(child, post)
            if reason is None:
                return None
            reasons.append(reason)
        shown = reasons[:3] + ([f"{len(reasons) - 3} more"] if len(reasons) > 3 else [])
        return "none of: " + "; ".join(shown)
    if node.matches(post):
        return None
    if isinstance(node, Field):
        if node.name == "lang":
            have = ", ".join(post.langs) if post.langs else "unknown"
            return f"language is {have}, wanted {node.value}"
        return f"author is {post.author or 'unknown'}, wanted {node.value}"
    if isinstance(node, Near):
        return f"no {node.describe()}"
    return f"no {node.describe()}"


def _what(node: Node) -> str:
    if is_leaf(node):
        return node.describe() if isinstance(node, Field) else f"'{render(node)}'"
    return f"'{render(node)}'"


__all__ = [
    "PHRASE",
    "TAG",
    "WORD",
    "And",
    "Field",
    "Leaf",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "Prefix",
    "Tag",
    "Term",
]
