"""The query syntax help, written once as data: the API serves it (``GET /api/query/syntax``) and the dashboard
shows it, so the help cannot drift from the parser (tests/unit/query/test_query_help.py parses every example)."""

from __future__ import annotations

from social_analytics.keywords import MAX_KEY_BYTES
from social_analytics.query.parse import MAX_DEPTH, MAX_NEAR, MAX_TERMS, MIN_PREFIX

SYNTAX: list[dict[str, str]] = [
    {
        "syntax": "word",
        "example": "kubernetes",
        "meaning": "the whole word (never part of one: cat does not find catalog), also as #word or $word",
    },
    {
        "syntax": "several words",
        "example": "big brand",
        "meaning": "without any operator: the words as a phrase, as a keyword always meant",
    },
    {
        "syntax": '"exact phrase"',
        "example": '"big brand"',
        "meaning": "the words next to each other, in order, or glued as one hashtag (#bigbrand)",
    },
    {
        "syntax": "a b",
        "example": "kubernetes helm lang:en",
        "meaning": "once any operator is used, terms side by side must all be there (AND)",
    },
    {"syntax": "a AND b", "example": "apple AND iphone", "meaning": "both"},
    {"syntax": "a OR b", "example": "kubernetes OR k8s", "meaning": "either"},
    {"syntax": "NOT a, -a", "example": "apple -fruit", "meaning": "posts with it are left out"},
    {
        "syntax": "( )",
        "example": "(kubernetes OR k8s) NOT helm",
        "meaning": "grouping; NOT binds tighter than AND, AND tighter than OR",
    },
    {"syntax": "#tag", "example": "#rust", "meaning": "only the hashtag, not the bare word"},
    {"syntax": "$CASHTAG", "example": "$TSLA", "meaning": "only the cashtag"},
    {
        "syntax": "stem*",
        "example": "automat*",
        "meaning": f"any word starting with the stem (at least {MIN_PREFIX} letters)",
    },
    {
        "syntax": "a NEAR/n b",
        "example": "battery NEAR/3 fire",
        "meaning": f"both, with at most n words between them (n up to {MAX_NEAR})",
    },
    {
        "syntax": "lang:xx",
        "example": "lang:de auto",
        "meaning": "posts tagged with that language (2- or 3-letter code)",
    },
    {
        "syntax": "from:handle",
        "example": "from:alice.bsky.social rust",
        "meaning": "posts by that author (with a term: a query needs one)",
    },
]

NOTES: list[str] = [
    "AND, OR, NOT and NEAR are operators only in capitals: lowercase and, or, not are ordinary words.",
    "Case, accents' width forms (full-width letters, ligatures), spacing and the order of OR/AND terms do not matter:"
    " equivalent queries share one stored result, history and alert list.",
    "A query needs at least one term that is not excluded, in every OR branch.",
    f"At most {MAX_TERMS} terms, parentheses {MAX_DEPTH} deep, {MAX_KEY_BYTES} bytes once normalized.",
    "Every post from every source is checked against the whole query; only matching posts are counted.",
]


def syntax_help() -> dict:
    return {
        "syntax": SYNTAX,
        "notes": NOTES,
        "limits": {
            "terms": MAX_TERMS,
            "depth": MAX_DEPTH,
            "bytes": MAX_KEY_BYTES,
            "near": MAX_NEAR,
            "prefix": MIN_PREFIX,
        },
    }
