"""What each source is asked for a parsed query: the most selective search it can run that is still a superset.

Pure (no I/O). Every source matches loosely (Algolia: every word a prefix, typos, URLs and authors; Lemmy: substring;
Mastodon: one hashtag), so what comes back is checked post by post against the whole query in the fan-out; the
translation only has to never lose a matching post the source could have returned, and to narrow as much as it can.

* ``operator_query``: the full boolean in X's search syntax (SocialData and X v2). Every user term is quoted, with
  any quote or backslash inside it removed, so text a user typed (``since_time:1``, ``OR``, ``-filter:replies``,
  ``from:x``) is always a quoted phrase, never an operator. Operators come only from the tree: ``#tag`` (word
  characters only), ``lang:xx`` and ``from:handle`` (checked against their own character sets), ``-`` for NOT and
  ``( OR )``. What the syntax cannot say without losing posts (a prefix ``java*``: X has no wildcard) is left out
  of its AND (a superset) and makes an OR containing it unconstrained; if nothing positive is left, the source
  cannot run the query.
* ``branches``: the query's positive part in disjunctive normal form, for sources without OR (one request per
  branch, at most ``MAX_BRANCH_REQUESTS``). NOT is dropped (a superset); the post check applies it.
* Per source on top of the branches: Hacker News gets each branch's words; Lemmy the rarest-looking atom of each
  branch (a phrase before a word, a longer word before a shorter one: no term statistics are at hand); Mastodon one
  hashtag-able atom per branch (a tag timeline per tag); Bluesky each branch in its search syntax (quoted terms and
  phrases, ``#tag``, ``lang:``, ``from:``).

``SourceCannotRun`` (a ``skipped`` row) is raised when a source can run none of the query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import product
from typing import Any

from social_analytics.analyses.sources.base import SourceCannotRun, SourceQuery
from social_analytics.query import And, Field, Near, Not, Or, Phrase, Prefix, Query, Tag, Term, parse_query

MAX_BRANCH_REQUESTS = 5  # OR branches run as separate searches by a source without OR
_MAX_BRANCHES = 64  # expanding (a OR b) (c OR d) ... past this is not worth it: no source would run them all
X_MAX_QUERY_CHARS = 512  # X v2 recent search's limit on ``query`` (what the window operators leave room for)
_UNSAFE_IN_QUOTES = re.compile(r'["\\\u201c\u201d\u201e\u00ab\u00bb]')
_TAG = re.compile(r"^\w+$", re.UNICODE)
_GLUABLE = re.compile(r"^[\w\s\-/.'’:,]+$", re.UNICODE)  # the matcher's separators between words (matching.py)
_WORD_RUN = re.compile(r"\w+", re.UNICODE)
_LANG = re.compile(r"^[a-z]{2,3}$")
_X_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,15}$")
_BSKY_HANDLE = re.compile(r"^[A-Za-z0-9.:_-]{1,253}$")


def as_query(query: Query | str) -> Query:
    """A parsed query (callers and tests may still pass the text; it is parsed once here)."""
    return parse_query(query) if isinstance(query, str) else query


# ---------------------------------------------------------------------------------------------- the tree's parts
def _children(node: Any) -> tuple[Any, ...]:
    return (node.left, node.right) if isinstance(node, Near) else tuple(node.children)


def _words(node: Any) -> tuple[str, ...]:
    """The words a positive atom stands for, as a source's free text search would be given them."""
    if isinstance(node, Phrase):
        return tuple(node.text.split())
    if isinstance(node, Tag):
        return (node.text[1:],)
    if isinstance(node, Prefix):
        return (node.stem,)
    if isinstance(node, Term):
        return (node.text,)
    return ()


def quoted(text: str) -> str | None:
    """``text`` as one quoted phrase that no search syntax can read as an operator (None when nothing is left)."""
    clean = " ".join(_UNSAFE_IN_QUOTES.sub(" ", text).split())
    return f'"{clean}"' if clean else None


def _is_near(node: Any) -> bool:
    return isinstance(node, Near)


# --------------------------------------------------------------------------------- SocialData and X: the boolean
def operator_query(query: Query, source: str, *, max_chars: int | None = None) -> SourceQuery:
    """The whole query in X's search operators (see the module docstring)."""
    text, positive, notes = _emit(query.root)
    if text is None or not positive:
        raise SourceCannotRun(
            f"{source}: nothing in this query can be searched there ({'; '.join(notes) or 'no term'})"
        )
    if max_chars is not None and len(text) > max_chars:
        raise SourceCannotRun(f"{source}: the translated query is {len(text)} characters, the limit is {max_chars}")
    return SourceQuery((text,), note="; ".join(dict.fromkeys(notes)))


def _emit(node: Any, nested: bool = False) -> tuple[str | None, bool, list[str]]:
    """(text or None for "no constraint", whether it requires something positive, notes)."""
    if isinstance(node, Not):
        text, _, notes = _emit(node.child, nested=True)
        return (f"-{text}" if text else None), False, notes
    if isinstance(node, And) or _is_near(node):
        parts = [_emit(child, nested=True) for child in _children(node)]
        kept = [p for p in parts if p[0] is not None]
        notes = [n for p in parts for n in p[2]] + (["NEAR sent as AND"] if _is_near(node) else [])
        if not kept:
            return None, False, notes
        text = " ".join(p[0] for p in kept)
        return (f"({text})" if nested and len(kept) > 1 else text), any(p[1] for p in kept), notes
    if isinstance(node, Or):
        parts = [_emit(child, nested=True) for child in _children(node)]
        notes = [n for p in parts for n in p[2]]
        if any(p[0] is None for p in parts):
            return None, False, notes
        return "(" + " OR ".join(p[0] for p in parts) + ")", all(p[1] for p in parts), notes
    if isinstance(node, Field):
        value = str(node.value)
        if node.name == "lang" and _LANG.match(value):
            return f"lang:{value}", False, []
        if node.name == "from" and _X_HANDLE.match(value):
            return f"from:{value}", True, []
        return None, False, [f"{node.name}:{value} left to the post check"]
    if isinstance(node, Tag):  # "#rust" or the cashtag "$tsla": operators of our own making, word characters only
        return (node.text if _TAG.match(node.text[1:]) else quoted(node.text[1:])), True, []
    if isinstance(node, Prefix):
        return None, False, [f"{node.stem}* left to the post check (no wildcard)"]
    if isinstance(node, Phrase):
        return quoted(node.text), True, []
    if isinstance(node, Term):
        return quoted(node.text), True, []
    return None, False, [f"{type(node).__name__} left to the post check"]


# ------------------------------------------------------------------------------------- sources without OR or NOT
def branches(query: Query) -> list[tuple[Any, ...]]:
    """The positive atoms of the query in disjunctive normal form: a post matching the query has every atom of at
    least one branch (fields ``lang:``/``from:`` included; NOT dropped). Duplicate branches are removed."""
    found = _dnf(query.root)
    unique: dict[tuple, tuple[Any, ...]] = {}
    for branch in found:
        atoms = tuple(dict.fromkeys(branch))
        unique.setdefault(atoms, atoms)
    return list(unique.values())


def _dnf(node: Any) -> list[tuple[Any, ...]]:
    if isinstance(node, Not):
        return [()]
    if isinstance(node, Or):
        return [branch for child in _children(node) for branch in _dnf(child)]
    if isinstance(node, And) or _is_near(node):
        parts = [_dnf(child) for child in _children(node)]
        size = 1
        for part in parts:
            size *= len(part)
        if size > _MAX_BRANCHES:
            raise SourceCannotRun(f"the query has more than {_MAX_BRANCHES} OR branches once expanded")
        combos = product(*parts)
        return [tuple(atom for part in combo for atom in part) for combo in combos]
    return [(node,)]


def _per_branch(query: Query, source: str, pick) -> SourceQuery:
    """One request per branch, ``pick(branch)`` giving its text or None (that branch cannot be run there)."""
    found = branches(query)
    requests: list[str] = []
    missing: list[str] = []
    for branch in found:
        text = pick(branch)
        if text:
            requests.append(text)
        else:
            missing.append(" ".join(_describe(atom) for atom in branch) or "(no term)")
    requests = list(dict.fromkeys(requests))
    if not requests:
        raise SourceCannotRun(f"{source}: nothing in this query can be searched there")
    if len(requests) > MAX_BRANCH_REQUESTS:
        raise SourceCannotRun(
            f"{source}: the query needs {len(requests)} searches (one per OR branch), at most {MAX_BRANCH_REQUESTS}"
        )
    note = f"not searchable there: {', '.join(missing)}" if missing else ""
    return SourceQuery(tuple(requests), note=note)


def _describe(atom: Any) -> str:
    if isinstance(atom, Field):
        return f"{atom.name}:{atom.value}"
    if isinstance(atom, Tag):
        return atom.text
    if isinstance(atom, Prefix):
        return f"{atom.stem}*"
    return " ".join(_words(atom))


def _text_atoms(branch: Iterable[Any]) -> list[Any]:
    return [atom for atom in branch if not isinstance(atom, Field)]


def hackernews_query(query: Query) -> SourceQuery:
    """Each branch's words (Algolia reads every word as a prefix: a prefix ``java*`` is sent as ``java``)."""

    def pick(branch):
        words = [word for atom in _text_atoms(branch) for word in _words(atom)]
        return " ".join(dict.fromkeys(words)) or None

    return _per_branch(query, "hackernews", pick)


def _rarity(atom: Any) -> tuple[int, int, int]:
    words = _words(atom)
    return (len(words), 0 if isinstance(atom, Prefix) else 1, sum(len(w) for w in words))


def lemmy_query(query: Query) -> SourceQuery:
    """Each branch's rarest-looking atom (Lemmy's search is a substring match: ``rust`` finds "trust" too)."""

    def pick(branch):
        atoms = _text_atoms(branch)
        return " ".join(_words(max(atoms, key=_rarity))) if atoms else None

    return _per_branch(query, "lemmy", pick)


def hashtag_of(atom: Any) -> str | None:
    """The hashtag an atom can be found under on a tag timeline, or None: a ``#tag``; a word; words and separators
    glued (``big brand``, ``covid-19``: the matcher finds them as ``#bigbrand``, ``#covid19`` too). Not a cashtag
    and not a literal such as ``c++`` (``#c`` is another topic)."""
    if isinstance(atom, Tag):
        return atom.text[1:] if atom.text.startswith("#") and _TAG.match(atom.text[1:]) else None
    if isinstance(atom, Phrase | Term) and _GLUABLE.match(atom.text):
        return "".join(_WORD_RUN.findall(atom.text)).casefold() or None
    return None


def mastodon_tags(query: Query) -> SourceQuery:
    """One hashtag per branch: the branch's own ``#tag`` first, then a phrase glued, then its longest word."""

    def pick(branch):
        atoms = _text_atoms(branch)
        ranked = sorted(atoms, key=lambda a: (isinstance(a, Tag), isinstance(a, Phrase), len(_describe(a))))
        for atom in reversed(ranked):
            tag = hashtag_of(atom)
            if tag:
                return tag
        return None

    return _per_branch(query, "mastodon", pick)


def bluesky_query(query: Query) -> SourceQuery:
    """Each branch in Bluesky's search syntax: quoted terms and phrases, ``#tag``, ``lang:``, ``from:``."""

    def pick(branch):
        parts: list[str] = []
        positive = False
        for atom in branch:
            if isinstance(atom, Field):
                value = str(atom.value)
                if atom.name == "lang" and _LANG.match(value):
                    parts.append(f"lang:{value}")
                elif atom.name == "from" and _BSKY_HANDLE.match(value):
                    parts.append(f"from:{value}")
                    positive = True
                continue
            if isinstance(atom, Prefix):
                continue  # no wildcard: left to the post check
            if isinstance(atom, Tag) and atom.text.startswith("#") and _TAG.match(atom.text[1:]):
                text = atom.text
            else:
                text = quoted(" ".join(_words(atom)))
            if text:
                parts.append(text)
                positive = True
        return " ".join(dict.fromkeys(parts)) if positive else None

    return _per_branch(query, "bluesky", pick)
