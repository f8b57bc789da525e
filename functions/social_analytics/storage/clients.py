"""Lazily created, cached boto3 clients.

Created on first use rather than at import so tests can start moto first, and honouring
``AWS_ENDPOINT_URL`` (boto3 reads it) so the local stack can point every client at moto's server.
"""

from __future__ import annotations

from functools import cache

import boto3
from botocore.config import Config

_CONFIG = Config(
    connect_timeout=2,
    read_timeout=5,
    retries={"mode": "standard", "max_attempts": 3},
    max_pool_connections=64,
)


@cache
def client(service: str):
    return boto3.session.Session().client(service, config=_CONFIG)


@cache
def table(name: str):
    return boto3.session.Session().resource("dynamodb", config=_CONFIG).Table(name)


def reset_clients() -> None:
    """Forget every client (tests call this when they switch between moto contexts)."""
    client.cache_clear()
    table.cache_clear()
