"""DynamoDB and SQS calls answered by moto's handlers in-process, without the HTTP-shaped round trip (embedded mode
only).

Through ``mock_aws`` a GetItem still goes boto3 -> botocore serializes and signs an HTTP request -> moto parses it,
serializes its answer into an HTTP response from the service model -> botocore parses that back: about 3 ms, against
40 us for the table lookup itself. botocore lets a ``before-call`` handler answer an operation (its stubbing
hook), so for DynamoDB's data operations the request body (already validated and serialized by botocore) goes
straight to moto's own ``DynamoHandler`` method, whose result dict is what botocore would have parsed. moto's
validation, conditions and expressions are the same code; only the two serializations are skipped. Errors are
moto's error bodies parsed by botocore's parser, so they become the ``ClientError`` botocore would raise (with a
failed condition's ``Item``). boto3's resource layer (``Table``) still converts types in ``after-call``.

SQS's message operations take the same shortcut through moto's ``SQSResponse`` (the JSON protocol's request body is
the parameters its methods read); its errors go through moto's serializer and botocore's parser, as on the usual
path, so they keep their codes. A request carrying binary message attributes (base64 on the wire, bytes once parsed)
takes the usual path.
"""

from __future__ import annotations

import copy
import json
import uuid

from local_stack.template import ACCOUNT, REGION

OPERATIONS = {
    "GetItem": "get_item",
    "PutItem": "put_item",
    "UpdateItem": "update_item",
    "DeleteItem": "delete_item",
    "Query": "query",
    "Scan": "scan",
    "BatchGetItem": "batch_get_item",
    "BatchWriteItem": "batch_write_item",
}


SQS_OPERATIONS = {
    "SendMessage": "send_message",
    "SendMessageBatch": "send_message_batch",
    "ReceiveMessage": "receive_message",
    "DeleteMessage": "delete_message",
    "DeleteMessageBatch": "delete_message_batch",
    "ChangeMessageVisibility": "change_message_visibility",
    "ChangeMessageVisibilityBatch": "change_message_visibility_batch",
}


class _Http:
    """The bits of botocore's AWSResponse that ``after-call`` handlers and error handling read."""

    def __init__(self, status_code: int, request_id: str, service: str = "dynamodb") -> None:
        self.status_code = status_code
        self.headers = {"x-amzn-requestid": request_id}
        self.content = b""
        self.text = ""
        self.raw = None
        self.url = f"https://{service}.{REGION}.amazonaws.com/"


def _answer(model, params, **_kwargs):
    method = OPERATIONS.get(model.name)
    if method is None:
        return None  # everything else takes moto's usual path
    from moto.core.exceptions import JsonRESTError
    from moto.dynamodb.responses import DynamoHandler

    from local_stack.persistence import activity, moto_lock

    body = params.get("body") or b"{}"
    handler = DynamoHandler()
    handler.body = json.loads(body)
    handler.current_account = ACCOUNT
    handler.region = REGION
    request_id = str(uuid.uuid4())
    metadata = {"RequestId": request_id, "HTTPHeaders": {}, "RetryAttempts": 0}
    try:
        with moto_lock:
            result = getattr(handler, method)().result
    except JsonRESTError as error:
        # moto's error body, parsed as botocore parses it (a failed condition's ALL_OLD ``Item`` included)
        return _parsed_error(model, int(error.code), {}, error.get_body(), request_id, "dynamodb")
    activity.record("dynamodb", model.name, None)
    parsed = dict(result or {})
    parsed["ResponseMetadata"] = {**metadata, "HTTPStatusCode": 200}
    return _Http(200, request_id), parsed


def _answer_sqs(model, params, **_kwargs):
    method = SQS_OPERATIONS.get(model.name)
    body = params.get("body") or b"{}"
    if method is None or b'"Binary' in body:
        return None  # everything else takes moto's usual path
    from moto.core.exceptions import ServiceException
    from moto.sqs.responses import SQSResponse

    from local_stack.persistence import activity, moto_lock

    handler = SQSResponse()
    handler.params = json.loads(body)
    handler.uri_match = {}
    handler.current_account = ACCOUNT
    handler.region = REGION
    request_id = str(uuid.uuid4())
    metadata = {"RequestId": request_id, "HTTPHeaders": {}, "RetryAttempts": 0}
    try:
        with moto_lock:
            result = getattr(handler, method)().result
    except ServiceException as error:
        return _sqs_error(handler, model, error, request_id)
    messages = model.name == "ReceiveMessage" and bool(result and result.get("Messages"))
    activity.record("sqs", model.name, b"ReceiptHandle" if messages else None, handler.params.get("QueueUrl"))
    parsed = copy.deepcopy(result) if result else {}  # received messages' attributes are moto's own dicts
    parsed["ResponseMetadata"] = {**metadata, "HTTPStatusCode": 200}
    return _Http(200, request_id, "sqs"), parsed


def _sqs_error(handler, model, error, request_id: str):
    """The error as the usual path answers it: moto serializes it for the JSON protocol, botocore parses it."""
    from moto.core.responses import ActionResult

    handler.querystring = {}
    handler.headers = {"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": f"AmazonSQS.{model.name}"}
    handler.response_headers = {}
    status, headers, body = handler.serialized(ActionResult(error))
    return _parsed_error(model, int(status), headers, body, request_id, "sqs")


def _parsed_error(model, status: int, headers: dict, body, request_id: str, service: str):
    """An error response parsed as botocore's endpoint parses it: the error, then the modeled error's own fields."""
    from botocore.parsers import create_parser

    headers = {**{k.lower(): str(v) for k, v in headers.items()}, "x-amzn-requestid": request_id}
    response = {"status_code": status, "headers": headers, "body": body.encode() if isinstance(body, str) else body}
    parser = create_parser(model.metadata["protocol"])
    parsed = parser.parse(response, model.output_shape)
    error_shape = model.service_model.shape_for_error_code(parsed.get("Error", {}).get("Code"))
    if error_shape is not None:
        parsed.update(parser.parse(response, error_shape))
    parsed.setdefault("ResponseMetadata", {})["RetryAttempts"] = 0
    http = _Http(status, request_id, service)
    http.headers = headers
    return http, parsed


def _speed_up_sqs() -> None:
    """Two hot spots of moto's SQS, same answers: every message's visibility check builds a datetime (``unix_time``),
    and every received message's retention check recomputes all the queue's attributes, which counts the queue's
    visible messages (quadratic in the queue's length)."""
    import time

    from moto.sqs import models

    def unix_time(dt=None) -> float:
        return time.time() if dt is None else _unix_time(dt)

    def unix_time_millis(dt=None) -> float:
        return time.time() * 1000.0 if dt is None else _unix_time(dt) * 1000.0

    def is_message_valid_based_on_retention_period(self, queue_name: str, message) -> bool:
        retention = int(self.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > time.time()

    _unix_time = models.unix_time
    models.unix_time, models.unix_time_millis = unix_time, unix_time_millis
    models.SQSBackend.is_message_valid_based_on_retention_period = is_message_valid_based_on_retention_period


def _speed_up_dynamodb_query() -> None:
    """moto answers a query on a table's own key by listing and sorting every item of the table, then keeping the
    partition's: cost grows with the table. While a base-table query runs, ``all_items`` lists the one partition
    (the query still filters and sorts exactly as before, so the answer is the same)."""
    import threading

    from moto.dynamodb.models.table import Table

    scope = threading.local()
    all_items, query = Table.all_items, Table.query

    def partition_items(self):
        hash_key = getattr(scope, "hash_key", None)
        if hash_key is None:
            return all_items(self)
        found = self.items.get(hash_key)
        if found is None:
            return []
        return sorted(found.values(), key=lambda item: item.range_key) if self.range_key_attr else [found]

    def query_one_partition(self, hash_key, *args, **kwargs):
        index_name = kwargs.get("index_name", args[6] if len(args) > 6 else None)
        if index_name or hash_key is None:
            return query(self, hash_key, *args, **kwargs)
        scope.hash_key = hash_key
        try:
            return query(self, hash_key, *args, **kwargs)
        finally:
            scope.hash_key = None

    Table.all_items, Table.query = partition_items, query_one_partition


def _cache_update_expressions() -> None:
    """moto parses every UpdateExpression from its text, twice per UpdateItem; the platform sends a handful of distinct
    expressions. The parsed tree is kept per text and shared (moto only reads it: its validator works on a deep copy),
    and that copy is made from the tree's pickle, ~6x faster than ``deepcopy`` (~40 us against ~260 us)."""
    import copy
    import pickle

    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    parse = UpdateExpressionParser.make.__func__
    parsed: dict[str, object] = {}
    pickled: dict[int, tuple[object, bytes]] = {}  # id(tree) -> (tree, its pickle): only trees kept in ``parsed``

    def make(cls, expression_str):
        tree = parsed.get(expression_str)
        if tree is None:
            tree = parse(cls, expression_str)  # a bad expression raises here, as before, and is not kept
            try:
                blob = pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # a tree that does not pickle: parsed every time
                return tree
            if len(parsed) < 1024:
                parsed[expression_str] = tree
                pickled[id(tree)] = (tree, blob)
        return tree

    def deepcopy(value, memo=None):
        kept = pickled.get(id(value))
        if kept is not None and kept[0] is value and memo is None:
            return pickle.loads(kept[1])  # noqa: S301 - our own bytes
        return copy.deepcopy(value, memo)

    UpdateExpressionParser.make = classmethod(make)
    validators.deepcopy = deepcopy


def _cache_condition_lexing() -> None:
    """moto lexes a ConditionExpression with a dozen regexes per token, twice per conditional write (once to check
    the names and values it uses, once to evaluate it). The tokens depend only on the text: they are kept per text
    (the parse after them, which binds the values, runs as before)."""
    from collections import deque

    from moto.dynamodb.comparisons import ConditionExpressionParser

    lex = ConditionExpressionParser._lex_condition_expression
    lexed: dict[str, tuple] = {}

    def lex_once(self):
        tokens = lexed.get(self.condition_expression)
        if tokens is None:
            tokens = tuple(lex(self))  # an expression that does not lex raises here, as before, and is not kept
            if len(lexed) < 1024:
                lexed[self.condition_expression] = tokens
        return deque(tokens)  # the parse consumes its deque; the tokens themselves are never changed

    ConditionExpressionParser._lex_condition_expression = lex_once


def install() -> None:
    """For every botocore session created from now on (boto3 creates one per ``Session()``)."""
    from botocore.handlers import BUILTIN_HANDLERS

    if not any(handler is _answer for _event, handler, *_rest in BUILTIN_HANDLERS):
        BUILTIN_HANDLERS.append(("before-call.dynamodb", _answer))
        BUILTIN_HANDLERS.append(("before-call.sqs", _answer_sqs))
        _speed_up_sqs()
        _speed_up_dynamodb_query()
        _cache_update_expressions()
        _cache_condition_lexing()
