"""The query language by example: what parses to what, which posts match, what the errors say and where."""

from __future__ import annotations

import pytest
from social_analytics.models import normalize_keyword
from social_analytics.query import (
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    PostView,
    Prefix,
    QueryIndex,
    QuerySyntaxError,
    Tag,
    Term,
    parse_query,
    query_for_key,
)


def post(text: str, author: str = "", langs: tuple[str, ...] = ()) -> PostView:
    return PostView(text=text, author=author, langs=langs)


@pytest.mark.parametrize(
    ("typed", "key", "root"),
    [
        ("Java", "java", Term("java")),
        ("java -coffee", "java AND -coffee", And((Term("java"), Not(Term("coffee"))))),
        ('"big brand" OR bigbrand', '"big brand" OR bigbrand', Or((Phrase("big brand"), Term("bigbrand")))),
        (
            "(kubernetes OR k8s) NOT helm",
            "(k8s OR kubernetes) AND -helm",
            And((Or((Term("k8s"), Term("kubernetes"))), Not(Term("helm")))),
        ),
        ("lang:de auto", "auto AND lang:de", And((Term("auto"), Field("lang", "de")))),
        ("#Rust", "#rust", Tag("#rust")),
        ("$TSLA", "$tsla", Tag("$tsla")),
        ("auto*", "auto*", Prefix("auto")),
        (
            "from:@Alice.bsky.social java",
            "java AND from:alice.bsky.social",
            And((Term("java"), Field("from", "alice.bsky.social"))),
        ),
        ("java NEAR/2 coffee", "coffee NEAR/2 java", Near(Term("coffee"), Term("java"), 2)),
        ('-"big brand" java', 'java AND -"big brand"', And((Term("java"), Not(Phrase("big brand"))))),
        ("java and coffee", "java and coffee", Phrase("java and coffee")),  # lowercase: words, today's phrase
        ("cats or dogs", "cats or dogs", Phrase("cats or dogs")),
        ("a OR b AND c", "a OR b AND c", Or((Term("a"), And((Term("b"), Term("c")))))),  # AND binds tighter
        ("NOT a b", "b AND -a", And((Term("b"), Not(Term("a"))))),  # NOT binds tightest
        ("NOT NOT java", "java", Term("java")),
        ('"c++" tips -"f#"', "c++ AND tips AND -f#", And((Term("c++"), Term("tips"), Not(Term("f#"))))),
    ],
)
def test_what_a_query_parses_to(typed, key, root):
    query = parse_query(typed)
    assert query.key == key
    if root is not None:
        assert query.root == root
    assert query.display == " ".join(typed.split())


@pytest.mark.parametrize(
    "spellings",
    [
        [
            "java -coffee",
            "-coffee java",
            "JAVA AND NOT coffee",
            "(java) AND (NOT (coffee))",
            "ｊａｖａ　－ｃｏｆｆｅｅ",
        ],
        ["a OR b OR c", "c OR (b OR a)", "((a OR b)) OR c", "b OR a OR c OR a"],
        ['"big  brand" OR x', 'x OR "Big Brand"', "x OR ＂big brand＂"],
        ["lang:de auto", "auto LANG:DE", "auto AND lang:de"],
    ],
)
def test_equivalent_spellings_share_one_key(spellings):
    assert len({parse_query(s).key for s in spellings}) == 1


@pytest.mark.parametrize(
    "keyword",
    [
        "Serverless",
        "AWS Lambda",
        "big brand",
        "c++",
        "#AWS",
        "$TSLA",
        "covid-19",
        "AC/DC",
        "ﬁnance",
        "Café au lait",
        "cats or dogs",
        "ﷺ",
    ],
)
def test_a_keyword_of_today_keeps_its_key_and_meaning(keyword):
    query = parse_query(keyword)
    assert query.key == normalize_keyword(keyword)
    assert query.is_keyword()
    assert query_for_key(query.key).root == query.root


def test_a_stored_key_the_language_reads_otherwise_still_matches_as_before():
    # "-x y" was a phrase keyword before the language; stored under that key it keeps that meaning for the stream.
    query = query_for_key("-x y")
    assert query.key == "-x y"
    assert query.matches(post("so -x y!")) and not query.matches(post("y alone"))
    assert parse_query("-x y").key == "y AND -x"  # typed now, it is an exclusion


@pytest.mark.parametrize(
    ("typed", "text", "matched"),
    [
        ("java", "I like Java", True),
        ("java", "I like JavaScript", False),
        ("java -coffee", "java and coffee", False),
        ("java -coffee", "java and tea", True),
        ('"big brand" OR bigbrand', "a big brand day", True),
        ('"big brand" OR bigbrand', "brand big", False),
        ('"big brand" OR bigbrand', "#BigBrand", True),
        ("(kubernetes OR k8s) NOT helm", "k8s rocks", True),
        ("(kubernetes OR k8s) NOT helm", "kubernetes with helm", False),
        ("#rust", "#Rust is nice", True),
        ("#rust", "rust is nice", False),
        ("rust", "#rust is nice", True),
        ("auto*", "Autobahn!", True),
        ("auto*", "an auto", True),
        ("auto*", "my car", False),
        ("java NEAR/1 coffee", "java hot coffee", True),
        ("java NEAR/1 coffee", "coffee, java", True),
        ("java NEAR/1 coffee", "java is hot coffee", False),
        ("c++ -java", "C++ rocks", True),
        ("c++ -java", "C rocks", False),
    ],
)
def test_which_posts_match(typed, text, matched):
    assert parse_query(typed).matches(post(text)) is matched


def test_fields_match_the_author_and_the_languages():
    query = parse_query("auto lang:de")
    assert query.matches(post("Auto", langs=("de",)))
    assert query.matches(post("Auto", langs=("DE-at",)))
    assert not query.matches(post("Auto", langs=("en",)))
    assert query.explain_miss(post("Auto", langs=("en",))) == "language is en, wanted de"
    assert query.languages() == frozenset({"de"})
    by = parse_query("from:alice.bsky.social auto")
    assert by.matches(post("auto", author="Alice.bsky.social"))
    assert not by.matches(post("auto", author="bob"))


@pytest.mark.parametrize(
    ("typed", "text", "reason"),
    [
        ("java", "JavaScript", "no 'java'"),
        ("java -coffee", "java coffee", "excluded by 'coffee'"),
        ('"big brand"', "brand big", "no phrase 'big brand'"),
        ("k8s OR kubernetes", "helm", "none of: no 'k8s'; no 'kubernetes'"),
        ("#rust", "rust", "no tag '#rust'"),
        ("auto*", "car", "no word starting with 'auto'"),
        ("java", "java", None),
    ],
)
def test_explain_miss(typed, text, reason):
    assert parse_query(typed).explain_miss(post(text)) == reason


@pytest.mark.parametrize(
    ("typed", "message", "position"),
    [
        ("java AND NOT ", "expected a term after NOT", 13),
        ("java OR", "expected a term after OR", 7),
        ("java AND", "expected a term after AND", 8),
        ("(java OR k8s", "missing ')' for this '('", 0),
        ("java)", "unexpected ')' without a matching '('", 4),
        ('java "big brand', "unclosed quote", 5),
        ("-java", "a query needs at least one term that is not excluded (in every OR branch)", 0),
        ("NOT java", "a query needs at least one term that is not excluded (in every OR branch)", 0),
        ("java OR -coffee", "a query needs at least one term that is not excluded (in every OR branch)", 0),
        ("lang:de", "a query needs at least one term that is not excluded (in every OR branch)", 0),
        ("ja*", "a prefix needs at least 3 letters or digits before '*', like auto*", 0),
        ("java lang:german", "lang: takes a 2- or 3-letter language code, like lang:de", 5),
        ("java from:", "expected a value after from:", 5),
        ("a NEAR b", "NEAR needs a distance of 0 to 30 words, like NEAR/3", 2),
        ("c++ NEAR/2 x", "NEAR joins two words, phrases, tags or prefixes", 0),
        ("a NEAR/2 b NEAR/2 c", "NEAR joins two terms; join NEAR pairs with AND", 11),
        ("AND java", "expected a term before AND", 0),
        ("java ()", "empty parentheses", 5),
        ('java ""', "empty quotes", 5),
        ("java OR - ", "a term needs a letter, digit or symbol", 8),
        ("java\x00", "control characters are not allowed (found U+0000)", 4),
        ("((((((java))))))", "parentheses nest deeper than 5 levels", 5),
        ("   ", "a query must not be empty", 0),
        ("ｊａｖａ　ＡＮＤ　ＮＯＴ", "expected a term after NOT", 12),  # positions count what was typed
    ],
)
def test_errors_say_what_and_where(typed, message, position):
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(typed)
    assert caught.value.message == message
    assert caught.value.position == position
    assert str(caught.value) == f"{message} at character {position + 1}"


def test_limits_terms_and_bytes():
    parse_query(" OR ".join(f"w{i}" for i in range(30)))
    with pytest.raises(QuerySyntaxError, match="at most 30 terms") as caught:
        parse_query(" OR ".join(f"w{i}" for i in range(1000)))  # 1,000 ORs
    assert caught.value.position == len(" OR ".join(f"w{i}" for i in range(30))) + 4
    with pytest.raises(QuerySyntaxError, match="at most 512 bytes once normalized"):
        parse_query(" OR ".join("é" * 30 + str(i) for i in range(10)))


def test_positive_terms_and_prefilter_words():
    query = parse_query('(kubernetes OR k8s OR "big brand") -helm lang:de')
    assert query.positive_terms() == [Phrase("big brand"), Term("k8s"), Term("kubernetes")]
    assert query.prefilter_words() == frozenset({"kubernetes", "k8s", "brand", "bigbrand"})
    assert parse_query("auto* OR car").prefilter_words() is None  # a prefix has no word cover
    assert parse_query("auto* car").prefilter_words() == frozenset({"car"})


def test_the_index_matches_many_queries_at_once():
    queries = [parse_query(t) for t in ["java -coffee", "auto*", "#rust", "big brand", "c++", "k8s OR kubernetes"]]
    index = QueryIndex(queries)
    assert index.match(post("Java and #rust with C++ in big-brand autos")) == {
        "java AND -coffee",
        "auto*",
        "#rust",
        "big brand",
        "c++",
    }
    assert index.match(post("java coffee")) == set()
    assert index.match(post("")) == set()
