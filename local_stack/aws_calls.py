"""Record every AWS call a function makes, as the IAM requests it needs (action, resource ARN, leading keys).

The least-privilege test (tests/unit/test_iam_policies.py) checks each recorded request against the function's
policy translated from template.yaml. Installed by tests/conftest.py for in-process handler calls and, through the
``AWS_CALL_LOG`` environment variable, in the local stack's child processes (``local_stack.runtime``), which append
their calls to that file as JSON lines.

A botocore ``before-parameter-build`` hook (registered last, so boto3's DynamoDB resource has already typed the
parameters) sees real calls and presigned URLs alike: a presigned PUT needs the signer's ``s3:PutObject`` too.
Which function made a call: the handler running in this context (``handler_scope``); in a child process, any call
made off the main thread while no handler scope is set also belongs to its function (threads its handler started),
while the main thread's own calls outside a handler are the event source's (the SQS poller), not the function's.
"""

from __future__ import annotations

import contextvars
import functools
import importlib.abc
import json
import os
import re
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager

import botocore.session

LOG_ENV = "AWS_CALL_LOG"
REGION = "us-east-1"
ACCOUNT = "123456789012"

_function: contextvars.ContextVar[str | None] = contextvars.ContextVar("aws_call_function", default=None)
_active: dict[str, int] = {}  # function -> handlers of it running now (calls from threads the handler started)
_lock = threading.Lock()
_sink: Callable[[dict], None] | None = None
_process_function: str | None = None  # set in a local stack child: every non-event-source call is this function's
_installed = False


# ------------------------------------------------------------------ which function is calling
@contextmanager
def handler_scope(function: str):
    token = _function.set(function)
    with _lock:
        _active[function] = _active.get(function, 0) + 1
    try:
        yield
    finally:
        with _lock:
            _active[function] -= 1
            if not _active[function]:
                del _active[function]
        _function.reset(token)


def wrap_handler(handler: Callable, function: str) -> Callable:
    @functools.wraps(handler)
    def recorded(event, context):
        with handler_scope(function):
            return handler(event, context)

    recorded.__wrapped_handler__ = handler  # type: ignore[attr-defined]
    return recorded


class _HandlerWrapper(importlib.abc.MetaPathFinder):
    """Wraps ``module.handler`` as the module is imported: the tests import handler modules lazily (their settings
    are read at import), and reach the handler through the module attribute."""

    def __init__(self, handlers: dict[str, tuple[str, str]]) -> None:
        self.handlers = handlers  # module -> (attribute, function)

    def find_spec(self, name, path, target=None):
        if name not in self.handlers:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None:
                exec_module = spec.loader.exec_module
                attribute, function = self.handlers[name]

                def exec_and_wrap(module, _exec=exec_module, _attribute=attribute, _function=function):
                    _exec(module)
                    setattr(module, _attribute, wrap_handler(getattr(module, _attribute), _function))

                spec.loader.exec_module = exec_and_wrap
                return spec
        return None


def wrap_handlers_on_import(handlers: dict[str, str]) -> None:
    """``{"pkg.module.handler": "LogicalId"}``: wrap each handler in its function's scope, now or when imported."""
    pending = {}
    for dotted, function in handlers.items():
        module_name, _, attribute = dotted.rpartition(".")
        module = sys.modules.get(module_name)
        if module is not None:
            current = getattr(module, attribute)
            if not hasattr(current, "__wrapped_handler__"):
                setattr(module, attribute, wrap_handler(current, function))
        else:
            pending[module_name] = (attribute, function)
    if pending:
        sys.meta_path.insert(0, _HandlerWrapper(pending))


# Threads of the embedded stack that stand in for event sources (SQS pollers, schedulers, the HTTP front, the TTL
# sweeper): outside a handler's scope their calls are the event source's, never a function's.
EVENT_SOURCE_THREADS = ("sqs-", "schedule-", "front", "ttl")


def _caller() -> str | None:
    current = _function.get()
    if current:
        return current
    if threading.current_thread().name.startswith(EVENT_SOURCE_THREADS):
        return None
    if _process_function:
        return _process_function if threading.current_thread() is not threading.main_thread() else None
    with _lock:
        running = list(_active)
    return running[0] if len(running) == 1 else None  # a thread started by the one handler running now


# ------------------------------------------------------------------ from a call to its IAM requests
def _value(typed):
    """A key attribute's value, typed ({"S": "x"}) or plain."""
    if isinstance(typed, dict) and len(typed) == 1:
        ((kind, value),) = typed.items()
        if kind in ("S", "N", "B"):
            return str(value)
    return str(typed) if isinstance(typed, str | int | float) else None


def _key_values(key: dict | None) -> dict[str, str]:
    return {name: value for name, raw in (key or {}).items() if (value := _value(raw)) is not None}


def _query_equalities(params: dict) -> dict[str, str]:
    """``attr = :v`` pairs of a KeyConditionExpression (the partition key is always one of them)."""
    expression = params.get("KeyConditionExpression") or ""
    names = params.get("ExpressionAttributeNames") or {}
    values = params.get("ExpressionAttributeValues") or {}
    found = {}
    for name, placeholder in re.findall(r"([#\w.]+)\s*=\s*(:\w+)", expression):
        value = _value(values.get(placeholder))
        if value is not None:
            found[names.get(name, name)] = value
    return found


def _dynamodb(operation: str, params: dict) -> list[dict]:
    single = {"GetItem": "Key", "DeleteItem": "Key", "UpdateItem": "Key", "PutItem": "Item"}
    if operation in single:
        table = params.get("TableName", "")
        return [{"action": f"dynamodb:{operation}", "table": table, "key": _key_values(params.get(single[operation]))}]
    if operation in ("Query", "Scan"):
        table, index = params.get("TableName", ""), params.get("IndexName")
        request = {"action": f"dynamodb:{operation}", "table": table, "index": index}
        if operation == "Query":
            request["key"] = _query_equalities(params)
        return [request]
    if operation in ("BatchWriteItem", "BatchGetItem"):
        requests = []
        for table, items in (params.get("RequestItems") or {}).items():
            keys = []
            if operation == "BatchGetItem":
                keys = [_key_values(key) for key in items.get("Keys", [])]
            else:
                for item in items:
                    if "PutRequest" in item:
                        keys.append(_key_values(item["PutRequest"].get("Item")))
                    elif "DeleteRequest" in item:
                        keys.append(_key_values(item["DeleteRequest"].get("Key")))
            requests.append({"action": f"dynamodb:{operation}", "table": table, "keys": keys})
        return requests
    if operation in ("TransactWriteItems", "TransactGetItems"):
        # There is no IAM action for a transaction: each of its items needs its own action.
        actions = {
            "Put": "PutItem",
            "Update": "UpdateItem",
            "Delete": "DeleteItem",
            "ConditionCheck": "ConditionCheckItem",
        }
        requests = []
        for entry in params.get("TransactItems") or []:
            for kind, body in entry.items():
                action = "GetItem" if kind == "Get" else actions[kind]
                key = body.get("Item") if kind == "Put" else body.get("Key")
                requests.append(
                    {"action": f"dynamodb:{action}", "table": body.get("TableName", ""), "key": _key_values(key)}
                )
        return requests
    return [{"action": f"dynamodb:{operation}", "table": params.get("TableName", "")}]


def iam_requests(service: str, operation: str, params: dict) -> list[dict]:
    """The IAM requests one API call needs. DynamoDB ones carry the table name (the ARN is built by the audit)."""
    if service == "dynamodb":
        return _dynamodb(operation, params)
    if service == "sqs":
        queue = (params.get("QueueUrl") or "").rstrip("/").rsplit("/", 1)[-1] or params.get("QueueName", "*")
        action = operation.removesuffix("Batch") if operation.endswith("MessageBatch") else operation
        action = "ChangeMessageVisibility" if action.startswith("ChangeMessageVisibility") else action
        return [{"action": f"sqs:{action}", "name": queue, "arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue}"}]
    if service == "ssm":
        names = params.get("Names") or ([params["Name"]] if "Name" in params else [])
        if operation == "GetParametersByPath":
            names = [params.get("Path", "")]
        if not names:
            return [{"action": f"ssm:{operation}", "arn": "*"}]
        return [
            {
                "action": f"ssm:{'GetParameters' if operation == 'GetParameters' else operation}",
                "name": name,
                "arn": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{name.lstrip('/')}",
            }
            for name in names
        ]
    if service == "s3":
        bucket, key = params.get("Bucket", ""), params.get("Key")
        action = {"HeadObject": "GetObject", "ListObjectsV2": "ListBucket", "ListObjects": "ListBucket"}.get(
            operation, operation
        )
        arn = f"arn:aws:s3:::{bucket}/{key}" if key is not None else f"arn:aws:s3:::{bucket}"
        return [{"action": f"s3:{action}", "name": bucket, "arn": arn}]
    if service == "events" and operation == "PutEvents":
        buses = {entry.get("EventBusName") or "default" for entry in params.get("Entries") or []} or {"default"}
        return [
            {"action": "events:PutEvents", "arn": f"arn:aws:events:{REGION}:{ACCOUNT}:event-bus/{bus}"}
            for bus in sorted(buses)
        ]
    if service == "email" and operation in ("SendEmail", "SendRawEmail"):
        domain = str(params.get("Source") or "").rpartition("@")[2].rstrip(">")
        return [{"action": f"ses:{operation}", "arn": f"arn:aws:ses:{REGION}:{ACCOUNT}:identity/{domain}"}]
    if service == "sns":
        return [{"action": f"sns:{operation}", "arn": params.get("TopicArn") or params.get("TargetArn") or "*"}]
    return [{"action": f"{service}:{operation}", "arn": "*"}]


# ------------------------------------------------------------------ the hook
def _env_names(requests: list[dict]) -> None:
    """Remember which environment variable named a resource, so the audit can use the template's value for it
    (tests point ADMIN_TOKEN_PARAM and the like at names of their own)."""
    for request in requests:
        name = request.get("name") or request.get("table")
        if not name:
            continue
        for variable, value in os.environ.items():
            if (
                variable.isupper()
                and value
                and value in (name, "/" + name.lstrip("/"))
                and not variable.startswith("AWS")
            ):
                request["env"] = variable
                break


def _on_call(params, model, **_kwargs) -> None:
    function = _caller()
    if function is None or _sink is None:
        return
    try:
        service = model.service_model.endpoint_prefix
        requests = iam_requests(service, model.name, params or {})
        _env_names(requests)
        _sink({"function": function, "service": service, "operation": model.name, "requests": requests})
    except Exception as error:  # never break the code under test; the audit reports the unreadable call
        _sink({"function": function, "service": "?", "operation": getattr(model, "name", "?"), "error": repr(error)})


def install(sink: Callable[[dict], None], process_function: str | None = None) -> None:
    """Hook every botocore client created from now on (boto3 makes one botocore session per Session)."""
    global _sink, _process_function, _installed
    _sink, _process_function = sink, process_function
    if _installed:
        return
    _installed = True
    original = botocore.session.Session.create_client

    @functools.wraps(original)
    def create_client(self, *args, **kwargs):
        client = original(self, *args, **kwargs)
        client.meta.events.register_last("before-parameter-build", _on_call, unique_id="aws-call-recorder")
        return client

    botocore.session.Session.create_client = create_client


def file_sink(path: str) -> Callable[[dict], None]:
    def write(record: dict) -> None:
        line = (json.dumps(record, default=str) + "\n").encode()
        descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(descriptor, line)  # one write per line: O_APPEND keeps the processes' lines whole
        finally:
            os.close(descriptor)

    return write


def install_from_environment() -> None:
    """In a local stack child: record to ``$AWS_CALL_LOG`` as the function ``$AWS_LAMBDA_FUNCTION_NAME``."""
    path = os.environ.get(LOG_ENV, "")
    if path:
        install(file_sink(path), process_function=os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or None)


def read_log(path: str) -> list[dict]:
    try:
        with open(path, encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
    except FileNotFoundError:
        return []
