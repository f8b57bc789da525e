"""The local stack builds its resources and function environments from template.yaml."""

from __future__ import annotations

import json

import boto3


def test_resources_and_environment_follow_the_template(aws):
    template = aws
    functions = template.functions()
    worker, api = functions["WorkerFunction"], functions["ApiFunction"]

    # environment variables resolve Ref/GetAtt to the local resources
    assert worker.environment["TABLE_NAME"] == template.physical_names["ResultsTable"]
    assert worker.environment["MAX_RECEIVE_COUNT"] == template.parameters["MaxReceiveCount"]
    assert api.environment["JOBS_QUEUE_URL"] == template.physical_names["JobsQueue"]

    # the jobs queue carries the template's redrive policy and visibility timeout
    attributes = boto3.client("sqs").get_queue_attributes(
        QueueUrl=template.physical_names["JobsQueue"], AttributeNames=["All"]
    )["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    assert redrive["maxReceiveCount"] == int(template.parameters["MaxReceiveCount"])
    assert redrive["deadLetterTargetArn"].endswith("JobsDLQ")
    visibility = template.resolve(template.resources["JobsQueue"]["Properties"]["VisibilityTimeout"])
    assert attributes["VisibilityTimeout"] == str(visibility)

    # the results table has the template's keys and TTL attribute
    table = template.physical_names["ResultsTable"]
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at" and ttl["TimeToLiveStatus"] == "ENABLED"
    keys = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["KeySchema"]
    assert [k["AttributeName"] for k in keys] == ["pk", "sk"]

    # the worker's SQS event source keeps the partial-batch contract
    jobs_event = next(e for e in worker.events.values() if e["Type"] == "SQS")["Properties"]
    assert jobs_event["BatchSize"] == 10
    assert jobs_event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
