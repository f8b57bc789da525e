"""boto3's and botocore's names the stores use (``aws.Key("pk").eq(...)``, ``aws.Binary``, ``except aws.ClientError``),
imported on first use.

A cold start does not load boto3 or botocore (about as long to import as the rest of a function together): the
first AWS call does, when it creates its client (``clients.py``). Importing one of these names from its module at the
top of a store would import all of boto3 (and, through it, s3transfer) with the package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from boto3.dynamodb.conditions import Attr, Key
    from boto3.dynamodb.types import Binary, TypeSerializer
    from botocore.exceptions import BotoCoreError, ClientError

__all__ = ["Attr", "Binary", "BotoCoreError", "ClientError", "Key", "TypeSerializer"]

_HOME = {
    "Attr": "boto3.dynamodb.conditions",
    "Key": "boto3.dynamodb.conditions",
    "Binary": "boto3.dynamodb.types",
    "TypeSerializer": "boto3.dynamodb.types",
    "ClientError": "botocore.exceptions",
    "BotoCoreError": "botocore.exceptions",
}


def __getattr__(name: str):
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value  # from now on a plain module attribute
    return value
