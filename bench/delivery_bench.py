"""Deliveries: AWS calls and wall time per delivered message, in process (moto) to a loopback receiver, through
the delivery function's handler with real SQS records; and the cost per million deliveries from the calls counted.

    PYTHONPATH=functions:. .venv/bin/python -m bench.delivery_bench [--messages 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for path in (ROOT / "functions", ROOT):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "bench",
        "POWERTOOLS_METRICS_NAMESPACE": "bench",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "ERROR",
        "DELIVERY_ALLOW_LOOPBACK": "true",
        "ADMIN_TOKEN": "bench-token",
    }
)

from bench.run import DYNAMODB_READ_UNIT, DYNAMODB_WRITE_UNIT, LAMBDA_ARM_GB_SECOND, LAMBDA_REQUEST, SQS_REQUEST  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=100)
    args = parser.parse_args()

    import boto3
    from moto import mock_aws

    from local_stack import aws_calls
    from local_stack.resources import create_resources
    from local_stack.template import Template
    from tests.conftest import FakeLambdaContext, sqs_event
    from tests.fakes.receiver import Receiver

    calls: Counter[str] = Counter()
    aws_calls.install(lambda record: calls.update([record["operation"]]))
    with mock_aws(), Receiver() as receiver:
        template = Template.load()
        create_resources(template, endpoint_url=None)
        for spec in template.functions().values():
            for key, value in spec.environment.items():
                os.environ.setdefault(key, value)
        os.environ["DELIVERY_HOURLY_CAP"] = str(args.messages * 2)
        from social_analytics import composition
        from social_analytics.delivery import channels, messages
        from social_analytics.handlers import delivery

        composition.reset()
        channel = channels.create("webhook", receiver.url, None, "bench")
        batch = [messages.test_message(channel["id"], "bench") for _ in range(args.messages)]
        messages.enqueue(batch)
        sqs = boto3.client("sqs")
        url, arn = template.physical_names["DeliveryQueue"], template.attributes[("DeliveryQueue", "Arn")]
        calls.clear()
        started, delivered = time.perf_counter(), 0
        with aws_calls.handler_scope("DeliveryFunction"):
            while delivered < args.messages:
                got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, AttributeNames=["All"]).get(
                    "Messages", []
                )
                if not got:
                    break
                delivery.handler(sqs_event(got, arn), FakeLambdaContext())
                delivered += len(got)
        seconds = time.perf_counter() - started
    assert len(receiver.received) == args.messages, (len(receiver.received), args.messages)
    per = {name: count / args.messages for name, count in sorted(calls.items()) if name != "ReceiveMessage"}
    writes = per.get("UpdateItem", 0) + per.get("PutItem", 0)
    reads = per.get("GetItem", 0) + per.get("Query", 0)
    ms = 1000 * seconds / args.messages
    # Per million deliveries: the function's calls above, the queue's send/receive/delete, and Lambda at 256 MB for
    # the measured time (an upper bound: moto and the receiver run in this process too).
    dynamo = 1e6 * (writes * DYNAMODB_WRITE_UNIT + reads * DYNAMODB_READ_UNIT) + 1e6 * DYNAMODB_WRITE_UNIT  # + its row
    sqs_cost = 1e6 * 3 * SQS_REQUEST / 3 + 1e6 * SQS_REQUEST  # a batch of 3 shares a receive and a delete; one send
    lam = 1e6 * (0.25 * ms / 1000 * LAMBDA_ARM_GB_SECOND + LAMBDA_REQUEST / 3)
    print(f"deliveries: {args.messages} in {seconds:.2f} s ({ms:.1f} ms each, in process, loopback receiver)")
    print("AWS calls per delivery (delivery function):", ", ".join(f"{k} {v:.2f}" for k, v in per.items()))
    print(f"per million deliveries: DynamoDB ${dynamo:.2f}, SQS ${sqs_cost:.2f}, Lambda ${lam:.2f} (upper bound)")


if __name__ == "__main__":
    main()
