"""The settings model is the one reader of the environment: it matches template.yaml both ways, keeps its
defaults, treats blank values as unset, and names the variable when a value is malformed."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from social_analytics import settings

from local_stack.template import load_template

LAMBDA_OWNED_PREFIXES = ("POWERTOOLS_", "AWS_")


def _template_variables() -> set[str]:
    template = load_template()
    names = set(template["Globals"]["Function"].get("Environment", {}).get("Variables", {}))
    for resource in template["Resources"].values():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        environment = (resource.get("Properties") or {}).get("Environment") or {}
        names |= set(environment.get("Variables") or {})
    return {name for name in names if not name.startswith(LAMBDA_OWNED_PREFIXES)}


def test_every_template_variable_is_a_settings_field():
    missing = _template_variables() - settings.environment_variables()
    assert not missing, f"set in template.yaml but read by no settings field: {sorted(missing)}"


def test_every_settings_field_is_set_in_the_template_or_documented_as_local():
    unexplained = (
        settings.environment_variables()
        - _template_variables()
        - settings.LOCAL_ONLY_VARIABLES
        - settings.RUNTIME_VARIABLES
    )
    assert not unexplained, f"read from the environment but neither in template.yaml nor local-only: {unexplained}"
    # the local-only list names real fields, and none of them is also in the template
    assert settings.environment_variables() >= settings.LOCAL_ONLY_VARIABLES
    assert not settings.LOCAL_ONLY_VARIABLES & _template_variables()


def test_only_the_settings_module_reads_the_environment():
    package = Path(settings.__file__).parent
    readers = [
        str(path.relative_to(package))
        for path in package.rglob("*.py")
        if path.name != "settings.py" and re.search(r"os\.(environ|getenv)|getenv\(", path.read_text())
    ]
    assert readers == []


def _clear_all(monkeypatch):
    for name in settings.environment_variables():
        monkeypatch.delenv(name, raising=False)
    settings.reset()


def test_defaults(monkeypatch):
    _clear_all(monkeypatch)
    core = settings.get_settings()
    assert (core.table_name, core.sessions_table_name) == ("social-analytics", "social-analytics-sessions")
    assert (core.origin_secret_param, core.jobs_queue_url) == ("", "")
    assert (core.cache_ttl_seconds, core.hot_cache_seconds, core.result_ttl_seconds) == (900, 5.0, 30 * 86400)
    assert (core.job_deadline_seconds, core.job_ttl_seconds, core.max_receive_count) == (1800, 7 * 86400, 3)
    assert (core.job_lease_seconds, core.fetch_budget_seconds, core.metrics_flush_seconds) == (30.0, 20.0, 0.25)
    assert (core.default_window_hours, core.circuit_reset_seconds) == (24, 60.0)
    assert (core.paid_daily_budget_usd, core.paid_for_anonymous, core.paid_fallback) == (1.0, False, False)
    stream = settings.get_stream_settings()
    assert stream.enabled is True
    assert stream.jetstream_url == settings.DEFAULT_JETSTREAM_URL
    assert (stream.budget_seconds, stream.max_reconnects, stream.seen_ttl_seconds) == (45.0, 5, 3 * 86400)
    tracking = settings.get_tracking_settings()
    assert (tracking.history_ttl_seconds, tracking.max_tracked, tracking.minute_seconds) == (90 * 86400, 200, 60.0)
    assert settings.get_import_settings().max_bytes == 20 * 1024 * 1024
    assert settings.get_admin_settings().admin_token is None
    assert settings.get_provider_settings().mastodon_trends is True


def test_environment_values_blank_values_and_secrets(monkeypatch):
    _clear_all(monkeypatch)
    monkeypatch.setenv("CACHE_TTL_SECONDS", "60")
    monkeypatch.setenv("TABLE_NAME", "   ")  # blank: the default, as before
    monkeypatch.setenv("STREAM_ENABLED", "off")
    monkeypatch.setenv("STREAM_MAX_RECONNECTS", "9")
    monkeypatch.setenv("PAID_DAILY_BUDGET_USD", "-3")  # clamped to "no paid calls"
    monkeypatch.setenv("X_BEARER_TOKEN", "top-secret")
    settings.reset()
    assert settings.get_settings().cache_ttl_seconds == 60
    assert settings.get_settings().table_name == "social-analytics"
    assert settings.get_settings().paid_daily_budget_usd == 0.0
    assert settings.get_stream_settings().enabled is False
    assert settings.get_stream_settings().max_reconnects == 9
    providers = settings.get_provider_settings()
    assert providers.secret("X_BEARER_TOKEN") == "top-secret"
    assert "top-secret" not in repr(providers) and "top-secret" not in str(providers)


def test_read_once_until_reset(monkeypatch):
    _clear_all(monkeypatch)
    first = settings.get_settings()
    monkeypatch.setenv("CACHE_TTL_SECONDS", "61")
    assert settings.get_settings() is first
    settings.get_settings.cache_clear()
    assert settings.get_settings().cache_ttl_seconds == 61


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CACHE_TTL_SECONDS", "fifteen"), ("STREAM_MAX_RECONNECTS", "5.5x"), ("MAX_TRACKED_KEYWORDS", "lots")],
)
def test_a_malformed_number_fails_at_validation_naming_the_variable(monkeypatch, variable, value):
    _clear_all(monkeypatch)
    monkeypatch.setenv(variable, value)
    settings.reset()
    with pytest.raises(settings.ConfigurationError) as raised:
        settings.validate_environment()
    assert variable in str(raised.value)
    assert value in str(raised.value)
    settings.reset()


def test_an_injected_mapping_ignores_the_environment(monkeypatch):
    monkeypatch.setenv("PROVIDERS", "simulated")
    monkeypatch.setenv("X_BEARER_TOKEN", "from-env")
    config = settings.ProviderSettings.from_mapping({"MASTODON_TRENDS": "false", "LEMMY_INSTANCES": " "})
    assert (config.providers, config.x_bearer_token, config.mastodon_trends) == ("", None, False)


def test_a_cold_start_with_a_malformed_number_fails_naming_it():
    import os
    import sys

    package_root = str(Path(settings.__file__).parent.parent)
    env = {**os.environ, "JOB_LEASE_SECONDS": "thirty", "PYTHONPATH": package_root}
    code = "import social_analytics.handlers.api"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False)
    assert run.returncode != 0
    assert "ConfigurationError" in run.stderr and "JOB_LEASE_SECONDS='thirty'" in run.stderr
