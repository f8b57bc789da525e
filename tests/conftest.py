"""Shared fixtures: in-process moto for component tests, the real local stack for integration tests."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO_ROOT / "test-artifacts"
AWS_CALL_LOG = ARTIFACTS / "aws-calls.jsonl"  # every AWS call of every function (tests/unit/test_iam_policies.py)

# Component tests run the handlers in this process: give them a Lambda-like, AWS-free environment first.
os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_SERVICE_NAME": "social-analytics-test",
        "POWERTOOLS_METRICS_NAMESPACE": "test",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        # Tests never reach the internet: no live provider unless a test points one at a loopback fake.
        "PROVIDERS": "simulated",
        # ... and no stream ingestion (it would reach the public Jetstream) unless a test points it at a fake.
        "STREAM_ENABLED": "false",
        # Delivery receivers in tests are loopback fakes (the SSRF guard's tests turn this off again).
        "DELIVERY_ALLOW_LOOPBACK": "true",
    }
)
os.environ.pop("AWS_ENDPOINT_URL", None)


def pytest_configure(config) -> None:
    """Record each function's AWS calls for the whole session: handlers run in this process and, through the
    environment they inherit, in the local stack's child processes."""
    from local_stack import aws_calls
    from local_stack.template import Template

    config.addinivalue_line("markers", "iam_audit: checks the AWS calls recorded by the other tests (runs last)")
    ARTIFACTS.mkdir(exist_ok=True)
    # One log for the whole run: `make test` clears it once and runs several pytest processes (xdist workers, then
    # the browser tests, then the audit) that all append to it.
    if not os.environ.get("AWS_CALL_LOG_APPEND") and not os.environ.get("PYTEST_XDIST_WORKER"):
        AWS_CALL_LOG.unlink(missing_ok=True)
    os.environ[aws_calls.LOG_ENV] = str(AWS_CALL_LOG)
    aws_calls.install(aws_calls.file_sink(str(AWS_CALL_LOG)))
    functions = Template.load().of_type("AWS::Serverless::Function")
    aws_calls.wrap_handlers_on_import({spec["Properties"]["Handler"]: name for name, spec in functions.items()})


def pytest_collection_modifyitems(config, items) -> None:
    """The IAM audit reads what every other test recorded: run it after them (before the browser tests, whose
    Playwright loop holds the main thread until the session ends)."""
    audits = [item for item in items if item.get_closest_marker("iam_audit")]
    if not audits:
        return
    rest = [item for item in items if not item.get_closest_marker("iam_audit")]
    first_browser = next((i for i, item in enumerate(rest) if item.get_closest_marker("browser")), len(rest))
    items[:] = rest[:first_browser] + audits + rest[first_browser:]


class FakeLambdaContext:
    function_name = "test-function"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test-function"
    log_group_name = "/aws/lambda/test"
    log_stream_name = "test"
    function_version = "$LATEST"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@pytest.fixture
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


@pytest.fixture
def aws(monkeypatch):
    """moto in this process with the template's tables and queues, and the functions' environment set."""
    from moto import mock_aws

    from local_stack.resources import create_resources
    from local_stack.template import Template

    with mock_aws():
        template = Template.load()
        create_resources(template, endpoint_url=None)
        for spec in template.functions().values():
            for key, value in spec.environment.items():
                if not key.startswith("POWERTOOLS_"):
                    monkeypatch.setenv(key, value)
        monkeypatch.setenv("METRICS_FLUSH_SECONDS", "0")
        _reset_package_state()
        yield template
        _reset_package_state()


def _reset_package_state() -> None:
    from social_analytics import composition

    composition.reset()


def apigw_event(method: str, path: str, body=None, headers: dict | None = None, query: dict | None = None) -> dict:
    """A REST API proxy event, as the local front (and API Gateway) builds it."""
    from local_stack.api_front import proxy_event

    raw = body if isinstance(body, str | bytes) or body is None else json.dumps(body)
    data = raw.encode() if isinstance(raw, str) else (raw or b"")
    all_headers = {"Content-Type": ["application/json"], **{k: [v] for k, v in (headers or {}).items()}}
    query_string = "&".join(f"{k}={v}" for k, v in (query or {}).items())
    return proxy_event(method, path + (f"?{query_string}" if query_string else ""), all_headers, data, "127.0.0.1")


@pytest.fixture
def call_api(aws, lambda_context):
    """Invoke the API handler in-process: returns (status, parsed JSON body)."""
    from social_analytics.handlers import api

    def call(method: str, path: str, body=None, **kwargs):
        response = api.handler(apigw_event(method, path, body, **kwargs), lambda_context)
        text = response.get("body") or "null"
        return response["statusCode"], json.loads(text)

    return call


@pytest.fixture
def queue_messages(aws):
    """Receive every message currently visible on a queue of the template (default: the jobs queue)."""
    import boto3

    def receive(logical_id: str = "JobsQueue", visibility: int = 0) -> list[dict]:
        sqs = boto3.client("sqs")
        messages = []
        while True:
            batch = sqs.receive_message(
                QueueUrl=aws.physical_names[logical_id],
                MaxNumberOfMessages=10,
                VisibilityTimeout=visibility,
                AttributeNames=["All"],
                MessageAttributeNames=["All"],
            ).get("Messages", [])
            fresh = [m for m in batch if m["MessageId"] not in {seen["MessageId"] for seen in messages}]
            if not fresh:
                return messages
            messages.extend(fresh)

    return receive


def sqs_event(messages: list[dict], queue_arn: str = "arn:aws:sqs:us-east-1:123456789012:local-JobsQueue") -> dict:
    from local_stack.sqs_pump import to_record

    return {"Records": [to_record(message, queue_arn) for message in messages]}


def worker_suffix() -> str:
    """``-gw0``... under pytest-xdist (each worker starts its own session stacks), else empty: for log names."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return f"-{worker}" if worker else ""


@pytest.fixture(scope="session")
def local_stack():
    """The real local stack on free ports, in its default (embedded, one process) mode."""
    from local_stack.stack import LocalStack

    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"local-stack{worker_suffix()}.log").open("w")
    # A failed message reappears after 10 s instead of 180 s (and the job lease follows it).
    stack = LocalStack(port=0, log=log, visibility_timeout=10).start()
    yield stack
    stack.stop()
    log.close()
