"""Read template.yaml the way CloudFormation would, enough to build the same resources locally.

Only the intrinsic functions the template uses are resolved (Ref, GetAtt, Sub, If, Equals, Join, Select).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = REPO_ROOT / "template.yaml"
REGION = "us-east-1"
ACCOUNT = "123456789012"


class _CfnLoader(yaml.SafeLoader):
    pass


def _tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CfnLoader.add_multi_constructor("!", _tag)


def load_template(path: Path = TEMPLATE_PATH) -> dict:
    return yaml.load(path.read_text(), Loader=_CfnLoader)  # noqa: S506 - SafeLoader subclass


@dataclass
class FunctionSpec:
    logical_id: str
    handler: str
    timeout: int
    environment: dict[str, str]
    events: dict[str, dict]


@dataclass
class Template:
    """The template with its parameters bound and a way to name every local resource."""

    document: dict
    parameters: dict[str, str] = field(default_factory=dict)
    physical_names: dict[str, str] = field(default_factory=dict)  # logical id -> local physical id (Ref value)
    attributes: dict[tuple[str, str], str] = field(default_factory=dict)  # (logical id, attr) -> value

    @classmethod
    def load(cls, overrides: dict[str, str] | None = None, path: Path = TEMPLATE_PATH) -> Template:
        document = load_template(path)
        parameters = {name: str(spec.get("Default", "")) for name, spec in document.get("Parameters", {}).items()}
        parameters.update(overrides or {})
        return cls(document=document, parameters=parameters)

    @property
    def resources(self) -> dict[str, dict]:
        return self.document["Resources"]

    def of_type(self, resource_type: str) -> dict[str, dict]:
        return {name: spec for name, spec in self.resources.items() if spec["Type"] == resource_type}

    def condition(self, name: str) -> bool:
        return bool(self.resolve(self.document.get("Conditions", {})[name]))

    def resolve(self, value):
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {key: self.resolve(item) for key, item in value.items()}
        ((name, argument),) = value.items()
        if name == "Ref":
            return self._ref(argument)
        if name == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.attributes[(logical_id, attribute)]
        if name == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            variables = {key: self.resolve(item) for key, item in variables.items()}

            def substitute(match: re.Match) -> str:
                token = match.group(1)
                if token in variables:
                    return str(variables[token])
                if "." in token:
                    logical_id, attribute = token.split(".", 1)
                    return str(self.attributes[(logical_id, attribute)])
                return str(self._ref(token))

            return re.sub(r"\$\{([^}!]+)\}", substitute, text)
        if name == "Fn::If":
            condition, when_true, when_false = argument
            return self.resolve(when_true if self.condition(condition) else when_false)
        if name == "Fn::Equals":
            left, right = (self.resolve(item) for item in argument)
            return str(left) == str(right)
        if name == "Fn::Not":
            return not self.resolve(argument[0])
        if name == "Fn::And":
            return all(self.resolve(item) for item in argument)
        if name == "Fn::Or":
            return any(self.resolve(item) for item in argument)
        if name == "Condition":
            return self.condition(argument)
        if name == "Fn::Join":
            separator, items = argument
            return separator.join(str(item) for item in self.resolve(items))
        if name == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text)).split(separator)
        if name == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(index)]
        return {name: self.resolve(argument)}

    def _ref(self, name: str):
        pseudo = {
            "AWS::Region": REGION,
            "AWS::AccountId": ACCOUNT,
            "AWS::StackName": "local",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Partition": "aws",
            "AWS::NoValue": None,
        }
        if name in pseudo:
            return pseudo[name]
        if name in self.parameters:
            return self.parameters[name]
        if name in self.physical_names:
            return self.physical_names[name]
        return f"local-{name}"  # a resource the local stack does not emulate (API, layers, alarms)

    def functions(self) -> dict[str, FunctionSpec]:
        globals_ = self.document.get("Globals", {}).get("Function", {})
        global_env = globals_.get("Environment", {}).get("Variables", {})
        specs = {}
        for logical_id, resource in self.of_type("AWS::Serverless::Function").items():
            properties = resource["Properties"]
            environment = {**global_env, **properties.get("Environment", {}).get("Variables", {})}
            resolved_env = {}
            for key, value in environment.items():
                resolved = self.resolve(value)
                if resolved is not None and not isinstance(resolved, dict):
                    resolved_env[key] = str(resolved)
            specs[logical_id] = FunctionSpec(
                logical_id=logical_id,
                handler=properties["Handler"],
                timeout=int(self.resolve(properties.get("Timeout", globals_.get("Timeout", 3)))),
                environment=resolved_env,
                events={name: self.resolve(event) for name, event in properties.get("Events", {}).items()},
            )
        return specs
