"""What the news searches can say of a parsed query: required words and phrases, OR groups of them, exclusions and
languages. Pure (no I/O); GDELT (``gdelt.translate``) and Google News (``googlenews.translate``) render it.

Both searches have AND (juxtaposition), ``OR`` between terms, ``"phrases"`` and ``-exclusions``, but no nesting
beyond one OR group and no wildcard, so what they cannot say becomes a superset and is left to the fan-out's post
check: a prefix ``java*`` and ``from:`` are dropped (noted), an AND inside an OR is sent as its most selective atom
(a phrase before a word, a longer text before a shorter), a NOT of anything but one term or phrase is dropped, and an
OR containing something unconstrained constrains nothing. Hashtags and cashtags are sent as their word (news text has
no tags). ``lang:`` at the top level becomes a language the search may require.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from social_analytics.query import And, Field, Near, Not, Or, Phrase, Prefix, Query, Tag, Term

Atom = tuple[str, str]  # ("word" | "phrase", text)


@dataclass
class NewsTerms:
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    any_of: list[tuple[Atom, ...]] = field(default_factory=list)
    exclude: list[Atom] = field(default_factory=list)
    languages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def positive(self) -> bool:
        return bool(self.words or self.phrases or self.any_of)


def _children(node: Any) -> tuple[Any, ...]:
    return (node.left, node.right) if isinstance(node, Near) else tuple(node.children)


def _atom(node: Any) -> Atom | None:
    if isinstance(node, Phrase):
        return ("phrase", node.text)
    if isinstance(node, Tag):
        return ("word", node.text[1:])
    if isinstance(node, Term):
        return ("word", node.text)
    return None


def _selectivity(atom: Atom) -> tuple[int, int]:
    return (atom[0] == "phrase", len(atom[1]))


def _superset_atom(node: Any) -> Atom | None:
    """One atom every post matching ``node`` contains (None: there is none the searches can say)."""
    atom = _atom(node)
    if atom is not None:
        return atom
    if isinstance(node, And | Near):
        found = [a for a in map(_superset_atom, _children(node)) if a is not None]
        return max(found, key=_selectivity) if found else None
    return None


def _alternatives(node: Any) -> list[Atom] | None:
    found: list[Atom] = []
    for child in _children(node):
        if isinstance(child, Or):
            inner = _alternatives(child)
            if inner is None:
                return None
            found += inner
            continue
        atom = _superset_atom(child)
        if atom is None:
            return None
        found.append(atom)
    return list(dict.fromkeys(found))


def news_terms(query: Query) -> NewsTerms:
    terms = NewsTerms()

    def conjuncts(node: Any) -> list[Any]:
        if isinstance(node, And | Near):
            if isinstance(node, Near):
                terms.notes.append("NEAR sent as AND")
            return [part for child in _children(node) for part in conjuncts(child)]
        return [node]

    for node in conjuncts(query.root):
        if isinstance(node, Not):
            atom = _atom(node.child)
            if atom is not None:
                terms.exclude.append(atom)
            else:
                terms.notes.append("an exclusion left to the post check")
        elif isinstance(node, Field):
            if node.name == "lang":
                terms.languages.append(str(node.value))
            else:
                terms.notes.append(f"{node.name}:{node.value} left to the post check")
        elif isinstance(node, Prefix):
            terms.notes.append(f"{node.stem}* left to the post check (no wildcard)")
        elif isinstance(node, Or):
            alternatives = _alternatives(node)
            if alternatives is None:
                terms.notes.append("an OR group left to the post check")
            elif len(alternatives) == 1:
                ((kind, text),) = alternatives
                (terms.phrases if kind == "phrase" else terms.words).append(text)
            else:
                terms.any_of.append(tuple(alternatives))
        else:
            atom = _atom(node)
            if atom is None:
                terms.notes.append(f"{type(node).__name__} left to the post check")
            else:
                (terms.phrases if atom[0] == "phrase" else terms.words).append(atom[1])
    terms.words = list(dict.fromkeys(terms.words))
    terms.phrases = list(dict.fromkeys(terms.phrases))
    return terms
