"""Least privilege, proven: every function's policy as deployed (template.yaml through aws-sam-translator) against
every AWS call the functions made in this test session (recorded by local_stack.aws_calls, see tests/conftest.py).

A call the policy does not grant fails here, in CI, instead of as AccessDenied after a deploy. A granted action no
test used is reported in test-artifacts/iam-audit.json; the ones that are expected stay listed in UNUSED_GRANTS.
"""

from __future__ import annotations

import json

import pytest

from local_stack import aws_calls
from tests.conftest import ARTIFACTS, AWS_CALL_LOG
from tests.iam_audit import audit, evaluate, load_model, resolve_request

# (function, statement Sid, action): why the grant stays although the suites do not exercise it. Reported, not
# failed: a grant used only on a rare path (a stale lock, a crashed analysis) must not make CI flaky.
_PROVIDER_SECRET = (
    "provider secrets come from the environment in tests and local runs; the SSM path is unit-tested with an "
    "injected getter (tests/unit/sources/test_fetching_chain.py). Granted only when the parameter is configured"
)
UNUSED_GRANTS: dict[tuple[str, str, str], str] = {
    ("SchedulerFunction", "ResultsItemsOfTheScheduler", "dynamodb:DeleteItem"): (
        "create_job_with_lock releases a finished job's leftover keyword lock and deletes its own job item when it "
        "loses the lock race (storage/jobs.py); the suites leave no stale lock behind a tracked keyword"
    ),
    ("WorkerFunction", "ResultsItemsOfTheWorker", "dynamodb:BatchWriteItem"): (
        "a large keyword deletion runs as a worker job and deletes in batches"
    ),
    ("ApiFunction", "ResultsIndexesOfTheApi", "dynamodb:Query"): "keyword deletion finds the keyword's items by key",
    ("ApiFunction", "ResultsItemsOfTheApi", "dynamodb:BatchGetItem"): "keyword deletion reads its jobs in batches",
    ("WorkerFunction", "ResultsItemsOfTheWorker", "dynamodb:BatchGetItem"): "deletion jobs read their jobs in batches",
    ("WorkerFunction", "ResultsIndexesOfTheWorker", "dynamodb:Query"): "deletion jobs find the keyword's items by key",
    ("SchedulerFunction", "ChannelsOfTheScheduler", "dynamodb:UpdateItem"): (
        "marks an hour's alerts held back by the cap as announced, and logs a digest SQS refused to queue as failed "
        "(tests/unit/delivery/test_run.py covers both with in-memory stores)"
    ),
    ("StreamFunction", "DeliveryRowsOfTheStream", "dynamodb:UpdateItem"): (
        "logs an alert delivery that SQS refused to queue as failed; the suites' SQS never refuses"
    ),
    **{
        ("WorkerFunction", sid, action): (
            "a scheduled scan's alert for a keyword with channels; the suites deliver the stream's alerts end to end "
            "and raise scan alerts for keywords without channels"
        )
        for sid, action in (
            ("DeliveryRowsOfTheWorker", "dynamodb:PutItem"),
            ("DeliveryRowsOfTheWorker", "dynamodb:UpdateItem"),
            ("QueueAlertDeliveries", "sqs:SendMessage"),
        )
    },
    **{
        ("WorkerFunction", f"Read{name}", "ssm:GetParameter"): _PROVIDER_SECRET
        for name in ("SocialDataApiKey", "XBearerToken", "BlueskyHandle", "BlueskyAppPassword", "MastodonAccessToken")
    },
}
# The functions that may scan a table, and why (every access is by key today: deletion uses the ByKey index).
SCANS: dict[str, str] = {}


# Functions whose results-table grants name their item kinds (dynamodb:LeadingKeys).
CONDITIONED = (
    "ApiFunction",
    "WorkerFunction",
    "SchedulerFunction",
    "ImportFunction",
    "StreamFunction",
    "DeliveryFunction",
)


def _grant_key(grant: dict) -> tuple[str, str, str]:
    return grant["function"], grant["sid"], grant["action"]


@pytest.fixture(scope="module")
def model():
    return load_model()


def test_every_function_has_its_own_role_with_explicit_statements(model) -> None:
    assert {"ApiFunction", "WorkerFunction", "SchedulerFunction", "ImportFunction"} <= set(model.functions)
    roles = [policy.role for policy in model.functions.values()]
    assert len(roles) == len(set(roles))
    for policy in model.functions.values():
        for statement in policy.statements:
            assert "*" not in statement["Action"], (policy.function, statement)
            assert all(not action.endswith(":*") for action in statement["Action"]), (policy.function, statement)


def test_no_wildcard_resources_and_no_grants_the_review_flagged(model) -> None:
    for policy in model.functions.values():
        for statement in policy.statements:
            actions = set(statement["Action"])
            assert "ssm:DescribeParameters" not in actions, policy.function
            assert statement["Resource"] != ["*"], (policy.function, statement)
            if "s3:ListBucket" in actions and statement.get("Sid") not in ("ReadTheArchive", "WriteTheArchive"):
                # the archive finds an hour's part files by listing, and only its own bucket
                raise AssertionError(f"{policy.function} may list a bucket")
    scanning = {name for name, p in model.functions.items() for s in p.statements if "dynamodb:Scan" in s["Action"]}
    assert scanning <= set(SCANS), scanning


def test_only_the_worker_reaches_the_provider_sessions(model) -> None:
    sessions = next(name for name, table in model.tables.items() if table["logical_id"] == "SessionsTable")
    readers = {
        policy.function
        for policy in model.functions.values()
        for statement in policy.statements
        for resource in statement["Resource"]
        if resource.endswith(f"table/{sessions}") or f"table/{sessions}/" in resource
    }
    assert readers == {"WorkerFunction"}


def _request(model, function: str, action: str, table: str, pk: str) -> dict:
    physical = next(name for name, spec in model.tables.items() if spec["logical_id"] == table)
    return resolve_request(model, function, {"action": action, "table": physical, "key": {"pk": pk, "sk": "X"}})


def test_leading_keys_keep_roles_to_their_item_kinds(model) -> None:
    scheduler = model.functions["SchedulerFunction"]
    assert evaluate(scheduler, _request(model, "SchedulerFunction", "dynamodb:Query", "ResultsTable", "TRACKED"))
    assert not evaluate(scheduler, _request(model, "SchedulerFunction", "dynamodb:PutItem", "ResultsTable", "ALERTS"))
    importer = model.functions["ImportFunction"]
    assert evaluate(importer, _request(model, "ImportFunction", "dynamodb:UpdateItem", "ResultsTable", "JOB#1"))
    assert not evaluate(importer, _request(model, "ImportFunction", "dynamodb:UpdateItem", "ResultsTable", "TRACKED"))
    assert not evaluate(importer, _request(model, "ImportFunction", "dynamodb:PutItem", "ResultsTable", "JOB#1"))
    for name in CONDITIONED:  # the item kind that used to hold session tokens
        policy = model.functions[name]
        assert not evaluate(policy, _request(model, name, "dynamodb:GetItem", "ResultsTable", "PROVIDER#bluesky"))


def test_only_the_delivery_function_reads_channel_secrets_and_the_api_only_writes_them(model) -> None:
    readers, writers = set(), set()
    for policy in model.functions.values():
        for statement in policy.statements:
            if any("parameter/async-social-analytics/channels/" in r for r in statement["Resource"]):
                if "ssm:GetParameter" in statement["Action"]:
                    readers.add(policy.function)
                if "ssm:PutParameter" in statement["Action"]:
                    writers.add(policy.function)
    assert readers == {"DeliveryFunction"} and writers == {"ApiFunction"}
    delivery = model.functions["DeliveryFunction"]
    assert not evaluate(delivery, _request(model, "DeliveryFunction", "dynamodb:GetItem", "ResultsTable", "KW#x"))
    assert not evaluate(delivery, _request(model, "DeliveryFunction", "dynamodb:PutItem", "ResultsTable", "CHANNEL#c"))
    assert evaluate(delivery, _request(model, "DeliveryFunction", "dynamodb:UpdateItem", "ResultsTable", "CHANNEL#c"))


def test_a_call_outside_the_policy_is_reported_as_denied(model) -> None:
    records = [
        {
            "function": "ApiFunction",
            "service": "ssm",
            "operation": "DescribeParameters",
            "requests": aws_calls.iam_requests("ssm", "DescribeParameters", {}),
        }
    ]
    result = audit(model, records)
    assert [d["action"] for d in result.denied] == ["ssm:DescribeParameters"]


@pytest.mark.iam_audit
def test_every_recorded_aws_call_is_allowed_by_its_functions_policy(model) -> None:
    records = aws_calls.read_log(str(AWS_CALL_LOG))
    if not any(record.get("function") for record in records):
        pytest.skip("no function made an AWS call in this session: run it with tests/component and tests/integration")
    result = audit(model, records)
    unused = result.unused(model)
    report = {
        "calls": result.calls,
        "by_function": {
            function: sorted({action for (_, action) in used}) for function, used in sorted(result.used.items())
        },
        "denied": result.denied,
        "unreadable": result.unreadable,
        "unknown_functions": sorted(result.unknown_functions),
        "unused_grants": [{**grant, "justification": UNUSED_GRANTS.get(_grant_key(grant))} for grant in unused],
        "managed_policies": {name: policy.managed for name, policy in model.functions.items()},
    }
    (ARTIFACTS / "iam-audit.json").write_text(json.dumps(report, indent=2, default=str))
    unjustified = [grant for grant in unused if _grant_key(grant) not in UNUSED_GRANTS]
    if unjustified:
        print("granted but used by no test and not justified in UNUSED_GRANTS (see test-artifacts/iam-audit.json):")
        for grant in unjustified:
            print(f"  {grant['function']} {grant['sid']}: {grant['action']} on {grant['resource']}")
    assert not result.unreadable, result.unreadable
    assert not result.unknown_functions, f"calls attributed to functions the template lacks: {result.unknown_functions}"
    assert not result.denied, "AWS calls the deployed policy would refuse:\n" + "\n".join(
        f"  {d['function']} {d['operation']}: {d['action']} on {d['resource']} (leading keys {d['leading_keys']})"
        for d in result.denied
    )
