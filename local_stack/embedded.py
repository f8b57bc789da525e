"""The whole local stack in one process: the default for ``make run`` (fast and small).

moto runs in this process (``mock_aws``: boto3 calls never leave it, no HTTP, no serialization through a server), and
the template's functions run as threads: the HTTP front (API events), one SQS poller per SQS event (woken the moment
a message is sent instead of long-polling), and one scheduler per ``ScheduleV2`` event. State is snapshotted to
``data_dir`` (``local_stack.persistence``) and moto is also served on a loopback port behind a per-run secret
(``local_stack.aws_guard``) for tests and tools. ``LocalStack(mode="processes")`` keeps one process per function
container instead (the reliability tests kill workers).

Run as a child of ``LocalStack(mode="embedded")``: ``python -m local_stack.embedded '<json config>'``; prints
``READY <json>`` with the URLs and resource names once serving.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from local_stack.aws_guard import Guard, endpoint_with_secret, moto_app, new_secret, serve
from local_stack.template import REGION, REPO_ROOT, Template

FRONTEND_DIR = REPO_ROOT / "frontend"


class EmbeddedStack:
    def __init__(
        self,
        port: int = 8000,
        data_dir: str | os.PathLike | None = None,
        environment: dict[str, str] | None = None,
        parameters: dict[str, str] | None = None,
        visibility_timeout: int | None = None,
        aws_port: int = 0,
        snapshot_seconds: float = 2.0,
        log=None,
        analysis_processes: int | None = None,
    ) -> None:
        self.port = port
        self.data_dir = Path(data_dir) if data_dir else None
        self.environment = environment or {}
        self.parameters = parameters or {}
        self.visibility_timeout = visibility_timeout
        self.aws_port = aws_port
        self.snapshot_seconds = snapshot_seconds
        self.log = log or (lambda line: print(line, flush=True))
        self.stopped = threading.Event()
        self.threads: list[threading.Thread] = []
        self.restored: dict | None = None
        self.schedules: list[str] = []
        self.base_url = ""
        self.aws_endpoint = ""
        self._snapshots = None
        self._servers: list = []
        # The analysis pass in a second process (local_stack.analysis_pool): the stack's process then has a core
        # for the API, the storage and the queue, the pass has the other.
        if analysis_processes is None:
            analysis_processes = int(os.environ.get("LOCAL_ANALYSIS_PROCESSES") or 1)
        self.analysis_processes = max(0, analysis_processes)
        self._analysis_pool = None

    # ------------------------------------------------------------------ start
    def start(self) -> EmbeddedStack:
        from moto import mock_aws

        from local_stack import memory, persistence

        memory.limit_arenas()  # before the stack's threads start
        from local_stack.resources import create_resources
        from local_stack.stack import function_environment, schedule_configs, worker_configs

        secret, secret_key = new_secret(), new_secret()
        guard = Guard(persistence.locked_wsgi(moto_app()), secret, secret_key)
        aws_server = serve(guard, self.aws_port)
        self._servers.append(aws_server)
        plain_endpoint = f"http://127.0.0.1:{aws_server.server_port}"
        self.aws_endpoint = endpoint_with_secret(plain_endpoint, secret)
        os.environ.pop("AWS_ENDPOINT_URL", None)
        os.environ.update(
            {
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": secret_key,  # signs presigned import uploads; the guard checks them
                "AWS_DEFAULT_REGION": REGION,
                "AWS_REGION": REGION,
                # S3 presigned URLs must name a reachable endpoint: this one, intercepted in-process by moto
                "AWS_ENDPOINT_URL_S3": plain_endpoint,
                "MOTO_S3_CUSTOM_ENDPOINTS": plain_endpoint,
            }
        )
        self._mock = mock_aws(config={"core": {"mock_credentials": False}})
        self._mock.start()
        persistence.install_hooks()
        from local_stack import fastpath

        fastpath.install()

        template = Template.load(self.parameters)
        create_resources(template, None, self.visibility_timeout)
        self.template = template
        if self.data_dir:
            self.data_dir = persistence.prepare_data_dir(self.data_dir)
            self.restored = persistence.restore(self.data_dir)
            os.environ.setdefault("ARCHIVE_DIR", str(self.data_dir / "archive"))  # read when ARCHIVE_DAYS is set
            if self.restored:
                self.restored["expired"] = persistence.sweep_expired()
        functions = template.functions()
        aws_environment = {key: os.environ[key] for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
        merged: dict[str, str] = {}
        for spec in functions.values():
            merged.update(function_environment(spec, self.visibility_timeout, self.environment, aws_environment))
        merged.pop("AWS_LAMBDA_FUNCTION_NAME", None)
        os.environ.update(merged)
        # Presigned URLs open only uploads to the imports bucket, within the size limit the API announces.
        guard.upload_bucket = merged.get("IMPORTS_BUCKET") or None
        guard.max_upload_bytes = _import_max_bytes(merged)
        for path in (str(REPO_ROOT / "functions"), str(REPO_ROOT)):
            if path not in sys.path:
                sys.path.insert(0, path)

        from local_stack.quiet import quiet

        quiet()
        if self.analysis_processes:  # from the main thread, which lives as long as the stack
            from social_analytics import composition

            from local_stack.analysis_pool import AnalysisPool

            self._analysis_pool = AnalysisPool(self.analysis_processes)
            composition.use_result_builder(self._analysis_pool)
        self._start_front(functions)
        from local_stack import scheduler, sqs_pump
        from local_stack.runtime import load_handler

        for logical_id, config, _scaling in worker_configs(template, functions):
            waker = persistence.activity.waker(config["queue_url"])
            handler = persistence.owned_by(load_handler(config["handler"], logical_id), logical_id)
            self._thread(
                f"sqs-{logical_id}",
                sqs_pump.run,
                config,
                stopped=self.stopped,
                wake=waker,
                log=self.log,
                handler=handler,
            )
        for logical_id, config in schedule_configs(functions, self.environment):
            self.schedules.append(logical_id)
            handler = persistence.owned_by(load_handler(config["handler"], logical_id), logical_id)
            self._thread(f"schedule-{logical_id}", scheduler.run, config, self.stopped, self.log, handler)
        self._thread("ttl", persistence.sweep_forever, self.stopped)
        self._thread("trim", trim_after_activity, self.stopped)
        if self.data_dir:
            self._snapshots = persistence.Snapshotter(self.data_dir, self.snapshot_seconds).start()
        return self

    def _thread(self, name: str, target, *args, **kwargs) -> None:
        thread = threading.Thread(target=target, args=args, kwargs=kwargs, name=name, daemon=True)
        self.threads.append(thread)
        thread.start()

    def _start_front(self, functions) -> None:
        from local_stack.api_front import make_server
        from local_stack.persistence import owned_by
        from local_stack.runtime import load_handler
        from local_stack.stack import functions_with

        api = functions_with(functions, "Api")
        if not api:
            raise RuntimeError("template.yaml has no function with an Api event")
        logical_id = api[0][0]
        handler = owned_by(load_handler(functions[logical_id].handler, logical_id), logical_id)
        server = make_server(handler, self.port, FRONTEND_DIR, logical_id)
        self._servers.append(server)
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread("front", server.serve_forever, 0.2)
        aws_server = self._servers[0]
        self._thread("aws", aws_server.serve_forever, 0.2)

    # ------------------------------------------------------------------ stop
    def stop(self) -> None:
        self.stopped.set()
        for server in self._servers:
            server.shutdown()
        deadline = time.monotonic() + 10
        for thread in self.threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        if self._snapshots is not None:
            self._snapshots.stop()
        for server in self._servers:
            server.server_close()
        if self._analysis_pool is not None:
            self._analysis_pool.close()

    def description(self) -> dict:
        return {
            "base_url": self.base_url,
            "aws_endpoint": self.aws_endpoint,
            "physical_names": self.template.physical_names,
            "attributes": [[k[0], k[1], v] for k, v in self.template.attributes.items()],
            "schedules": self.schedules,
            "restored": self.restored,
            "pid": os.getpid(),
            "analysis_pids": self._analysis_pool.pids() if self._analysis_pool else [],
        }


def trim_after_activity(stopped: threading.Event, interval: float = 0.5) -> None:
    """Hand freed memory back once a busy spell is over (``local_stack.memory``): when the storage has been quiet
    for an interval after changing, never in the middle of a burst (a trim holds the allocator's lock)."""
    from local_stack.memory import trim
    from local_stack.persistence import activity

    seen = trimmed = activity.changes
    while not stopped.wait(interval):
        changes = activity.changes
        if changes == seen and changes != trimmed:
            trim()
            trimmed = changes
        seen = changes


def sources_line() -> str:
    """Which providers the worker will use, from the same settings it reads (no secret values)."""
    try:
        from social_analytics.analyses.sources.credentials import load_provider_config

        config = load_provider_config()
        order = ", ".join(config.providers) if config.providers else "default order"
        configured = ", ".join(config.credentials.configured()) or "none"
        return f"sources: {order} (credentials configured: {configured})"
    except Exception as error:  # the banner must not stop the stack
        return f"sources: unknown ({type(error).__name__})"


def sources_summary(base_url: str, timeout: float = 5.0) -> str:
    """``GET /api/sources`` of the running stack as the banner's lines: the same report the route and the dashboard's
    Source health view give (configured, what it covers, status and last failure's public reason)."""
    import urllib.request

    from social_analytics.analyses.sources.health import summary_lines

    try:
        with urllib.request.urlopen(base_url.rstrip("/") + "/api/sources", timeout=timeout) as answer:  # noqa: S310
            body = json.loads(answer.read())
        lines = summary_lines(body)
    except Exception as error:  # the banner must not stop the stack
        return f"  source health: unavailable ({type(error).__name__})\n"
    header = f"  source health (GET /api/sources, {body['day']} UTC):\n"
    return header + "".join(f"    {line}\n" for line in lines)


def channels_line() -> str:
    """The delivery channels (masked targets, as the API shows them) and whether loopback receivers are allowed."""
    try:
        from social_analytics.delivery import channels
        from social_analytics.settings import get_delivery_settings

        found = channels.list_all()
        shown = ", ".join(f"{c['name']} ({c['type']} {c['target']})" for c in found[:5])
        more = f" and {len(found) - 5} more" if len(found) > 5 else ""
        loopback = "loopback receivers allowed" if get_delivery_settings().allow_loopback else "https only"
        return f"channels: {shown + more if found else 'none (POST /api/channels)'}; {loopback}"
    except Exception as error:  # the banner must not stop the stack
        return f"channels: unknown ({type(error).__name__})"


def _import_max_bytes(environment: dict[str, str]) -> int:
    from social_analytics.settings import DEFAULT_IMPORT_MAX_BYTES

    value = environment.get("IMPORT_MAX_BYTES") or os.environ.get("IMPORT_MAX_BYTES") or ""
    return int(value) if value.isdigit() else DEFAULT_IMPORT_MAX_BYTES


def main() -> None:
    config = json.loads(sys.argv[1])
    stack = EmbeddedStack(
        port=int(config.get("port", 0)),
        data_dir=config.get("data_dir"),
        environment=config.get("environment") or {},
        parameters=config.get("parameters") or {},
        visibility_timeout=config.get("visibility_timeout"),
    )
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stack.start()
    # One write: the schedule threads print too, and print() writes the text and its newline separately.
    sys.stdout.write("\nREADY " + json.dumps(stack.description()) + "\n")
    sys.stdout.flush()
    stopped.wait()
    stack.stop()


if __name__ == "__main__":
    main()
