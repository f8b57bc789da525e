"""The local stack: moto's AWS server on 127.0.0.1, the template's resources, and one child process per
function "container" (the API front and the SQS-driven workers), restarted if they die, as Lambda would."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from local_stack.aws_guard import endpoint_with_secret, new_secret
from local_stack.resources import create_resources
from local_stack.template import REGION, REPO_ROOT, FunctionSpec, Template

FRONTEND_DIR = REPO_ROOT / "frontend"
FUNCTIONS_DIR = REPO_ROOT / "functions"
# The env var that overrides a scheduled function's rate locally (seconds); SCAN_INTERVAL_SECONDS for the others.
SCHEDULE_INTERVAL_ENV = {"StreamFunction": "STREAM_INTERVAL_SECONDS"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Child:
    name: str
    command: list[str]
    environment: dict[str, str]
    process: subprocess.Popen | None = None
    ready: threading.Event = field(default_factory=threading.Event)
    ready_line: str = ""
    restarts: int = 0


class LocalStack:
    """Start with ``with LocalStack(port=0) as stack: ...``; ``stack.base_url`` serves the dashboard and /api.

    ``mode="embedded"`` (default): one child process runs moto in-process and every function as a thread
    (``local_stack.embedded``; ``data_dir`` makes its state durable). ``mode="processes"``: moto's server and one child
    per function container, restarted when they die (the reliability tests kill workers)."""

    def __init__(
        self,
        port: int = 8000,
        environment: dict[str, str] | None = None,
        parameters: dict[str, str] | None = None,
        worker_processes: int | None = None,
        log: IO[str] | None = None,
        visibility_timeout: int | None = None,
        mode: str | None = None,
        data_dir: str | os.PathLike | None = None,
    ) -> None:
        self.mode = mode or os.environ.get("LOCAL_STACK_MODE") or "embedded"
        if self.mode not in ("embedded", "processes"):
            raise ValueError(f"mode must be embedded or processes, not {self.mode!r}")
        self.data_dir = data_dir
        self.parameters = parameters or {}
        self.schedules: list[str] = []
        self.visibility_timeout = visibility_timeout
        self.port = port
        self.environment = environment or {}
        self.template = Template.load(parameters)
        self.worker_processes = worker_processes
        self.log = log or sys.stdout
        self.children: list[Child] = []
        self._stopping = threading.Event()
        self._moto: subprocess.Popen | None = None
        self.aws_endpoint = ""
        self.base_url = ""

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> LocalStack:
        if self.mode == "embedded":
            return self._start_embedded()
        moto_port = int(os.environ.get("MOTO_PORT") or free_port())
        # moto's server in a process of its own: its state is per process, so each stack gets a fresh AWS,
        # and it serves requests without competing for this process's GIL. Loopback only, behind the run's secret.
        self._aws_secret, self._aws_secret_key = new_secret(), new_secret()
        self._moto = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "local_stack.aws_server", str(moto_port)],
            env={
                **os.environ,
                "LOCAL_AWS_SECRET": self._aws_secret,
                "AWS_SECRET_ACCESS_KEY": self._aws_secret_key,
                "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(REPO_ROOT)]),
            },
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.aws_endpoint = endpoint_with_secret(f"http://127.0.0.1:{moto_port}", self._aws_secret)
        if not wait_until(self._moto_ready, timeout=30, interval=0.1):
            self.stop()
            raise RuntimeError(f"moto's server did not start on port {moto_port}")
        create_resources(self.template, self.aws_endpoint, self.visibility_timeout)
        self.functions = self.template.functions()
        try:
            self._start_api()
            self._start_workers()
            self._start_extra_children()
            for child in self.children:
                if not child.ready.wait(timeout=60):
                    raise RuntimeError(f"{child.name} did not start; see the log above")
        except Exception:
            self.stop()
            raise
        threading.Thread(target=self._supervise, name="supervisor", daemon=True).start()
        return self

    def _start_embedded(self) -> LocalStack:
        config = {
            "port": self.port,
            "data_dir": str(self.data_dir) if self.data_dir else None,
            "environment": self.environment,
            "parameters": self.parameters,
            "visibility_timeout": self.visibility_timeout,
        }
        environment = {
            **os.environ,
            **self.environment,
            "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(REPO_ROOT)]),
            "PYTHONUNBUFFERED": "1",
        }
        child = self._add("stack", [sys.executable, "-m", "local_stack.embedded", json.dumps(config)], environment)
        if not child.ready.wait(timeout=60):
            self.stop()
            raise RuntimeError("the local stack did not start; see the log above")
        described = json.loads(child.ready_line.split(" ", 1)[1])
        self.base_url, self.aws_endpoint = described["base_url"], described["aws_endpoint"]
        self.template.physical_names.update(described["physical_names"])
        for logical_id, attribute, value in described["attributes"]:
            self.template.attributes[(logical_id, attribute)] = value
        self.schedules = described["schedules"]
        self.restored = described["restored"]
        self.functions = self.template.functions()
        # a restart keeps the same front port (the AWS endpoint's port and secret are new)
        config["port"] = int(self.base_url.rsplit(":", 1)[1])
        child.command[-1] = json.dumps(config)
        threading.Thread(target=self._supervise, name="supervisor", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for child in self.children:
            if child.process and child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
        for child in self.children:
            if child.process:
                try:
                    child.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.process.kill()
                    child.process.wait()
        if self._moto:
            self._moto.terminate()
            try:
                self._moto.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._moto.kill()
                self._moto.wait()
            self._moto = None

    def _moto_ready(self) -> bool:
        if self._moto is not None and self._moto.poll() is not None:
            raise RuntimeError(f"moto's server exited with {self._moto.returncode}")
        try:
            with urllib.request.urlopen(f"{self.aws_endpoint}/moto-api/", timeout=1):  # noqa: S310 - loopback
                return True
        except OSError:
            return False

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(self, *_exc) -> None:
        self.stop()

    # ------------------------------------------------------------------ environment
    def aws_environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": getattr(self, "_aws_secret_key", "local"),
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
        }

    def function_environment(self, logical_id: str) -> dict[str, str]:
        """The function's template environment, then the caller's overrides, then the local AWS endpoint."""
        return function_environment(
            self.functions[logical_id], self.visibility_timeout, self.environment, self.aws_environment()
        )

    def _functions_with(self, event_type: str) -> list[tuple[str, dict]]:
        return functions_with(self.functions, event_type)

    # ------------------------------------------------------------------ children
    def _spawn(self, child: Child) -> None:
        child.ready.clear()
        child.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            child.command,
            env=child.environment,
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        threading.Thread(target=self._pipe_output, args=(child, child.process), daemon=True).start()

    def _pipe_output(self, child: Child, process: subprocess.Popen) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if not child.ready.is_set() and "READY" in line:  # another thread's output may precede it
                child.ready_line = line[line.index("READY") :].strip()
                child.ready.set()
                continue
            try:
                self.log.write(f"[{child.name}] {line}")
                self.log.flush()
            except ValueError:  # the log was closed while we stop
                return

    def _add(self, name: str, command: list[str], environment: dict[str, str]) -> Child:
        child = Child(name=name, command=command, environment=environment)
        self.children.append(child)
        self._spawn(child)
        return child

    def _start_api(self) -> None:
        api = [(logical_id, props) for logical_id, props in self._functions_with("Api")]
        if not api:
            raise RuntimeError("template.yaml has no function with an Api event")
        logical_id = api[0][0]
        child = self._add(
            "api",
            [
                sys.executable,
                "-m",
                "local_stack.api_front",
                self.functions[logical_id].handler,
                str(self.port),
                str(FRONTEND_DIR),
            ],
            self.function_environment(logical_id),
        )
        if not child.ready.wait(timeout=60):
            raise RuntimeError("the API front did not start")
        port = int(child.ready_line.split()[1])
        child.command[4] = str(port)  # a restart keeps the same port
        self.base_url = f"http://127.0.0.1:{port}"

    def _start_workers(self) -> None:
        for logical_id, config, scaling in worker_configs(self.template, self.functions):
            # One container per queue by default: each is a whole Python process (memory), a batch's jobs are
            # fetched concurrently inside it, and one poller fills bigger batches. LOCAL_WORKER_PROCESSES (up to the
            # template's ScalingConfig MaximumConcurrency) adds containers, as Lambda would under load.
            containers = self.worker_processes or min(int(os.environ.get("LOCAL_WORKER_PROCESSES") or 1), scaling)
            for index in range(int(containers)):
                self._add(
                    f"worker-{index}" if logical_id == "WorkerFunction" else f"{logical_id}-{index}",
                    [sys.executable, "-m", "local_stack.sqs_pump", json.dumps(config)],
                    self.function_environment(logical_id),
                )

    def _start_extra_children(self) -> None:
        """Hook for schedules and other event sources added by later features."""
        self._start_schedules()

    def _start_schedules(self) -> None:
        """One ``local_stack.scheduler`` child per ``ScheduleV2`` event (moto does not fire schedules)."""
        for logical_id, config in schedule_configs(self.functions, self.environment):
            self.schedules.append(logical_id)
            self._add(
                f"schedule-{logical_id}",
                [sys.executable, "-m", "local_stack.scheduler", json.dumps(config)],
                self.function_environment(logical_id),
            )

    def _supervise(self) -> None:
        while not self._stopping.wait(0.2):
            for child in self.children:
                if child.process and child.process.poll() is not None and not self._stopping.is_set():
                    child.restarts += 1
                    self.log.write(f"[stack] {child.name} exited ({child.process.returncode}); starting a new one\n")
                    self._spawn(child)

    # ------------------------------------------------------------------ helpers for tests and benches
    def pids(self) -> dict[str, int]:
        """The stack's own live processes (not the caller's): name -> pid."""
        found = {
            child.name: child.process.pid for child in self.children if child.process and child.process.poll() is None
        }
        if self._moto is not None and self._moto.poll() is None:
            found["aws"] = self._moto.pid
        for name, pid in list(found.items()):  # and theirs (the embedded stack's analysis process)
            for index, child in enumerate(child_pids(pid)):
                found[f"{name}-child-{index}"] = child
        return found

    def workers(self) -> list[Child]:
        return [child for child in self.children if child.name.startswith("worker")]

    def kill_worker(self, index: int = 0) -> None:
        child = self.workers()[index]
        assert child.process is not None
        child.process.kill()

    def resource(self, logical_id: str) -> str:
        return self.template.physical_names[logical_id]

    def boto3_client(self, service: str):
        import boto3

        return boto3.session.Session().client(
            service,
            endpoint_url=self.aws_endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto's dummy credentials
        )


def child_pids(pid: int) -> list[int]:
    """The live child processes of ``pid`` (Linux's /proc; none elsewhere)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return sorted(set(found))


def log_level() -> str:
    """Powertools' level for the functions: quiet (warnings) unless ``LOG_LEVEL=debug`` (or another level) asks."""
    wanted = (os.environ.get("LOG_LEVEL") or "").strip().upper()
    return wanted or os.environ.get("POWERTOOLS_LOG_LEVEL") or "WARNING"


def function_environment(
    spec: FunctionSpec, visibility_timeout: int | None, overrides: dict[str, str], aws_environment: dict[str, str]
) -> dict[str, str]:
    """The function's template environment, then the caller's overrides, then the local AWS endpoint."""
    return {
        **os.environ,
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_DISABLED": "false" if log_level() == "DEBUG" else "true",  # EMF lines with the debug logs
        "METRICS_FLUSH_SECONDS": "0.25",
        **spec.environment,
        **{
            key: value
            for key, value in os.environ.items()
            if key in spec.environment and key.isupper() and key not in ("TABLE_NAME", "JOBS_QUEUE_URL")
        },
        "POWERTOOLS_LOG_LEVEL": log_level(),
        # A shortened visibility timeout (tests) shortens the job lease with it: as in the template, a message
        # must not reappear before its attempt's claim on the job runs out.
        **({"JOB_LEASE_SECONDS": str(max(1, min(spec.timeout, visibility_timeout - 1)))} if visibility_timeout else {}),
        **overrides,
        **aws_environment,
        "AWS_LAMBDA_FUNCTION_NAME": spec.logical_id,
        "LAMBDA_TASK_ROOT": str(FUNCTIONS_DIR),
        "PYTHONPATH": os.pathsep.join([str(FUNCTIONS_DIR), str(REPO_ROOT)]),
        "PYTHONUNBUFFERED": "1",
    }


def functions_with(functions: dict[str, FunctionSpec], event_type: str) -> list[tuple[str, dict]]:
    found = []
    for logical_id, spec in functions.items():
        for event in spec.events.values():
            if event["Type"] == event_type:
                found.append((logical_id, event["Properties"]))
    return found


def worker_configs(template: Template, functions: dict[str, FunctionSpec]) -> list[tuple[str, dict, int]]:
    """(logical id, ``sqs_pump`` config, the mapping's MaximumConcurrency) for every SQS event in the template."""
    found = []
    for logical_id, properties in functions_with(functions, "SQS"):
        queue_arn = properties["Queue"]
        queue_name = queue_arn.rsplit(":", 1)[1]
        queue_url = next(url for url in template.physical_names.values() if url.endswith("/" + queue_name))
        config = {
            "handler": functions[logical_id].handler,
            "function_name": logical_id,
            "timeout": functions[logical_id].timeout,
            "queue_url": queue_url,
            "queue_arn": queue_arn,
            "batch_size": int(properties.get("BatchSize", 10)),
            "batching_window_seconds": float(properties.get("MaximumBatchingWindowInSeconds", 0)),
        }
        found.append((logical_id, config, int(properties.get("ScalingConfig", {}).get("MaximumConcurrency", 2))))
    return found


def schedule_configs(functions: dict[str, FunctionSpec], environment: dict[str, str]) -> list[tuple[str, dict]]:
    """(logical id, ``scheduler`` config) for every enabled ``ScheduleV2`` event (moto does not fire schedules)."""
    from local_stack.scheduler import rate_seconds

    override = environment.get("SCAN_INTERVAL_SECONDS") or os.environ.get("SCAN_INTERVAL_SECONDS")
    found = []
    for logical_id, properties in functions_with(functions, "ScheduleV2"):
        if str(properties.get("State", "ENABLED")).upper() == "DISABLED":
            continue
        # a function of its own interval variable (STREAM_INTERVAL_SECONDS, ...) follows it; the others follow
        # SCAN_INTERVAL_SECONDS, else the schedule's rate
        names = [key for key in functions[logical_id].environment if key.endswith("_INTERVAL_SECONDS")]
        names += [SCHEDULE_INTERVAL_ENV[logical_id]] if logical_id in SCHEDULE_INTERVAL_ENV else []
        own = [
            environment.get(key) or os.environ.get(key) or functions[logical_id].environment.get(key)
            for key in dict.fromkeys(names)
            if key != "SCAN_INTERVAL_SECONDS"
        ]
        interval = next((value for value in own if value), None) or override
        config = {
            "handler": functions[logical_id].handler,
            "function_name": logical_id,
            "schedule_name": f"{logical_id}-schedule",
            "timeout": functions[logical_id].timeout,
            "interval_seconds": float(interval) if interval else rate_seconds(properties["ScheduleExpression"]),
            "maximum_retry_attempts": int(properties.get("RetryPolicy", {}).get("MaximumRetryAttempts", 0)),
        }
        found.append((logical_id, config))
    return found


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy or the deadline passes (then return the last value)."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    return value
