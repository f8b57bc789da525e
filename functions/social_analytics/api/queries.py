# No `from __future__ import annotations` here: Powertools reads the route annotations at run time.
"""Routes of the query language itself: its syntax help and a check of one query (the dashboard's inline errors)."""

from typing import Annotated

from aws_lambda_powertools.event_handler.openapi.params import Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from social_analytics.api import views
from social_analytics.query import QuerySyntaxError, parse_query, tree
from social_analytics.query.help import syntax_help
from social_analytics.schemas import ERROR_RESPONSES, json_response

router = APIGatewayRouter()


@router.get(
    "/api/query/syntax",
    summary="The query language: syntax, notes and limits, as the dashboard shows them",
    responses={200: json_response(dict, "")},
)
def get_syntax() -> dict:
    return syntax_help()


@router.get(
    "/api/query/check",
    summary="Parse a query: its canonical key and terms, or a 422 naming what is wrong and at which character",
    responses={200: json_response(dict, ""), 422: ERROR_RESPONSES[422]},
)
def check_query(q: Annotated[str, Query(max_length=3000, description="The query, URL-encoded")]) -> dict:
    try:
        query = parse_query(q)
    except QuerySyntaxError as error:
        raise views.invalid(("q",), str(error), error) from None
    languages = query.languages()
    return {
        "query": query.display,
        "key": query.key,
        "keyword": query.is_keyword(),  # no operators: a keyword as before (one word, or a phrase)
        "positive_terms": [tree.render(term) for term in query.positive_terms()],
        "languages": sorted(languages) if languages is not None else None,
    }
