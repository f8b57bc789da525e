"""What a Lambda container gives a handler: a context object and the handler loaded by its dotted name."""

from __future__ import annotations

import importlib
import os
import time
import uuid
from dataclasses import dataclass, field

from local_stack import aws_calls


@dataclass
class LambdaContext:
    function_name: str
    timeout_seconds: int = 30
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    function_version: str = "$LATEST"
    _deadline: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def load_handler(dotted: str, function_name: str | None = None):
    """The handler at ``dotted``; ``function_name`` is its template logical id (several share one process)."""
    module_name, _, attribute = dotted.rpartition(".")
    recording = bool(os.environ.get(aws_calls.LOG_ENV))  # the least-privilege test records the function's calls
    if recording:
        aws_calls.install_from_environment()  # before the import: clients made at import are hooked too
    handler = getattr(importlib.import_module(module_name), attribute)
    if recording:
        handler = aws_calls.wrap_handler(handler, function_name or os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or dotted)
    return handler
