"""Property tests of the query language: random trees written many ways, random posts.

A tree is generated here as plain tuples, written as query text (random case, width, whitespace, operand order,
redundant parentheses, ``NOT x`` or ``-x``, ``AND`` or juxtaposition), parsed, and then:

- canonicalising twice changes nothing (the key parses back to the same key and tree);
- every spelling of one tree shares one key;
- ``Query.matches`` agrees with a plain reference evaluator written from the documented rules;
- ``QueryIndex`` finds exactly the queries that match, and ``prefilter_words`` / ``languages`` are true covers.
"""

from __future__ import annotations

import random
import re
import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from social_analytics.query import PostView, QueryIndex, QuerySyntaxError, parse_query
from social_analytics.query.matching import prepare

WORDS = ["java", "coffee", "big", "brand", "bigbrand", "k8s", "helm", "auto", "autobahn", "rust", "or", "not", "near"]
OPERATOR_WORDS = {"or", "and", "not", "near"}
STEMS = ["aut", "jav", "big", "cof"]
LANGS = ["de", "en", "fr"]
AUTHORS = ["alice.bsky.social", "bob"]

# ------------------------------------------------------------------ trees
leaf = st.one_of(
    st.tuples(st.just("term"), st.sampled_from([*WORDS, "c++"])),
    st.tuples(st.just("phrase"), st.lists(st.sampled_from(WORDS), min_size=2, max_size=3).map(tuple)),
    st.tuples(st.just("tag"), st.sampled_from(["#rust", "#java", "$auto", "#bigbrand"])),
    st.tuples(st.just("prefix"), st.sampled_from(STEMS)),
    st.tuples(st.just("lang"), st.sampled_from(LANGS)),
    st.tuples(st.just("from"), st.sampled_from(AUTHORS)),
)
near_operand = st.one_of(
    st.tuples(st.just("term"), st.sampled_from(WORDS)),
    st.tuples(st.just("phrase"), st.lists(st.sampled_from(WORDS), min_size=2, max_size=2).map(tuple)),
    st.tuples(st.just("prefix"), st.sampled_from(STEMS)),
)
near = st.tuples(st.just("near"), near_operand, near_operand, st.integers(0, 3))


def _extend(children):
    return st.one_of(
        st.tuples(st.just("not"), children),
        st.tuples(st.just("and"), st.lists(children, min_size=2, max_size=3).map(tuple)),
        st.tuples(st.just("or"), st.lists(children, min_size=2, max_size=3).map(tuple)),
    )


trees = st.recursive(st.one_of(leaf, near), _extend, max_leaves=8)


def ref_anchored(node) -> bool:
    """Some positive term must be present in every match: checked by pushing NOTs down to the leaves."""

    def push(node, negated):
        kind = node[0]
        if kind == "not":
            return push(node[1], not negated)
        if kind in ("and", "or"):
            flipped = {"and": "or", "or": "and"}[kind] if negated else kind
            return (flipped, tuple(push(c, negated) for c in node[1]))
        return ("not", node) if negated else node

    def positive(node):
        kind = node[0]
        if kind == "and":
            return any(positive(c) for c in node[1])
        if kind == "or":
            return all(positive(c) for c in node[1])
        return kind in ("term", "phrase", "tag", "prefix", "near")

    return positive(push(node, False))


def depth(node) -> int:
    if node[0] in ("and", "or"):
        return 1 + max(depth(c) for c in node[1])
    if node[0] == "not":
        return 1 + depth(node[1])
    return 0


# ------------------------------------------------------------------ writing a tree as query text
def _case(word: str, rng: random.Random) -> str:
    if word in OPERATOR_WORDS:
        return word  # "OR" in capitals would be the operator
    return "".join(c.upper() if rng.random() < 0.3 else c for c in word)


def _plain(node) -> bool:
    return node[0] in ("term", "tag")


def write(node, rng: random.Random, top: bool = True) -> str:
    kind = node[0]
    if kind == "term":
        text = _case(node[1], rng)
        return f'"{text}"' if rng.random() < 0.2 else text
    if kind == "tag":
        return node[1][0] + _case(node[1][1:], rng)
    if kind == "phrase":
        return '"' + " " * rng.randint(0, 1) + "  ".join(_case(w, rng) for w in node[1]) + '"'
    if kind == "prefix":
        return _case(node[1], rng) + "*"
    if kind == "lang":
        return rng.choice(["lang", "LANG"]) + ":" + node[1]
    if kind == "from":
        return "from:" + rng.choice(["", "@"]) + node[1]
    if kind == "near":
        return f"{write(node[1], rng, False)} NEAR/{node[3]} {write(node[2], rng, False)}"
    if kind == "not":
        child = node[1]
        inner = write(child, rng, False)
        grouped = child[0] in ("and", "or", "not", "near")
        if grouped or rng.random() < 0.5:
            return f"NOT ({inner})" if grouped else f"NOT {inner}"
        return f"-{inner}"
    children = list(node[1])
    rng.shuffle(children)
    parts = []
    for child in children:
        text = write(child, rng, False)
        if child[0] in ("and", "or") or rng.random() < 0.15:
            text = f"({text})"
        parts.append(text)
    if kind == "or":
        return " OR ".join(parts)
    # Juxtaposed plain words alone would be today's keyword (a phrase): spell AND out at the top then.
    implicit = rng.random() < 0.5 and not (top and all(_plain(c) for c in children))
    return (" " if implicit else " AND ").join(parts)


def _wide(text: str, rng: random.Random) -> str:
    out = []
    for char in text:
        if rng.random() < 0.2 and "!" <= char <= "~":
            out.append(chr(ord(char) + 0xFEE0))  # full-width form: NFKC maps it back
        elif char == " " and rng.random() < 0.2:
            out.append(rng.choice(["\u3000", "\u00a0", "  "]))
        else:
            out.append(char)
    return " " * rng.randint(0, 2) + "".join(out)


def spelling(node, seed: int) -> str:
    rng = random.Random(seed)
    return _wide(write(node, rng), rng)


# ------------------------------------------------------------------ the reference evaluator
_TOKEN = re.compile(r"[#$]?\w+")


def ref_tokens(text: str) -> tuple[list[str], list[str]]:
    tokens = _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())
    return tokens, [t.lstrip("#$") for t in tokens]


def ref_spans(node, tokens, words) -> list[tuple[int, int]]:
    kind = node[0]
    if kind == "term":
        return [(i, i + 1) for i, w in enumerate(words) if w == node[1]]
    if kind == "tag":
        return [(i, i + 1) for i, t in enumerate(tokens) if t == node[1]]
    if kind == "prefix":
        return [(i, i + 1) for i, w in enumerate(words) if w.startswith(node[1])]
    if kind == "phrase":
        n = len(node[1])
        spans = [(i, i + n) for i in range(len(words)) if tuple(words[i : i + n]) == node[1]]
        return spans + [(i, i + 1) for i, t in enumerate(tokens) if t == "#" + "".join(node[1])]
    raise AssertionError(kind)


def ref_match(node, post: PostView) -> bool:
    kind = node[0]
    tokens, words = ref_tokens(post.text)
    if kind == "term" and node[1] == "c++":
        return re.search(r"(?<!\w)c\+\+", unicodedata.normalize("NFKC", post.text).casefold()) is not None
    if kind in ("term", "tag", "prefix", "phrase"):
        return bool(ref_spans(node, tokens, words))
    if kind == "lang":
        return any(lang.lower() == node[1] or lang.lower().startswith(node[1] + "-") for lang in post.langs)
    if kind == "from":
        return post.author.lower().lstrip("@") == node[1]
    if kind == "not":
        return not ref_match(node[1], post)
    if kind == "and":
        return all(ref_match(c, post) for c in node[1])
    if kind == "or":
        return any(ref_match(c, post) for c in node[1])
    if kind == "near":
        lefts, rights = ref_spans(node[1], tokens, words), ref_spans(node[2], tokens, words)
        return any(0 <= (s2 - e1 if s2 >= e1 else s1 - e2) <= node[3] for s1, e1 in lefts for s2, e2 in rights)
    raise AssertionError(kind)


# ------------------------------------------------------------------ posts
def _decorate(word: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.15:
        return "#" + word
    if roll < 0.2:
        return "$" + word
    if roll < 0.3:
        return word.upper()
    if roll < 0.35:
        return word + "s"
    return word


@st.composite
def posts(draw) -> PostView:
    rng = random.Random(draw(st.integers(0, 2**32)))
    vocabulary = [*WORDS, "c++", "c", "autos", "javascript", "bigbrand", "café"]
    words = [_decorate(rng.choice(vocabulary), rng) for _ in range(rng.randint(0, 10))]
    separators = [" ", " ", ", ", "-", " / ", "! "]
    text = "".join(w + rng.choice(separators) for w in words)
    langs = tuple(rng.sample(["de", "en", "en-US", "fr", "DE"], rng.randint(0, 2)))
    return PostView(text=text, author=rng.choice(["", "alice.bsky.social", "@Bob", "carol"]), langs=langs)


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parsed(node, seed: int = 0):
    assume(depth(node) <= 4)
    text = spelling(node, seed)
    try:
        query = parse_query(text)
    except QuerySyntaxError as error:
        assume(ref_anchored(node))  # only exclusions / only lang:/from: are refused; nothing else may be
        raise AssertionError(f"an anchored query was refused: {text!r} {node!r}: {error}") from None
    assert ref_anchored(node), f"a query without a positive term was accepted: {text!r}"
    return query


@PROPERTY
@given(trees, st.integers(0, 10**6))
def test_canonicalising_twice_changes_nothing(node, seed):
    query = parsed(node, seed)
    again = parse_query(query.key)
    assert again.key == query.key
    assert again.root == query.root


@PROPERTY
@given(trees, st.integers(0, 10**6), st.integers(0, 10**6))
def test_every_spelling_of_a_tree_shares_one_key(node, first, second):
    assert parsed(node, first).key == parsed(node, second).key


@PROPERTY
@given(trees, st.integers(0, 10**6), st.lists(posts(), min_size=1, max_size=8))
def test_the_matcher_agrees_with_the_reference_evaluator(node, seed, views):
    query = parsed(node, seed)
    for post in views:
        expected = ref_match(node, post)
        assert query.matches(post) is expected, (query.key, post)
        assert (query.explain_miss(post) is None) is expected


@PROPERTY
@given(st.lists(trees, min_size=1, max_size=12), st.lists(posts(), min_size=1, max_size=8))
def test_the_index_finds_exactly_the_matching_queries(nodes, views):
    queries = []
    for node in nodes:
        if depth(node) > 4 or not ref_anchored(node):
            continue
        queries.append(parse_query(spelling(node, 0)))
    assume(queries)
    index = QueryIndex(queries)
    for post in views:
        assert index.match(post) == {q.key for q in queries if q.matches(post)}


@PROPERTY
@given(trees, st.lists(posts(), min_size=1, max_size=8))
def test_prefilter_words_and_languages_cover_every_match(node, views):
    query = parsed(node)
    words, languages = query.prefilter_words(), query.languages()
    for post in views:
        if not query.matches(post):
            continue
        prepared = prepare(post)
        if words is not None:
            assert words & prepared.wordset, (query.key, post)
        if languages is not None:
            assert any(lang.split("-")[0] in languages for lang in prepared.langs), (query.key, post)
