"""Lazily created, cached AWS clients: botocore clients from one botocore session, and DynamoDB tables.

Created on first use rather than at import so tests can start moto first, and honouring ``AWS_ENDPOINT_URL``
(botocore reads it) so the local stack can point every client at moto's server.

Cold start: botocore itself is imported on the first client, not when the package is imported, and every client
comes from one botocore session, so the endpoint and credential data are loaded once per container (a
``boto3.session.Session()`` per client loads them again each time). ``table()`` is not boto3's resource: building a
DynamoDB resource and its ``Table`` class costs about 100 ms on a cold container. It is a DynamoDB client with
boto3's own DynamoDB customizations registered on it (the ones the resource registers on ``table.meta.client``:
Python values in and out, condition objects such as ``Key("pk").eq(...)``), bound to one table name. boto3's
``types`` and ``conditions`` modules stay the storage modules' vocabulary.
"""

from __future__ import annotations

import threading
from functools import cache
from types import SimpleNamespace
from typing import Any

# botocore's Config arguments (the Config object itself is built with the first client).
CONFIG = {
    "connect_timeout": 2,
    "read_timeout": 5,
    "retries": {"mode": "standard", "max_attempts": 3},
    "max_pool_connections": 64,
}
# A botocore session is not safe to create clients from in several threads at once (the worker's threads and the
# embedded local stack's functions share this module).
_lock = threading.RLock()


@cache
def _session():
    import botocore.session

    return botocore.session.get_session()


def config(**overrides: Any):
    """The clients' botocore ``Config``, with ``overrides`` (for example ``signature_version="s3v4"``)."""
    from botocore.config import Config

    return Config(**{**CONFIG, **overrides})


def _create(service: str, **overrides: Any):
    with _lock:
        return _session().create_client(service, config=config(**overrides))


@cache
def client(service: str):
    return _create(service)


@cache
def s3v4_client():
    """S3 with SigV4 presigned URLs (the imports' uploads)."""
    return _create("s3", signature_version="s3v4")


@cache
def dynamodb():
    """The DynamoDB client that speaks Python values: what boto3's resource uses as ``table.meta.client``."""
    from boto3.dynamodb.transform import TransformationInjector, copy_dynamodb_params

    found = _create("dynamodb")
    injector = TransformationInjector()
    events = found.meta.events
    # The same handlers, in the same order and with the same ids, as boto3.dynamodb.transform.DynamoDBHighLevelResource.
    events.register("provide-client-params.dynamodb", copy_dynamodb_params, unique_id="dynamodb-create-params-copy")
    events.register(
        "before-parameter-build.dynamodb",
        injector.inject_condition_expressions,
        unique_id="dynamodb-condition-expression",
    )
    events.register(
        "before-parameter-build.dynamodb", injector.inject_attribute_value_input, unique_id="dynamodb-attr-value-input"
    )
    events.register(
        "after-call.dynamodb", injector.inject_attribute_value_output, unique_id="dynamodb-attr-value-output"
    )
    return found


class Table:
    """The part of boto3's ``Table`` the stores use: its item actions (``get_item``, ``put_item``, ``update_item``,
    ``delete_item``, ``query``, ``scan``) with ``TableName`` filled in, ``batch_writer()``, ``name`` and
    ``meta.client``."""

    _ACTIONS = frozenset({"get_item", "put_item", "update_item", "delete_item", "query", "scan"})

    def __init__(self, name: str, dynamodb_client) -> None:
        self.name = self.table_name = name
        self.meta = SimpleNamespace(client=dynamodb_client)

    def __getattr__(self, action: str):
        if action not in self._ACTIONS:
            raise AttributeError(action)
        method = getattr(self.meta.client, action)
        name = self.name

        def call(**kwargs):
            return method(TableName=name, **kwargs)

        call.__name__ = action
        return call

    def batch_writer(self, overwrite_by_pkeys: list[str] | None = None):
        from boto3.dynamodb.table import BatchWriter

        return BatchWriter(self.name, self.meta.client, overwrite_by_pkeys=overwrite_by_pkeys)


@cache
def table(name: str) -> Table:
    return Table(name, dynamodb())


def reset_clients() -> None:
    """Forget every client and the session (tests call this when they switch between moto contexts)."""
    for cached in (client, s3v4_client, dynamodb, table, _session):
        cached.cache_clear()
