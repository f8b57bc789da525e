"""The syntax help is data the dashboard shows: every example in it is a query the parser accepts."""

from __future__ import annotations

import json

from social_analytics.query import parse_query
from social_analytics.query.help import syntax_help


def test_every_example_of_the_help_parses_and_the_help_is_json():
    body = syntax_help()
    assert json.loads(json.dumps(body)) == body
    assert len(body["syntax"]) >= 12
    for row in body["syntax"]:
        assert set(row) == {"syntax", "example", "meaning"}
        parse_query(row["example"])  # raises if the help shows something the parser refuses
    assert parse_query("big brand").is_keyword() and not parse_query("kubernetes helm lang:en").is_keyword()
