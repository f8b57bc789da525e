"""Lambda entry points. Importing any of them reads and validates the whole configuration once (cold start), so a
malformed variable fails the container with an error naming it, before the first request."""

from social_analytics.settings import validate_environment

validate_environment()
