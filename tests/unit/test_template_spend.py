"""Spend control in template.yaml: the budget parameters reach the functions, and the jobs queue keeps a message
only as long as its job may run."""

from __future__ import annotations

from local_stack.template import load_template


def test_spend_parameters_reach_every_function_with_safe_defaults():
    template = load_template()
    parameters = template["Parameters"]
    env = template["Globals"]["Function"]["Environment"]["Variables"]
    for variable, parameter, default in (
        ("PAID_DAILY_BUDGET_USD", "PaidDailyBudgetUsd", 1),
        ("PAID_FOR_ANONYMOUS", "PaidForAnonymous", "false"),
        ("PAID_FALLBACK", "PaidFallback", "false"),
        ("JOB_DEADLINE_SECONDS", "JobDeadlineSeconds", 1800),
    ):
        assert env[variable] == {"Ref": parameter}
        assert parameters[parameter]["Default"] == default


def test_the_jobs_queue_retention_is_the_job_deadline(monkeypatch):
    from social_analytics.settings import get_settings

    template = load_template()
    queue = template["Resources"]["JobsQueue"]["Properties"]
    assert queue["MessageRetentionPeriod"] == {"Ref": "JobDeadlineSeconds"}
    # the settings' own default agrees with the template's, so code run without the template drops the same jobs
    monkeypatch.delenv("JOB_DEADLINE_SECONDS", raising=False)
    get_settings.cache_clear()
    try:
        assert get_settings().job_deadline_seconds == template["Parameters"]["JobDeadlineSeconds"]["Default"]
    finally:
        get_settings.cache_clear()
