"""The deployable template's safety properties, read from template.yaml (no AWS, no SAM CLI).

`make check-template` runs sam validate --lint, cfn-lint, checkov and sam build; these tests pin the decisions
those tools do not check: redrive, timeouts, partial batch responses, OAC, same-origin /api, least privilege,
alarms and their targets.
"""

from __future__ import annotations

import json
import re

import pytest

from local_stack.template import load_template


@pytest.fixture(scope="module")
def template() -> dict:
    return load_template()


@pytest.fixture(scope="module")
def resources(template) -> dict:
    return template["Resources"]


def of_type(resources: dict, resource_type: str) -> dict[str, dict]:
    return {name: spec for name, spec in resources.items() if spec["Type"] == resource_type}


def ref(name: str) -> dict:
    return {"Ref": name}


def walk(value):
    """Every dict inside a template value, depth first."""
    if isinstance(value, dict):
        yield value
        for item in value.values():
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


# ------------------------------------------------------------------ queue, worker, redrive


def test_the_jobs_queue_redrives_to_its_dead_letter_queue(resources):
    queue = resources["JobsQueue"]["Properties"]
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {"Fn::GetAtt": ["JobsDLQ", "Arn"]}
    assert queue["RedrivePolicy"]["maxReceiveCount"] == ref("MaxReceiveCount")
    assert resources["JobsDLQ"]["Properties"]["MessageRetentionPeriod"] == 14 * 86400  # the maximum


def test_the_visibility_timeout_is_at_least_six_worker_timeouts(template, resources):
    worker_timeout = resources["WorkerFunction"]["Properties"]["Timeout"]
    assert worker_timeout == ref("WorkerTimeoutSeconds")
    parameter = template["Parameters"]["WorkerTimeoutSeconds"]
    longest = parameter["MaxValue"]  # the worst a deployer can choose
    assert parameter["Default"] <= longest
    assert resources["JobsQueue"]["Properties"]["VisibilityTimeout"] >= 6 * longest


def test_the_worker_reports_partial_batch_failures_from_the_jobs_queue(resources):
    (event,) = resources["WorkerFunction"]["Properties"]["Events"].values()
    assert event["Type"] == "SQS"
    assert event["Properties"]["Queue"] == {"Fn::GetAtt": ["JobsQueue", "Arn"]}
    assert event["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert event["Properties"]["ScalingConfig"]["MaximumConcurrency"] >= 2  # the SQS event source minimum


def test_every_queue_feeding_a_function_has_a_dead_letter_queue(resources):
    for function in of_type(resources, "AWS::Serverless::Function").values():
        for event in function["Properties"].get("Events", {}).values():
            if event["Type"] == "SQS":
                queue = event["Properties"]["Queue"]["Fn::GetAtt"][0]
                assert "RedrivePolicy" in resources[queue]["Properties"], queue


# ------------------------------------------------------------------ encryption at rest


def test_queues_tables_and_buckets_are_encrypted(resources):
    for name, queue in of_type(resources, "AWS::SQS::Queue").items():
        props = queue["Properties"]
        assert props.get("SqsManagedSseEnabled") is True or "KmsMasterKeyId" in props, name
    for name, table in of_type(resources, "AWS::DynamoDB::Table").items():
        assert table["Properties"]["SSESpecification"]["SSEEnabled"] is True, name
        assert table["Properties"]["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True, name
    buckets = of_type(resources, "AWS::S3::Bucket")
    assert "DashboardBucket" in buckets
    for name, bucket in buckets.items():
        (rule,) = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms"), name
        assert all(bucket["Properties"]["PublicAccessBlockConfiguration"].values()), name


# ------------------------------------------------------------------ dashboard hosting


def test_the_dashboard_bucket_is_private_and_read_only_by_its_distribution(resources):
    bucket = resources["DashboardBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert "WebsiteConfiguration" not in bucket
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]

    policy = resources["DashboardBucketPolicy"]["Properties"]
    assert policy["Bucket"] == ref("DashboardBucket")
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    read = statements["CloudFrontReadsThroughOriginAccessControl"]
    assert read["Effect"] == "Allow"
    assert read["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert read["Action"] == "s3:GetObject"
    source_arn = read["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source_arn.endswith(":distribution/${DashboardDistribution}")
    tls = statements["TlsOnly"]
    assert tls["Effect"] == "Deny"
    assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_cloudfront_reaches_the_bucket_through_origin_access_control(resources):
    oac = resources["DashboardOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == (
        "s3",
        "always",
        "sigv4",
    )
    config = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    dashboard = origins[config["DefaultCacheBehavior"]["TargetOriginId"]]
    assert dashboard["DomainName"] == {"Fn::GetAtt": ["DashboardBucket", "RegionalDomainName"]}
    assert dashboard["OriginAccessControlId"] == {"Fn::GetAtt": ["DashboardOriginAccessControl", "Id"]}
    assert dashboard["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy OAI
    assert config["DefaultRootObject"] == "index.html"


def test_api_is_served_on_the_dashboard_origin_under_slash_api(resources):
    config = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    origins = {origin["Id"]: origin for origin in config["Origins"]}
    (api_behaviour,) = [b for b in config["CacheBehaviors"] if b["PathPattern"] == "/api/*"]
    api_origin = origins[api_behaviour["TargetOriginId"]]
    assert api_origin["DomainName"]["Fn::Sub"].startswith("${Api}.execute-api.")
    assert api_origin["OriginPath"] == {"Fn::Sub": "/${Stage}"}  # /api/x -> /<stage>/api/x
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert set(api_behaviour["AllowedMethods"]) >= {"GET", "POST", "DELETE", "OPTIONS"}
    assert api_behaviour["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    # Forward everything but Host (API Gateway routes on its own host name).
    assert api_behaviour["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    # The API function's proxy route matches the same paths.
    (event,) = resources["ApiFunction"]["Properties"]["Events"].values()
    assert event["Properties"] == {"RestApiId": ref("Api"), "Path": "/api/{proxy+}", "Method": "ANY"}
    assert "Cors" not in resources["Api"]["Properties"]  # one origin: no CORS


def test_every_behaviour_is_tls_only_with_security_headers(resources):
    config = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["ViewerProtocolPolicy"] in ("https-only", "redirect-to-https")
        assert behaviour["ResponseHeadersPolicyId"] == ref("DashboardSecurityHeaders")
    headers = resources["DashboardSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]
    csp = headers["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    for directive in ("default-src 'self'", "script-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True  # X-Content-Type-Options: nosniff


def test_the_header_csp_allows_what_the_page_csp_allows(resources):
    """The dashboard's own <meta> CSP works locally; the CloudFront header must not be stricter."""
    from local_stack.template import REPO_ROOT

    page = (REPO_ROOT / "frontend" / "index.html").read_text()
    meta = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    header = resources["DashboardSecurityHeaders"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    directives = {part.split()[0]: part.split()[1:] for part in header.replace("\n", " ").split(";") if part.strip()}
    for part in meta.split(";"):
        name, *sources = part.split()
        assert directives.get(name) == sources, name


# ------------------------------------------------------------------ API stage


def test_the_api_stage_is_throttled_access_logged_and_traced(template, resources):
    api = resources["Api"]["Properties"]
    assert api["StageName"] == ref("Stage")
    (settings,) = api["MethodSettings"]
    assert (settings["ResourcePath"], settings["HttpMethod"]) == ("/*", "*")
    assert settings["ThrottlingRateLimit"] == ref("ApiThrottlingRateLimit")
    assert settings["ThrottlingBurstLimit"] == ref("ApiThrottlingBurstLimit")
    for name in ("ApiThrottlingRateLimit", "ApiThrottlingBurstLimit"):
        assert template["Parameters"][name]["Type"] == "Number"
    assert api["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    assert json.loads(api["AccessLogSetting"]["Format"].replace("\n", ""))["requestId"] == "$context.requestId"
    assert api["TracingEnabled"] is True
    # Access logging needs the account-level CloudWatch role to exist before the stage.
    assert resources["Api"]["DependsOn"] == "ApiGatewayAccount"


def test_every_function_and_the_api_log_to_a_group_with_retention(resources):
    groups = {
        spec["Properties"]["LogGroupName"]["Fn::Sub"]: spec["Properties"]
        for spec in of_type(resources, "AWS::Logs::LogGroup").values()
    }
    for name in of_type(resources, "AWS::Serverless::Function"):
        assert groups[f"/aws/lambda/${{{name}}}"]["RetentionInDays"] == ref("LogRetentionDays"), name
    assert groups["/aws/apigateway/${AWS::StackName}-access"]["RetentionInDays"] == ref("LogRetentionDays")


# ------------------------------------------------------------------ least privilege


def _policy_statements(resources: dict):
    """Every statement (both branches of a conditional one) of every policy in the template."""

    def statements(name: str, listed):
        for statement in listed:
            yield from ((name, branch) for branch in _branches(statement))

    for name, spec in resources.items():
        props = spec.get("Properties", {})
        for policy in props.get("Policies", []) if isinstance(props.get("Policies"), list) else []:
            if isinstance(policy, dict) and "Statement" in policy:  # inline SAM policy document
                yield from statements(name, policy["Statement"])
            elif isinstance(policy, dict) and "PolicyDocument" in policy:  # AWS::IAM::Role inline policy
                yield from statements(name, policy["PolicyDocument"]["Statement"])
        if "PolicyDocument" in props:  # bucket, topic, queue and managed policies
            yield from statements(name, props["PolicyDocument"]["Statement"])


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def test_no_policy_allows_a_wildcard_action_or_resource(resources):
    statements = list(_policy_statements(resources))
    assert len(statements) >= 3  # bucket, topic and queue policies at least
    for name, statement in statements:
        actions = _as_list(statement.get("Action", []))
        assert "*" not in actions, name
        if statement["Effect"] == "Allow":
            assert not any(str(action).endswith(":*") for action in actions), (name, actions)
            assert "*" not in _as_list(statement.get("Resource", [])), name


def _branches(policy):
    """A policy, or both branches of a conditional one (``!If [cond, policy, !Ref AWS::NoValue]``)."""
    if isinstance(policy, dict) and "Fn::If" in policy:
        for branch in policy["Fn::If"][1:]:
            if branch != ref("AWS::NoValue"):
                yield from _branches(branch)
    else:
        yield policy


# SAM templates that grant more than any of these functions needs (Scan, BatchGet, DescribeParameters on *, ListBucket).
BROAD_POLICY_TEMPLATES = {
    "DynamoDBCrudPolicy",
    "DynamoDBReadPolicy",
    "SSMParameterReadPolicy",
    "S3ReadPolicy",
    "S3CrudPolicy",
}


def test_functions_use_explicit_statements_or_narrow_policy_templates(resources):
    for name, function in of_type(resources, "AWS::Serverless::Function").items():
        policies = [branch for policy in function["Properties"]["Policies"] for branch in _branches(policy)]
        assert policies, name
        for policy in policies:
            assert isinstance(policy, dict), (name, policy)  # no bare managed policy names
            if "Statement" in policy:
                continue  # inline: checked by the wildcard test and, call by call, by test_iam_policies.py
            ((template_name, arguments),) = policy.items()
            assert template_name.endswith("Policy"), template_name
            assert template_name not in BROAD_POLICY_TEMPLATES, (name, template_name)
            assert arguments and "*" not in json.dumps(arguments), (name, template_name)
    roles = of_type(resources, "AWS::IAM::Role")
    for name, role in roles.items():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            assert arn["Fn::Sub"].endswith("service-role/AmazonAPIGatewayPushToCloudWatchLogs"), name


# ------------------------------------------------------------------ alarms and dashboard


def _alarm_on(resources: dict, namespace: str, metric: str) -> dict:
    for spec in of_type(resources, "AWS::CloudWatch::Alarm").values():
        props = spec["Properties"]
        if (props.get("Namespace"), props.get("MetricName")) == (namespace, metric):
            return props
        for query in props.get("Metrics", []):
            stat = query.get("MetricStat", {}).get("Metric", {})
            if (stat.get("Namespace"), stat.get("MetricName")) == (namespace, metric):
                return props
    raise AssertionError(f"no alarm on {namespace} {metric}")


def test_alarms_watch_the_dlq_the_worker_the_api_and_the_providers(template, resources):
    dlq = _alarm_on(resources, "AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert dlq["Dimensions"] == [{"Name": "QueueName", "Value": {"Fn::GetAtt": ["JobsDLQ", "QueueName"]}}]
    assert (dlq["Threshold"], dlq["ComparisonOperator"]) == (0, "GreaterThanThreshold")

    worker = _alarm_on(resources, "AWS/Lambda", "Errors")
    assert worker["Dimensions"] == [{"Name": "FunctionName", "Value": ref("WorkerFunction")}]

    api = _alarm_on(resources, "AWS/ApiGateway", "5XXError")
    assert {d["Name"]: d["Value"] for d in api["Dimensions"]} == {
        "ApiName": resources["Api"]["Properties"]["Name"],
        "Stage": ref("Stage"),
    }

    env = template["Globals"]["Function"]["Environment"]["Variables"]
    providers = _alarm_on(resources, env["POWERTOOLS_METRICS_NAMESPACE"], "ProviderErrors")
    metrics = {query["Id"]: query for query in providers["Metrics"]}
    for query_id, metric_name in (("errors", "ProviderErrors"), ("attempts", "ProviderAttempts")):
        metric = metrics[query_id]["MetricStat"]["Metric"]
        assert metric["MetricName"] == metric_name
        assert metric["Dimensions"] == [{"Name": "service", "Value": env["POWERTOOLS_SERVICE_NAME"]}]
    (rate,) = [query for query in providers["Metrics"] if query.get("ReturnData")]
    assert "errors" in rate["Expression"] and "/ attempts" in rate["Expression"]

    for spec in of_type(resources, "AWS::CloudWatch::Alarm").values():
        assert spec["Properties"]["AlarmActions"] == [ref("AlertsTopic")]
        assert spec["Properties"]["TreatMissingData"] == "notBreaching"  # idle is healthy


def test_cloudwatch_may_publish_alarms_to_the_alerts_topic(resources):
    (policy,) = [
        spec["Properties"]
        for spec in of_type(resources, "AWS::SNS::TopicPolicy").values()
        if ref("AlertsTopic") in spec["Properties"]["Topics"]
    ]
    principals = [s["Principal"] for s in policy["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert {"Service": "cloudwatch.amazonaws.com"} in principals


def test_the_operations_dashboard_shows_every_alarm_and_the_custom_metrics(resources):
    body = resources["OperationsDashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    parsed = json.loads(re.sub(r"\$\{[^}]+\}", "x", body))
    assert parsed["widgets"]
    for alarm in of_type(resources, "AWS::CloudWatch::Alarm"):
        assert f"${{{alarm}.Arn}}" in body, alarm
    for metric in ("CacheHit", "CacheMiss", "TasksEnqueued", "BatchesProcessed", "BatchSize", "JobLatency"):
        assert f'"{metric}"' in body, metric
    assert "ProviderErrors" in body and "provider" in body


# ------------------------------------------------------------------ checkov skips and outputs


def test_every_checkov_skip_says_why(resources):
    skips = 0
    for name, spec in resources.items():
        for skip in spec.get("Metadata", {}).get("checkov", {}).get("skip", []):
            skips += 1
            assert re.fullmatch(r"CKV2?_AWS_\d+", skip["id"]), name
            assert len(skip.get("comment", "")) >= 40, (name, skip["id"])
    assert skips > 0


def test_outputs_give_publish_and_users_what_they_need(template):
    outputs = template["Outputs"]
    for name in ("DashboardUrl", "DashboardDistributionDomain", "DistributionId", "DashboardBucketName", "ApiUrl"):
        assert name in outputs, name
    assert outputs["DistributionId"]["Value"] == ref("DashboardDistribution")
    assert outputs["DashboardBucketName"]["Value"] == ref("DashboardBucket")
    assert outputs["ApiUrl"]["Value"]["Fn::Sub"].startswith("https://${Api}.execute-api.")


def _function_statements(resources: dict, function: str) -> dict[str, dict]:
    return {s["Sid"]: s for name, s in _policy_statements(resources) if name == function and "Sid" in s}


def test_results_table_grants_are_limited_to_each_functions_item_kinds(resources):
    for name in ("ApiFunction", "WorkerFunction", "SchedulerFunction", "ImportFunction"):
        for sid, statement in _function_statements(resources, name).items():
            if statement.get("Resource") != {"Fn::GetAtt": ["ResultsTable", "Arn"]}:
                continue
            if _as_list(statement["Action"]) == ["dynamodb:Scan"]:
                continue  # a scan has no leading key to condition on
            kinds = statement["Condition"]["ForAllValues:StringLike"]["dynamodb:LeadingKeys"]
            assert kinds and not any(kind in ("*", "PROVIDER#*") for kind in kinds), (name, sid)


def test_provider_sessions_have_their_own_table_only_the_worker_reaches(resources):
    table = resources["SessionsTable"]["Properties"]
    assert table["SSESpecification"]["SSEEnabled"] is True
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    worker = resources["WorkerFunction"]["Properties"]
    assert worker["Environment"]["Variables"]["SESSIONS_TABLE_NAME"] == ref("SessionsTable")
    reaching = {
        name
        for name, statement in _policy_statements(resources)
        if "SessionsTable" in json.dumps(statement.get("Resource", ""))
    }
    assert reaching == {"WorkerFunction"}


def test_no_function_may_describe_parameters_or_list_the_uploads(resources):
    for name, statement in _policy_statements(resources):
        actions = _as_list(statement.get("Action", []))
        assert "ssm:DescribeParameters" not in actions, name
        if statement.get("Sid") in ("ReadTheArchive", "WriteTheArchive"):  # an hour's part files are found by listing
            assert json.dumps(statement["Resource"]).count("ArchiveBucket") == 2, name
            continue
        assert "s3:ListBucket" not in actions, name


# ------------------------------------------------------------------ per-client limits


def test_the_edge_web_acl_is_opt_in_rate_limits_api_calls_per_ip_and_lives_in_us_east_1(template, resources):
    assert template["Parameters"]["EnableWaf"]["Default"] == "false"  # it costs money
    acl = resources["EdgeWebAcl"]
    assert acl["Condition"] == "CreateWebAcl"
    props = acl["Properties"]
    assert props["Scope"] == "CLOUDFRONT" and props["DefaultAction"] == {"Allow": {}}
    rules = {rule["Name"]: rule for rule in props["Rules"]}
    rate = rules["api-requests-per-ip"]
    statement = rate["Statement"]["RateBasedStatement"]
    assert statement["AggregateKeyType"] == "IP" and statement["Limit"] == ref("WafRateLimit")
    assert statement["ScopeDownStatement"]["ByteMatchStatement"]["SearchString"] == "/api/"
    assert rate["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 429
    body = props["CustomResponseBodies"][rate["Action"]["Block"]["CustomResponse"]["CustomResponseBodyKey"]]
    assert json.loads(body["Content"])["error"]["code"] == "rate_limited"
    config = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    assert config["WebACLId"] == {
        "Fn::If": [
            "CreateWebAcl",
            {"Fn::GetAtt": ["EdgeWebAcl", "Arn"]},
            {"Fn::If": ["HasWebAclArn", ref("WebAclArn"), ref("AWS::NoValue")]},
        ]
    }
    # A CLOUDFRONT web ACL can only be created in us-east-1: elsewhere the deploy stops before any resource.
    rule = template["Rules"]["CloudFrontWebAclInUsEast1"]
    assert rule["Assertions"][0]["Assert"] == {"Fn::Equals": [ref("AWS::Region"), "us-east-1"]}


def test_cloudfront_sends_the_origin_secret_the_api_function_checks(template, resources):
    name = "OriginSecretParameterName"
    assert template["Parameters"][name]["Default"] == ""  # no secret: no check (documented in DEPLOY.md)
    config = resources["DashboardDistribution"]["Properties"]["DistributionConfig"]
    (api_origin,) = [origin for origin in config["Origins"] if origin["Id"] == "api"]
    condition, headers, otherwise = api_origin["OriginCustomHeaders"]["Fn::If"]
    assert (condition, otherwise) == ("HasOriginSecret", ref("AWS::NoValue"))
    assert headers == [
        {"HeaderName": "X-Origin-Verify", "HeaderValue": {"Fn::Sub": "{{resolve:ssm:/${OriginSecretParameterName}}}"}}
    ]
    env = resources["ApiFunction"]["Properties"]["Environment"]["Variables"]
    assert env["ORIGIN_SECRET_PARAM"] == {
        "Fn::If": ["HasOriginSecret", {"Fn::Sub": "/${OriginSecretParameterName}"}, ""]
    }
    read = _function_statements(resources, "ApiFunction")["ReadOriginSecret"]
    assert read["Action"] == "ssm:GetParameter" and read["Resource"]["Fn::Sub"].endswith(
        ":parameter/${OriginSecretParameterName}"
    )


def test_programmatic_clients_get_a_key_only_api_with_a_usage_plan(template, resources):
    assert template["Parameters"]["EnableApiKeys"]["Default"] == "false"
    api = resources["ClientApi"]
    assert api["Condition"] == "HasApiKeys"
    body = api["Properties"]["DefinitionBody"]
    assert body["components"]["securitySchemes"]["api_key"] == {"type": "apiKey", "name": "x-api-key", "in": "header"}
    for path, methods in body["paths"].items():
        for method in methods.values():
            assert method["security"] == [{"api_key": []}], path
            assert "${ApiFunction.Arn}" in method["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
    plan = api["Properties"]["Auth"]["UsagePlan"]
    assert plan["CreateUsagePlan"] == "PER_API"
    assert plan["Throttle"] == {"RateLimit": ref("ApiKeyRateLimit"), "BurstLimit": ref("ApiKeyBurstLimit")}
    assert plan["Quota"] == {"Limit": ref("ApiKeyDailyQuota"), "Period": "DAY"}
    permission = resources["ClientApiInvokesApiFunction"]
    assert permission["Condition"] == "HasApiKeys"
    assert permission["Properties"]["FunctionName"] == ref("ApiFunction")


def test_the_jetstream_url_must_be_wss(template):
    parameter = template["Parameters"]["JetstreamUrl"]
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch(parameter["Default"])
    assert pattern.fullmatch("wss://jetstream1.us-west.bsky.network/subscribe")
    for refused in ("ws://jetstream2.us-east.bsky.network/subscribe", "https://example.com", "wss://", "WS://x"):
        assert not pattern.fullmatch(refused), refused
