"""Property-based bad input from the API's own OpenAPI document (schemathesis): every operation, generated valid and
invalid requests, never a 5xx, and every answer matches the documented status codes and response schemas.

The module's stack has an admin token, sent with every request, so the admin routes are exercised past the token
check. Short run in make test (25 examples per operation), a longer one in make reliability.
"""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from local_stack.stack import LocalStack

ADMIN_TOKEN = "reliability-admin-token-0123456789"
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


@pytest.fixture(scope="module")
def api_stack(tmp_path_factory):
    log = (tmp_path_factory.mktemp("schemathesis") / "local-stack.log").open("w")
    environment = {"PROVIDERS": "simulated", "ADMIN_TOKEN": ADMIN_TOKEN}
    with LocalStack(port=0, log=log, environment=environment, visibility_timeout=10) as stack:
        yield stack
    log.close()


def fuzz(stack, report, max_examples: int) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/api/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 10, [op.label for op in operations]
    failures: list[str] = []
    tried = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @hypothesis.settings(
                max_examples=max_examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # report, do not shrink
                suppress_health_check=list(hypothesis.HealthCheck),
            )
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def run(case) -> None:
                nonlocal tried
                tried += 1
                case.call_and_validate(headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}, checks=CHECKS)

            try:
                run()
            except hypothesis.errors.Unsatisfiable:  # nothing to get wrong: an operation without parameters or body
                assert mode == GenerationMode.NEGATIVE, operation.label
            except Exception as error:  # one failure per operation and mode is enough to report
                failures.append(f"{operation.label} ({mode}): {str(error)[:1500]}")
    report("bad inputs tried", "schemathesis requests", tried)
    assert not failures, "\n\n".join(failures)


def test_every_operation_answers_as_documented(api_stack, report):
    fuzz(api_stack, report, max_examples=25)


@pytest.mark.slow
def test_every_operation_answers_as_documented_at_length(api_stack, report):
    fuzz(api_stack, report, max_examples=200)
