"""The query language: one parser, one canonical key, one matcher for the API, the worker and the stream.

See parse.py for the grammar, tree.py for the canonical form, matching.py for how a text is found in a post and
index.py for many queries at once. docs/CONTRACTS.md ("Queries") documents the language.
"""

from social_analytics.query.index import QueryIndex
from social_analytics.query.matching import PostView, normalize_text
from social_analytics.query.parse import (
    MAX_DEPTH,
    MAX_TERMS,
    Query,
    QuerySyntaxError,
    parse_query,
    query_for_key,
)
from social_analytics.query.tree import And, Field, Near, Node, Not, Or, Phrase, Prefix, Tag, Term

__all__ = [
    "MAX_DEPTH",
    "MAX_TERMS",
    "And",
    "Field",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "PostView",
    "Prefix",
    "Query",
    "QueryIndex",
    "QuerySyntaxError",
    "Tag",
    "Term",
    "normalize_text",
    "parse_query",
    "query_for_key",
]
