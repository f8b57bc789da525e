"""The package layout's rules, checked on the source: no import cycle between any two modules of the package
(function-local and type-checking-only imports included: neither may be a way around one), storage imports no
feature, boto3 only in storage/, and what each function's cold start leaves out."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "functions" / "social_analytics"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_type_checking(node: ast.AST) -> bool:
    test = getattr(node, "test", None)
    return isinstance(node, ast.If) and "TYPE_CHECKING" in (getattr(test, "id", None), getattr(test, "attr", None))


def runtime_imports(tree: ast.AST, type_only_too: bool = False):
    """Every import statement that runs, at module level or in a function; those under ``if TYPE_CHECKING`` too
    when ``type_only_too``."""
    for node in ast.iter_child_nodes(tree):
        if is_type_checking(node) and not type_only_too:
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from runtime_imports(node, type_only_too)


def imports_of_package(type_only_too: bool = False) -> dict[str, set[str]]:
    """Each module's imports of other modules of the package (relative imports resolved)."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in runtime_imports(ast.parse(path.read_text()), type_only_too):
            if isinstance(node, ast.ImportFrom) and node.level:  # from . import x, from ..y import z
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                node = ast.ImportFrom(module=".".join(filter(None, (base, node.module))), names=node.names, level=0)
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("social_analytics"):
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    found.add(child if child in modules else node.module)
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.startswith("social_analytics")}
        graph[name] = {dep for dep in found if dep in modules and dep != name}
    return graph


def test_no_import_cycle():
    """Over every module of the package, counting every import (type-checking-only ones too)."""
    graph = imports_of_package(type_only_too=True)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for dep in sorted(graph[module]):
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, path)
        path.pop()
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])
    assert len(graph) == len(list(PACKAGE.rglob("*.py"))) and cycles == []


# The one storage -> feature import left: the session store rebuilds a BlueskySession (the storage seam, with
# typed models outside the provider package, is the next step).
KNOWN_BACK_EDGES: dict[str, list[str]] = {}


def test_storage_imports_no_feature():
    features = ("analyses", "tracking", "imports", "scoring", "api", "handlers")
    back = {
        module: sorted(dep for dep in deps if dep.split(".")[1] in features)
        for module, deps in imports_of_package().items()
        if module.startswith("social_analytics.storage")
    }
    assert {module: deps for module, deps in back.items() if deps} == KNOWN_BACK_EDGES


def test_untrusted_xml_is_parsed_only_through_defusedxml():
    """No stdlib (or lxml) XML parser is imported at run time anywhere: feeds go through defusedxml (a type
    import under ``if TYPE_CHECKING`` is fine)."""
    parsers = ("xml.etree", "xml.dom", "xml.sax", "xml.parsers", "lxml", "feedparser")
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in runtime_imports(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found += [f"{path.relative_to(PACKAGE)}: {n}" for n in names if n.startswith(parsers)]
    assert found == []


def test_boto3_only_in_storage():
    outside = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.parent.name != "storage"
        and any(
            isinstance(node, ast.Import | ast.ImportFrom)
            and any(
                (getattr(node, "module", None) or alias.name).split(".")[0] in ("boto3", "botocore")
                for alias in node.names
            )
            for node in ast.walk(ast.parse(path.read_text()))
        )
    ]
    assert outside == []


def test_ssm_only_in_storage():
    """Powertools' parameters utility (SSM) is read only through storage/parameters.py."""

    def names(node) -> list[str]:
        if isinstance(node, ast.ImportFrom):
            return [f"{node.module}.{alias.name}" for alias in node.names]
        return [alias.name for alias in node.names] if isinstance(node, ast.Import) else []

    outside = [
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.parent.name != "storage"
        and any(
            name.startswith("aws_lambda_powertools.utilities.parameters")
            for node in ast.walk(ast.parse(path.read_text()))
            for name in names(node)
        )
    ]
    assert outside == []


def test_environment_read_only_in_settings():
    """``os.environ``/``os.getenv`` (and ``from os import environ``) appear in settings.py alone."""
    readers = []
    for path in PACKAGE.rglob("*.py"):
        if path.relative_to(PACKAGE).as_posix() == "settings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            reads = (isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb")) or (
                isinstance(node, ast.ImportFrom)
                and node.module == "os"
                and any(alias.name in ("environ", "getenv", "environb") for alias in node.names)
            )
            if reads:
                readers.append(str(path.relative_to(PACKAGE)))
    assert readers == []


# The stores the service code uses come from the composition module (analyses.ports, tracking.ports), never
# straight from storage.
SERVICE_MODULES = (
    "social_analytics.analyses.submit",
    "social_analytics.analyses.run",
    "social_analytics.analyses.compare",
    "social_analytics.analyses.deletion",
    "social_analytics.analyses.gather",
    "social_analytics.analyses.sources.spend",
    "social_analytics.api.views",
    "social_analytics.imports.uploads",
    "social_analytics.tracking.scans",
    "social_analytics.tracking.stream",
    "social_analytics.tracking.stream_alerts",
    "social_analytics.tracking.stream_views",
    "social_analytics.delivery.channels",
    "social_analytics.delivery.messages",
    "social_analytics.delivery.run",
    "social_analytics.delivery.digest",
)
WIRED_STORES = (
    "social_analytics.storage.jobs",
    "social_analytics.storage.queue",
    "social_analytics.storage.metrics",
    "social_analytics.storage.posts",
    "social_analytics.storage.cursors",
    "social_analytics.storage.imports",
    "social_analytics.storage.spend",
    "social_analytics.storage.purge",
    "social_analytics.storage.stream",
    "social_analytics.storage.tracked",
    "social_analytics.storage.history",
    "social_analytics.storage.alerts",
    "social_analytics.storage.events",
    "social_analytics.storage.channels",
    "social_analytics.storage.delivery_queue",
    "social_analytics.storage.email",
)


def test_service_code_gets_its_stores_from_the_composition_module():
    graph = imports_of_package()
    direct = {module: sorted(set(graph[module]) & set(WIRED_STORES)) for module in SERVICE_MODULES}
    assert {module: deps for module, deps in direct.items() if deps} == {}
    assert all("social_analytics.composition" in graph[module] for module in SERVICE_MODULES)


def test_the_archive_reaches_its_files_through_the_composition_module_only():
    """archive/ is the domain (records, compaction policy, query plan): no boto3, no storage module directly."""
    graph = imports_of_package()
    archive = [m for m in graph if m.startswith("social_analytics.archive")]
    assert len(archive) >= 5
    direct = {m: sorted(d for d in graph[m] if d.startswith("social_analytics.storage")) for m in archive}
    assert {m: deps for m, deps in direct.items() if deps} == {}


def test_only_the_composition_module_holds_per_container_singletons_of_the_analysis():
    """No module but composition.py creates the hot cache, the circuit breaker or the session managers."""
    made = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "composition.py":
            continue
        for node in ast.parse(path.read_text()).body:  # module level only: a singleton, not a local
            if isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Call):
                called = getattr(node.value.func, "id", getattr(node.value.func, "attr", ""))
                if called in ("HotResults", "CircuitBreaker", "BlueskySessionManager", "DynamoSessionStore"):
                    made.append(f"{path.relative_to(PACKAGE)}: {called}")
    assert made == []


def loaded_at_import(module: str, candidates: tuple[str, ...], **environment: str) -> list[str]:
    """Which of ``candidates`` importing ``module`` loads, in a fresh interpreter (tracing off, as in tests)."""
    code = f"import sys; import {module}; print(sorted(m for m in {candidates!r} if m in sys.modules))"
    env = {
        **os.environ,
        "POWERTOOLS_TRACE_DISABLED": "true",
        **environment,
        "PYTHONPATH": f"{PACKAGE.parent}{os.pathsep}{PACKAGE.parent.parent}",
    }
    loaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return ast.literal_eval(loaded.stdout.strip())


# Imported where first needed, not at a cold start (docs/PERFORMANCE.md, "Cold starts"):
# - aws_xray_sdk.core: only when tracing is on (observability.NoTracing otherwise);
# - boto3, botocore's client machinery and s3transfer: with the first AWS client (storage/clients.py, storage/aws.py);
# - httpx and the provider adapters: with the first live job (analyses/gather.py);
# - VADER and py3langid: with the first analysis (scoring/);
# - Powertools' OpenAPI models: with the first GET /api/openapi.json (api/app.py).
# And pydantic-settings not at all (settings.py reads the environment into plain pydantic models).
LAZY = (
    "aws_xray_sdk.core",
    "boto3",
    "botocore.client",
    "s3transfer",
    "httpx",
    "vaderSentiment",
    "py3langid",
    "pydantic_settings",
)
OPENAPI_MODELS = "aws_lambda_powertools.event_handler.openapi.models"


def test_the_api_starts_without_the_provider_clients_or_the_scoring():
    """The API function's cold start loads neither httpx (the adapters) nor VADER (the analysis), nor X-Ray, boto3
    or the OpenAPI document's models."""
    assert loaded_at_import("social_analytics.handlers.api", (*LAZY, OPENAPI_MODELS, "duckdb")) == []


def test_no_function_loads_xray_boto3_or_httpx_at_its_cold_start():
    for handler in ("worker", "stream", "scheduler", "imports"):
        assert loaded_at_import(f"social_analytics.handlers.{handler}", (*LAZY, "duckdb")) == [], handler


def test_tracing_on_loads_xray():
    """The other side of the lazy X-Ray: in Lambda with tracing on, the Tracer is Powertools' X-Ray one."""
    code = (
        "from social_analytics.observability import tracer; import sys; "
        "print(type(tracer.provider).__module__.split('.')[0], 'aws_xray_sdk.core' in sys.modules)"
    )
    env = {
        **os.environ,
        "POWERTOOLS_TRACE_DISABLED": "false",
        "LAMBDA_TASK_ROOT": str(PACKAGE.parent),
        "PYTHONPATH": f"{PACKAGE.parent}{os.pathsep}{PACKAGE.parent.parent}",
    }
    found = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert found.stdout.split() == ["aws_xray_sdk", "True"]


def test_the_delivery_handler_only_unpacks_records_and_the_pure_delivery_modules_do_no_io():
    """handlers/delivery.py calls delivery.run with each record's body, receive count and receipt; the guard, the
    signatures and the formats import neither composition nor storage (pure, testable alone)."""
    graph = imports_of_package()
    assert graph["social_analytics.handlers.delivery"] <= {
        "social_analytics.delivery.run",
        "social_analytics.observability",
    }
    for module in ("guard", "signing", "formats"):
        deps = graph[f"social_analytics.delivery.{module}"]
        assert not any(d == "social_analytics.composition" or d.startswith("social_analytics.storage") for d in deps)


def test_the_query_language_is_pure():
    """social_analytics.query (parser, canonical key, matcher) imports no third-party package and, of the package,
    only the key rules (keywords) and normalize_keyword (models): the API, the worker, the stream and the archive
    all use it, and none of them may drag the others in."""
    allowed = {"social_analytics.keywords", "social_analytics.models"}
    found: dict[str, list[str]] = {}
    for path in (PACKAGE / "query").rglob("*.py"):
        for node in runtime_imports(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                top = name.split(".")[0]
                inside = name.startswith("social_analytics.query") or name in allowed
                stdlib = top in sys.stdlib_module_names or top == "__future__"
                if not inside and not stdlib:
                    found.setdefault(path.name, []).append(name)
    assert found == {}


def test_the_query_translation_and_the_post_check_do_no_io():
    """What each source is asked (sources/translate.py) and the check of every post (sources/checking.py) are pure:
    no HTTP client, no storage; the adapters run the requests."""
    graph = imports_of_package()
    for module in ("social_analytics.analyses.sources.translate", "social_analytics.analyses.sources.checking"):
        deps = graph[module]
        assert not any(
            dep.startswith(("social_analytics.storage", "social_analytics.analyses.sources._http")) for dep in deps
        )
        source = (PACKAGE / "analyses" / "sources" / f"{module.rsplit('.', 1)[1]}.py").read_text()
        assert "import httpx" not in source and "boto3" not in source
