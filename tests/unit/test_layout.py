"""The package layout's rules, checked on the source: no import cycle between modules (function-local imports
included: they must not be a way around one), storage imports no feature, boto3 only in storage/."""

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


def runtime_imports(tree: ast.AST):
    """Every import statement that runs, at module level or in a function; not those under ``if TYPE_CHECKING``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING":
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from runtime_imports(node)


def imports_of_package() -> dict[str, set[str]]:
    """Each module's imports of other modules of the package."""
    modules = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in runtime_imports(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("social_analytics"):
                for alias in node.names:
                    child = f"{node.module}.{alias.name}"
                    found.add(child if child in modules else node.module)
            elif isinstance(node, ast.Import):
                found |= {alias.name for alias in node.names if alias.name.startswith("social_analytics")}
        graph[name] = {dep for dep in found if dep in modules and dep != name}
    return graph


def test_no_import_cycle():
    graph = imports_of_package()
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
    assert len(graph) > 40 and cycles == []


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


def test_the_api_starts_without_the_provider_clients_or_the_scoring():
    """The API function's cold start loads neither httpx (the adapters) nor VADER (the analysis)."""
    code = (
        "import sys; import social_analytics.handlers.api; "
        "print(sorted(m for m in ('httpx', 'vaderSentiment', 'py3langid', 'duckdb') if m in sys.modules))"
    )
    env = {**os.environ, "PYTHONPATH": f"{PACKAGE.parent}{os.pathsep}{PACKAGE.parent.parent}"}
    loaded = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
