"""The embedded stack's SQS shortcut answers as moto's usual path does: the same results and the same errors.

Two boto3 clients against one in-process moto: one with the shortcut registered, one without. Message ids, receipt
handles, request ids and timestamps differ by nature; everything else must match.
"""

from __future__ import annotations

import boto3
import pytest

VARYING = {
    "MessageId",
    "ReceiptHandle",
    "RequestId",
    "HTTPHeaders",
    "SentTimestamp",
    "ApproximateFirstReceiveTimestamp",
}


def _masked(value):
    if isinstance(value, dict):
        return {key: "*" if key in VARYING else _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return value


def _outcome(call, **request):
    try:
        return "ok", _masked(call(**request))
    except Exception as error:  # the error's class and parsed response are what callers see
        return type(error).__name__, _masked(getattr(error, "response", str(error)))


@pytest.fixture
def clients(monkeypatch):
    from moto import mock_aws

    from local_stack import fastpath

    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        fast, usual = boto3.client("sqs"), boto3.client("sqs")
        fast.meta.events.register("before-call.sqs", fastpath._answer_sqs)
        answered = []
        original = fastpath._answer_sqs

        def counting(**kwargs):
            answer = original(**kwargs)
            answered.append(answer is not None)
            return answer

        fast.meta.events.unregister("before-call.sqs", fastpath._answer_sqs)
        fast.meta.events.register("before-call.sqs", counting)
        yield fast, usual, answered


def test_sends_receives_deletes_and_errors_match_the_usual_path(clients):
    fast, usual, answered = clients
    queues = [usual.create_queue(QueueName=f"jobs-{i}")["QueueUrl"] for i in range(2)]
    fifo = [usual.create_queue(QueueName=f"f{i}.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"] for i in range(2)]
    attributes = {
        "job_id": {"DataType": "String", "StringValue": "abc"},
        "n": {"DataType": "Number", "StringValue": "1"},
    }

    def same(operation, suffix="", **request):
        results = [
            _outcome(getattr(client, operation), QueueUrl=url + suffix, **request)
            for client, url in zip((fast, usual), queues, strict=True)
        ]
        assert results[0] == results[1], operation
        return results[0]

    assert same("send_message", MessageBody="hello", MessageAttributes=attributes)[0] == "ok"
    assert same("send_message", MessageBody="plain")[0] == "ok"
    assert same("send_message_batch", Entries=[{"Id": "1", "MessageBody": "a"}, {"Id": "2", "MessageBody": "b"}])
    received = same(
        "receive_message",
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        AttributeNames=["All"],
        MessageAttributeNames=["All"],
    )
    assert [m["Body"] for m in received[1]["Messages"]] == ["hello", "plain", "a", "b"]
    assert received[1]["Messages"][0]["MessageAttributes"] == attributes
    # errors: their class, code, message and modeled fields
    bogus = {"n": {"DataType": "Bogus", "StringValue": "1"}}
    assert same("send_message", MessageBody="x", MessageAttributes=bogus)[0] == "ClientError"
    assert same("send_message", suffix="-missing", MessageBody="x")[0] == "QueueDoesNotExist"
    assert same("receive_message", MaxNumberOfMessages=11)[0] == "ClientError"
    assert same("send_message_batch", Entries=[])[0] == "EmptyBatchRequest"
    assert same("delete_message", ReceiptHandle="bogus")[0] == "ReceiptHandleIsInvalid"
    assert same("delete_message_batch", Entries=[])[0] == "EmptyBatchRequest"
    assert same("delete_message_batch", Entries=[{"Id": "1", "ReceiptHandle": "bogus"}])[0] == "ok"
    assert same("change_message_visibility", ReceiptHandle="bogus", VisibilityTimeout=5)[0] == "ReceiptHandleIsInvalid"
    fifo_results = [
        _outcome(client.send_message, QueueUrl=url, MessageBody="f")
        for client, url in zip((fast, usual), fifo, strict=True)
    ]
    assert fifo_results[0] == fifo_results[1] and fifo_results[0][0] == "ClientError"  # no MessageGroupId
    assert answered and all(answered)

    # deletes of what each client received: the queues end empty alike
    for client, url in zip((fast, usual), queues, strict=True):
        messages = client.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        entries = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
        assert _masked(client.delete_message_batch(QueueUrl=url, Entries=entries))["Successful"] == [
            {"Id": str(i)} for i in range(4)
        ]
    assert "Messages" not in same("receive_message", MaxNumberOfMessages=10, WaitTimeSeconds=0)[1]


def test_a_received_message_is_a_copy(clients):
    """Changing a received message's attributes must not change the message moto holds."""
    fast, usual, _answered = clients
    url = usual.create_queue(QueueName="jobs")["QueueUrl"]
    fast.send_message(
        QueueUrl=url, MessageBody="x", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    first = fast.receive_message(QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=0)["Messages"][0]
    first["MessageAttributes"]["k"]["StringValue"] = "changed"
    again = usual.receive_message(QueueUrl=url, MessageAttributeNames=["All"], VisibilityTimeout=0)["Messages"][0]
    assert again["MessageAttributes"]["k"]["StringValue"] == "v"


def test_binary_message_attributes_take_the_usual_path(clients):
    fast, usual, answered = clients
    url = usual.create_queue(QueueName="jobs")["QueueUrl"]
    binary = {"b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"}}
    fast.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=binary)
    assert answered == [False]
    received = fast.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert received["MessageAttributes"] == binary


def test_dynamodb_errors_match_the_usual_path(monkeypatch):
    """A failed condition answers as botocore would parse it, with the item it saw when ALL_OLD is asked for."""
    from moto import mock_aws

    from local_stack import fastpath

    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        fast, usual = boto3.client("dynamodb"), boto3.client("dynamodb")
        fast.meta.events.register("before-call.dynamodb", fastpath._answer)
        usual.create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        usual.put_item(TableName="t", Item={"pk": {"S": "a"}, "status": {"S": "done"}})
        requests = [
            ("update_item", {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
            ("update_item", {}),
            ("put_item", {"ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
        ]
        for operation, extra in requests:
            key = {"Key": {"pk": {"S": "a"}}} if operation == "update_item" else {"Item": {"pk": {"S": "a"}}}
            update = {"UpdateExpression": "SET #s = :r"} if operation == "update_item" else {}
            request = {
                "TableName": "t",
                **key,
                **update,
                "ConditionExpression": "#s = :q",
                "ExpressionAttributeNames": {"#s": "status"},
                "ExpressionAttributeValues": {":q": {"S": "queued"}, **({":r": {"S": "x"}} if update else {})},
                **extra,
            }
            results = [_outcome(getattr(client, operation), **request) for client in (fast, usual)]
            assert results[0] == results[1], (operation, extra)
            assert results[0][0] == "ConditionalCheckFailedException"
            assert ("Item" in results[0][1]) == bool(extra)
        missing = [_outcome(client.get_item, TableName="nope", Key={"pk": {"S": "a"}}) for client in (fast, usual)]
        assert missing[0] == missing[1] and missing[0][0] == "ResourceNotFoundException"


def _conditional_writes(client) -> list:
    """Conditional updates, puts and deletes, passing and failing, and malformed expressions."""
    client.create_table(
        TableName="t",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    names = {"#s": "status"}
    requests = [
        ("put_item", {"Item": {"pk": {"S": "a"}, "status": {"S": "queued"}}}),
        (
            "update_item",
            {"UpdateExpression": "SET #s = :r, n = :n ADD attempts :one", "ConditionExpression": "#s = :q"},
        ),
        (
            "update_item",
            {"UpdateExpression": "SET #s = :r, n = :n ADD attempts :one", "ConditionExpression": "#s = :q"},
        ),
        ("update_item", {"UpdateExpression": "SET tags = list_append(if_not_exists(tags, :empty), :tag) REMOVE n"}),
        (
            "update_item",
            {
                "UpdateExpression": "SET #s = :q",
                "ConditionExpression": "attribute_exists(pk) AND (#s IN (:r, :q) OR size(tags) > :one)",
            },
        ),
        ("update_item", {"UpdateExpression": "SET #s = :q", "ConditionExpression": "#s = = :q"}),
        ("update_item", {"UpdateExpression": "SET SET #s = :q"}),
        ("update_item", {"UpdateExpression": "SET #s = :missing"}),
        (
            "put_item",
            {"Item": {"pk": {"S": "a"}}, "ConditionExpression": "attribute_not_exists(pk) OR attempts < :one"},
        ),
        ("delete_item", {"ConditionExpression": "NOT #s = :r"}),
        ("get_item", {}),
    ]
    values = {
        ":r": {"S": "running"},
        ":q": {"S": "queued"},
        ":n": {"N": "1"},
        ":one": {"N": "1"},
        ":empty": {"L": []},
        ":tag": {"L": [{"S": "x"}]},
    }
    outcomes = []
    for operation, request in requests:
        if operation != "put_item":
            request = {"Key": {"pk": {"S": "a"}}, **request}
        expressions = " ".join(str(request.get(k, "")) for k in ("UpdateExpression", "ConditionExpression"))
        used = {k: v for k, v in values.items() if k in expressions}
        extra = {"ExpressionAttributeValues": used} if used else {}
        extra |= {"ExpressionAttributeNames": names} if "#s" in expressions else {}
        outcomes.append(_outcome(getattr(client, operation), TableName="t", **request, **extra))
    return outcomes


def test_moto_expression_caches_answer_as_moto_does(monkeypatch):
    """The embedded stack keeps parsed update expressions and lexed conditions per text: same answers, same errors."""
    from moto import mock_aws
    from moto.dynamodb.comparisons import ConditionExpressionParser
    from moto.dynamodb.parsing import validators
    from moto.dynamodb.parsing.expressions import UpdateExpressionParser

    from local_stack import fastpath

    for name, value in {
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "y",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    with mock_aws():
        expected = _conditional_writes(boto3.client("dynamodb"))
    # restored after the test: the rest of the suite runs moto as it ships
    monkeypatch.setattr(UpdateExpressionParser, "make", UpdateExpressionParser.__dict__["make"])
    monkeypatch.setattr(validators, "deepcopy", validators.deepcopy)
    cpe = ConditionExpressionParser
    monkeypatch.setattr(cpe, "_lex_condition_expression", cpe.__dict__["_lex_condition_expression"])
    fastpath._cache_update_expressions()
    fastpath._cache_condition_lexing()
    for _ in range(2):  # the first run fills the caches, the second answers from them
        with mock_aws():
            assert _conditional_writes(boto3.client("dynamodb")) == expected
    assert [outcome[0] for outcome in expected].count("ConditionalCheckFailedException") == 2
    assert [outcome[0] for outcome in expected].count("ClientError") == 2  # malformed and unknown :missing
