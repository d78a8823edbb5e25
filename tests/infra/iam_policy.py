"""A small, honest IAM evaluator for the roles in the translated template (tests/infra/translated.py).

What it does: a role's identity policies (inline `Policies`, after SAM has expanded its policy templates
such as DynamoDBCrudPolicy) are resolved to concrete ARNs for one stage of the local stack, and a request
(action, resource ARN) is allowed when some Allow statement matches it and no Deny statement does.
`Action`/`Resource` patterns take IAM's wildcards (`*` any run of characters, `?` one character;
actions case-insensitively).

What it leaves out, each on the side of refusing:
- `Condition` blocks are not evaluated: an Allow with a condition is treated as not granting (we cannot
  know the condition holds), a Deny with a condition as denying.
- `NotAction`/`NotResource`/`NotPrincipal` are not supported: a statement using them fails loudly.
- Managed policies (`ManagedPolicyArns`) grant nothing here. The roles attach only AWS's logging/tracing
  ones (AWSLambdaBasicExecutionRole, AWSXrayWriteOnlyAccess), which the code never calls through boto3;
  tests/infra/test_template.py checks none grants data access.
- Resource-based policies (the media bucket's), permission boundaries, SCPs and session policies are
  not evaluated: the bucket policy only denies plain-HTTP access, which boto3 on AWS never uses.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from infra.local.resources import physical_name
from tests.infra.translated import translated

PARTITION, REGION, ACCOUNT = "aws", "us-east-1", "123456789012"  # moto's defaults, as the suite runs
# The s3:// location the suite's model-pull tests publish to (tests/engine/test_model_pull.py): the
# template's ModelLocation parameter, for the worker's PullModels statement.
MODEL_LOCATION = "s3://faceswap-model-pull-test/"
PARAMETERS = {"ModelLocation": MODEL_LOCATION, "AWS::Partition": PARTITION, "AWS::Region": REGION}
PARAMETERS["AWS::AccountId"] = ACCOUNT
PARAMETERS["AWS::URLSuffix"] = "amazonaws.com"


class Unsupported(Exception):
    """The policy uses something this evaluator does not model."""


@dataclass(frozen=True)
class Statement:
    effect: str  # Allow | Deny
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    conditional: bool
    sid: str = ""

    def matches(self, action: str, resource: str) -> bool:
        return any(_glob(p, action, case=False) for p in self.actions) and any(
            _glob(p, resource, case=True) for p in self.resources
        )


@dataclass(frozen=True)
class Role:
    logical_id: str
    statements: tuple[Statement, ...]

    def decide(self, action: str, resource: str) -> tuple[bool, str]:
        """(allowed, why): explicit Deny wins, then any Allow; otherwise the implicit deny."""
        for statement in self.statements:
            if statement.effect == "Deny" and statement.matches(action, resource):
                return False, f"denied by {statement.sid or 'a Deny statement'}"
        for statement in self.statements:
            if (
                statement.effect == "Allow"
                and not statement.conditional
                and statement.matches(action, resource)
            ):
                return True, f"allowed by {statement.sid or 'an Allow statement'}"
        return False, "no statement allows it"

    def allows(self, action: str, resource: str) -> bool:
        return self.decide(action, resource)[0]


def _glob(pattern: str, value: str, *, case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=0 if case else re.IGNORECASE) is not None


# --- the template's resources and intrinsic functions, for one stage -------------------------------------

_DATA_TYPES = {"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::DynamoDB::Table"}
_SECRET = "AWS::SecretsManager::Secret"


@dataclass(frozen=True)
class Resolver:
    stage: str
    template: dict[str, Any]

    def name(self, logical_id: str) -> str:
        return physical_name(self.stage, logical_id)

    def ref(self, logical_id: str) -> str:
        if logical_id == "Stage":
            return self.stage
        if logical_id in PARAMETERS:
            return PARAMETERS[logical_id]
        kind = self.template["Resources"].get(logical_id, {}).get("Type")
        if kind == "AWS::SQS::Queue":
            return f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{self.name(logical_id)}"
        if kind in _DATA_TYPES:
            return self.name(logical_id)
        if kind == _SECRET:  # Ref gives the ARN, which ends in "-" and six random characters
            return f"arn:{PARTITION}:secretsmanager:{REGION}:{ACCOUNT}:secret:{self.name(logical_id)}-??????"
        return f"<{logical_id}>"  # not a data resource: never part of a data-access ARN

    def get_att(self, logical_id: str, attribute: str) -> str:
        kind = self.template["Resources"].get(logical_id, {}).get("Type")
        name = self.name(logical_id)
        arns = {
            "AWS::S3::Bucket": f"arn:{PARTITION}:s3:::{name}",
            "AWS::SQS::Queue": f"arn:{PARTITION}:sqs:{REGION}:{ACCOUNT}:{name}",
            "AWS::DynamoDB::Table": f"arn:{PARTITION}:dynamodb:{REGION}:{ACCOUNT}:table/{name}",
        }
        if attribute == "Arn" and kind in arns:
            return arns[kind]
        if attribute == "QueueName" and kind == "AWS::SQS::Queue":
            return name
        return f"<{logical_id}.{attribute}>"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) != 1:
            return {k: self.resolve(v) for k, v in value.items()}
        ((function, argument),) = value.items()
        if function == "Ref":
            return self.ref(argument)
        if function == "Fn::GetAtt":
            logical_id, attribute = argument if isinstance(argument, list) else argument.split(".", 1)
            return self.get_att(logical_id, attribute)
        if function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else argument
            variables = {k: self.resolve(v) for k, v in variables.items()}
            return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub_variable(m.group(1), variables), text)
        if function == "Fn::Join":
            separator, parts = argument
            return separator.join(str(p) for p in self.resolve(parts))
        if function == "Fn::Split":
            separator, text = argument
            return str(self.resolve(text)).split(separator)
        if function == "Fn::Select":
            index, items = argument
            return self.resolve(items)[int(self.resolve(index))]
        if function == "Fn::If":
            raise Unsupported(f"Fn::If in a policy: {value}")
        return {function: self.resolve(argument)}

    def _sub_variable(self, name: str, variables: dict[str, Any]) -> str:
        if name in variables:
            return str(variables[name])
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return self.get_att(logical_id, attribute)
        return self.ref(name)

    def known_resources(self) -> list[str]:
        """ARN patterns of every data resource the template creates (plus the model location): a call to
        anything else is a test's deliberate fault (a table renamed to one that does not exist)."""
        patterns = [f"arn:{PARTITION}:s3:::{MODEL_LOCATION.removeprefix('s3://').split('/', 1)[0]}/*"]
        for logical_id, resource in self.template["Resources"].items():
            if resource["Type"] in _DATA_TYPES:
                arn = self.get_att(logical_id, "Arn")
                patterns += [arn, f"{arn}/*"]
            elif resource["Type"] == _SECRET:
                patterns.append(self.ref(logical_id))
        return patterns


def _statements(document: dict[str, Any], resolver: Resolver) -> list[Statement]:
    found = []
    raw = document["Statement"]
    for statement in raw if isinstance(raw, list) else [raw]:
        for unsupported in ("NotAction", "NotResource", "NotPrincipal"):
            if unsupported in statement:
                raise Unsupported(f"{unsupported} in {statement}")
        actions = resolver.resolve(statement["Action"])
        resources = resolver.resolve(statement["Resource"])
        found.append(
            Statement(
                effect=statement["Effect"],
                actions=tuple(actions if isinstance(actions, list) else [actions]),
                resources=tuple(resources if isinstance(resources, list) else [resources]),
                conditional="Condition" in statement,
                sid=statement.get("Sid", ""),
            )
        )
    return found


@cache
def roles(stage: str) -> dict[str, Role]:
    """Every IAM role of the translated template.yaml, by logical id, resolved for `stage`."""
    return roles_in(translated(), stage)


def roles_in(template: dict[str, Any], stage: str) -> dict[str, Role]:
    resolver = Resolver(stage, template)
    found = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::IAM::Role":
            continue
        statements: list[Statement] = []
        for policy in resource["Properties"].get("Policies", []):
            statements += _statements(policy["PolicyDocument"], resolver)
        found[logical_id] = Role(logical_id, tuple(statements))
    return found


@cache
def known_resources(stage: str) -> tuple[str, ...]:
    return tuple(Resolver(stage, translated()).known_resources())


def is_known(stage: str, arn: str) -> bool:
    return any(_glob(pattern, arn, case=True) for pattern in known_resources(stage))


@cache
def role_of(principal: str) -> str:
    """The logical id of the role a process runs with: a Lambda function's Role, the worker's task role."""
    template = translated()
    resource = template["Resources"][principal]
    props = resource["Properties"]
    role = props["TaskRoleArn"] if resource["Type"] == "AWS::ECS::TaskDefinition" else props["Role"]
    assert "Fn::GetAtt" in role, f"{principal}'s role is not one of the template's: {role}"
    return role["Fn::GetAtt"][0]
