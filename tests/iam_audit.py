"""Each function's IAM policy as deployed (template.yaml through aws-sam-translator, offline) and a small evaluator
for the requests ``local_stack.aws_calls`` records.

The evaluator covers what this template uses: Allow/Deny statements, Action and Resource with ``*``/``?``
wildcards, and the condition operators StringEquals/StringLike (plain or ForAllValues:) on ``dynamodb:LeadingKeys``.
Anything else raises, so a new kind of statement is noticed rather than misjudged.
"""

from __future__ import annotations

import copy
import fnmatch
import logging
import os
from dataclasses import dataclass, field
from functools import cache

from local_stack.template import ACCOUNT, REGION, Template, load_template

# Optional resources are audited as configured: every "...ParameterName" left empty by default gets a name, so the
# conditional grants (provider secrets, origin secret) exist and are checked like the others.
AUDIT_PARAMETER_PREFIX = "audit/"
SUPPORTED_CONDITIONS = {"StringEquals", "StringLike", "ForAllValues:StringEquals", "ForAllValues:StringLike"}


# Optional grants that a parameter other than a "...ParameterName" switches on, audited as configured too.
AUDIT_OPTIONAL = {"DeliveryEmailSender": "alerts@example.org"}


def audit_parameters(document: dict) -> dict[str, str]:
    overrides = {name: value for name, value in AUDIT_OPTIONAL.items() if name in document.get("Parameters", {})}
    for name, spec in document.get("Parameters", {}).items():
        if name.endswith("ParameterName") and not str(spec.get("Default", "")):
            overrides[name] = AUDIT_PARAMETER_PREFIX + name.removesuffix("ParameterName").lower()
    overrides["ArchiveRetentionDays"] = "7"  # the archive's statements exist only when it is on: audit them
    return overrides


class _NoManagedPolicies:
    """The translator asks IAM for managed policy names only when a template names one; this one does not."""

    def load(self) -> dict:
        return {}


def translate(document: dict, parameters: dict[str, str]) -> dict:
    from samtranslator.translator.transform import transform

    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    os.environ.setdefault("AWS_DEFAULT_REGION", REGION)  # the translator's pseudo parameters
    sam = copy.deepcopy(document)
    # What `sam package` does: code locations become S3 URIs (the translator accepts nothing else).
    sam.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    for resource in sam["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://audit/code.zip"
        if resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://audit/layer.zip"
    return transform(sam, parameters, _NoManagedPolicies())


@dataclass
class FunctionPolicy:
    function: str
    role: str
    statements: list[dict]  # resolved: Action and Resource are lists of strings
    managed: list[str]
    environment: dict[str, str]


@dataclass
class Model:
    functions: dict[str, FunctionPolicy]
    tables: dict[str, dict]  # physical name -> {"hash": attr, "indexes": {name: attr}}
    parameters: dict[str, str] = field(default_factory=dict)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _clean(value):
    """Drop the ``None`` an ``AWS::NoValue`` resolved to."""
    if isinstance(value, list):
        return [_clean(item) for item in value if item is not None]
    if isinstance(value, dict):
        return {key: _clean(item) for key, item in value.items() if item is not None}
    return value


@cache
def load_model() -> Model:
    from moto import mock_aws

    from local_stack.resources import create_resources

    document = load_template()
    parameters = audit_parameters(document)
    local = Template.load(parameters)
    with mock_aws():  # the same local names and ARNs the component and integration suites use
        create_resources(local, endpoint_url=None)
    translated = Template(
        document=translate(document, parameters),
        parameters=local.parameters,
        physical_names=local.physical_names,
        attributes=local.attributes,
    )
    environments = {logical_id: spec.environment for logical_id, spec in local.functions().items()}
    functions = {}
    for logical_id, resource in translated.of_type("AWS::Lambda::Function").items():
        role_ref = resource["Properties"]["Role"]
        role_id = role_ref["Fn::GetAtt"][0] if isinstance(role_ref, dict) and "Fn::GetAtt" in role_ref else None
        if role_id is None:
            raise AssertionError(f"{logical_id}: expected a role of the template, got {role_ref!r}")
        role = translated.resources[role_id]["Properties"]
        statements = []
        for policy in _clean(translated.resolve(role.get("Policies", []))):
            for statement in _as_list(policy["PolicyDocument"]["Statement"]):
                statements.append(
                    {
                        **statement,
                        "Action": _as_list(statement.get("Action")),
                        "Resource": _as_list(statement.get("Resource")),
                        "Policy": policy["PolicyName"],
                    }
                )
        managed = [str(arn) for arn in _clean(translated.resolve(role.get("ManagedPolicyArns", [])))]
        functions[logical_id] = FunctionPolicy(
            logical_id, role_id, statements, managed, environments.get(logical_id, {})
        )
    tables = {}
    for logical_id, resource in local.of_type("AWS::DynamoDB::Table").items():
        properties = local.resolve(resource["Properties"])
        hash_of = {k["AttributeName"] for k in properties["KeySchema"] if k["KeyType"] == "HASH"}.pop
        indexes = {
            index["IndexName"]: next(k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == "HASH")
            for index in properties.get("GlobalSecondaryIndexes", []) + properties.get("LocalSecondaryIndexes", [])
        }
        tables[local.physical_names[logical_id]] = {"hash": hash_of(), "indexes": indexes, "logical_id": logical_id}
    return Model(functions=functions, tables=tables, parameters=parameters)


# ------------------------------------------------------------------ a recorded request as IAM sees it
def resolve_request(model: Model, function: str, request: dict) -> dict:
    """Action, resource ARN and leading keys; a resource a test named through an environment variable is replaced
    by what the template gives that variable."""
    environment = model.functions[function].environment if function in model.functions else {}
    action = request["action"]
    template_name = environment.get(request.get("env", ""), "") if request.get("env") else ""
    if "table" in request:
        table = template_name or request["table"]
        index = request.get("index")
        arn = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}" + (f"/index/{index}" if index else "")
        schema = model.tables.get(table, {"hash": None, "indexes": {}})
        hash_key = schema["indexes"].get(index) if index else schema["hash"]
        leading = None
        if "key" in request and hash_key:
            leading = [request["key"][hash_key]] if hash_key in request["key"] else []
        elif "keys" in request and hash_key:
            leading = [key[hash_key] for key in request["keys"] if hash_key in key]
        return {"action": action, "resource": arn, "leading_keys": leading}
    arn = request.get("arn", "*")
    if template_name:
        service = action.split(":", 1)[0]
        if service == "ssm":
            arn = f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/{template_name.lstrip('/')}"
        elif service == "sqs":
            arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:{template_name.rstrip('/').rsplit('/', 1)[-1]}"
        elif service == "s3":
            arn = arn.replace(f":::{request['name']}", f":::{template_name}", 1)
    return {"action": action, "resource": arn, "leading_keys": None}


def _matches(patterns: list[str], value: str, case_sensitive: bool = True) -> bool:
    for pattern in patterns:
        if case_sensitive and fnmatch.fnmatchcase(value, pattern):
            return True
        if not case_sensitive and fnmatch.fnmatchcase(value.lower(), pattern.lower()):
            return True
    return False


def _condition_holds(condition: dict, request: dict) -> bool:
    for operator, tests in condition.items():
        if operator not in SUPPORTED_CONDITIONS:
            raise NotImplementedError(f"condition operator {operator} is not evaluated by the audit")
        for key, expected in tests.items():
            if key != "dynamodb:LeadingKeys":
                raise NotImplementedError(f"condition key {key} is not evaluated by the audit")
            values = request.get("leading_keys")
            expected = [str(item) for item in _as_list(expected)]
            like = operator.endswith("StringLike")
            match = (lambda v, e=expected: _matches(e, v)) if like else (lambda v, e=expected: v in e)
            if operator.startswith("ForAllValues:"):
                if values and not all(match(v) for v in values):  # absent or empty: true, as in IAM
                    return False
            elif not values or not all(match(v) for v in values):
                return False
    return True


def statement_allows(statement: dict, request: dict) -> bool:
    if "NotAction" in statement or "NotResource" in statement:
        raise NotImplementedError("NotAction/NotResource are not evaluated by the audit")
    return (
        _matches(statement["Action"], request["action"], case_sensitive=False)
        and _matches(statement["Resource"], request["resource"])
        and _condition_holds(statement.get("Condition", {}), request)
    )


def evaluate(policy: FunctionPolicy, request: dict) -> list[int]:
    """The indexes of the Allow statements that grant the request; empty when it is denied."""
    if any(s["Effect"] == "Deny" and statement_allows(s, request) for s in policy.statements):
        return []
    return [i for i, s in enumerate(policy.statements) if s["Effect"] == "Allow" and statement_allows(s, request)]


def granted_actions(policy: FunctionPolicy) -> list[tuple[int, str]]:
    return [(i, action) for i, s in enumerate(policy.statements) if s["Effect"] == "Allow" for action in s["Action"]]


@dataclass
class Audit:
    calls: int = 0
    denied: list[dict] = field(default_factory=list)
    unattributed: int = 0
    unreadable: list[dict] = field(default_factory=list)
    used: dict[str, dict[tuple[int, str], int]] = field(default_factory=dict)  # function -> (stmt, action) -> n
    unknown_functions: set[str] = field(default_factory=set)

    def unused(self, model: Model) -> list[dict]:
        report = []
        for function, policy in sorted(model.functions.items()):
            seen = self.used.get(function, {})
            for index, action in granted_actions(policy):
                if not any(i == index and fnmatch.fnmatchcase(a.lower(), action.lower()) for (i, a) in seen):
                    statement = policy.statements[index]
                    report.append(
                        {
                            "function": function,
                            "sid": statement.get("Sid", statement["Policy"]),
                            "action": action,
                            "resource": statement["Resource"],
                        }
                    )
        return report


def audit(model: Model, records: list[dict]) -> Audit:
    result = Audit()
    for record in records:
        function = record.get("function")
        if not function:
            result.unattributed += 1
            continue
        if "error" in record:
            result.unreadable.append(record)
            continue
        if function not in model.functions:
            result.unknown_functions.add(function)
            continue
        policy = model.functions[function]
        result.calls += 1
        for raw in record["requests"]:
            request = resolve_request(model, function, raw)
            granting = evaluate(policy, request)
            if not granting:
                result.denied.append({"function": function, "operation": record["operation"], **request})
            for index in granting:
                used = result.used.setdefault(function, {})
                used[(index, request["action"])] = used.get((index, request["action"]), 0) + 1
    return result
