"""Record every AWS call the API function, the DLQ function and the worker make during the test suite,
and hold each to the IAM role the template gives that process (tests/infra/iam_policy.py).

moto grants every permission; AWS does not. So each call is recorded (botocore's
`before-parameter-build`, which also sees presigned URLs: the link's GET runs with the signer's rights)
with its IAM action and resource ARN, and attributed to a process by the code that made it: the
innermost frame of the call stack that belongs to a process's own package (functions.api.* -> the
API function, functions.dlq.* and core.logic.dlq -> the DLQ function, worker.* and the model pull the worker's
entrypoint runs -> the worker's ECS task role). Calls from test code and operator tools (the keys CLI,
which runs with an operator's credentials) are not attributed and not checked.

One more thing moto cannot do: without s3:ListBucket on a bucket, S3 answers a read of a missing key
with 403 AccessDenied, not 404. For attributed calls the recorder rewrites moto's 404 the same way when
the role lacks s3:ListBucket, so code that takes 404 for "absent" fails here as it would on AWS.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from core.adapters import clients
from tests.infra import iam_policy

# Module prefix -> the template resource whose role that code runs with.
PROCESSES = (
    ("functions.dashboard.", "DashboardFunction"),  # before functions.api.: a function of its own
    ("functions.api.", "ApiFunction"),
    ("functions.dlq.", "DlqFunction"),
    ("core.logic.dlq", "DlqFunction"),  # the DLQ function's rules (the local stack runs them in a loop)
    ("functions.webhooks.", "WebhookFunction"),
    ("functions.sweeper.", "SweeperFunction"),
    ("core.logic.sweeper", "SweeperFunction"),  # the sweeper's rules (the local stack runs them in a loop)
    ("worker.", "WorkerTaskDefinition"),
    ("cli.model_pull", "WorkerTaskDefinition"),  # infra/worker/entrypoint.sh runs the pull
)

# Operations whose IAM action is not named after them.
_S3_ACTIONS = {
    "HeadObject": "GetObject",
    "HeadBucket": "ListBucket",
    "ListObjects": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "DeleteObjects": "DeleteObject",
    "CopyObject": "PutObject",
}
_MISSING_KEY = {"NoSuchKey": ("AccessDenied", "Access Denied"), "404": ("403", "Forbidden")}


@dataclass(frozen=True)
class AwsCall:
    principal: str  # ApiFunction | DlqFunction | WorkerTaskDefinition
    action: str  # e.g. dynamodb:UpdateItem
    resources: tuple[str, ...]  # ARNs
    stage: str
    where: str  # module:line of the code that made the call

    def describe(self) -> str:
        return f"{self.principal} {self.action} on {', '.join(self.resources)} (from {self.where})"


def _principal() -> tuple[str, str] | None:
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        for prefix, principal in PROCESSES:
            if module.startswith(prefix) or module == prefix.rstrip("."):
                return principal, f"{module}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def _presigned_post_key() -> str:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_name == "generate_presigned_post" and "Key" in frame.f_locals:
            return str(frame.f_locals["Key"])
        frame = frame.f_back
    raise AssertionError("a presigned POST outside generate_presigned_post")


def iam_action(service: str, operation: str) -> str:
    if service == "s3":
        operation = _S3_ACTIONS.get(operation, operation)
    return f"{service}:{operation}"


def resource_arns(service: str, params: dict[str, Any]) -> tuple[str, ...]:
    p, region, account = iam_policy.PARTITION, iam_policy.REGION, iam_policy.ACCOUNT
    if service == "s3":
        bucket = params.get("Bucket", "")
        return (f"arn:{p}:s3:::{bucket}/{params['Key']}" if "Key" in params else f"arn:{p}:s3:::{bucket}",)
    if service == "sqs":
        path = urlsplit(params.get("QueueUrl", "")).path.strip("/").split("/")
        queue_account, name = (path[0], path[1]) if len(path) == 2 else (account, path[-1])
        return (f"arn:{p}:sqs:{region}:{queue_account}:{name}",)
    if service == "dynamodb":
        tables = [params["TableName"]] if "TableName" in params else list(params.get("RequestItems", {}))
        arns = []
        for table in tables:
            arn = f"arn:{p}:dynamodb:{region}:{account}:table/{table}"
            arns.append(f"{arn}/index/{params['IndexName']}" if "IndexName" in params else arn)
        return tuple(arns)
    if service == "secretsmanager":
        # On AWS the code gets the ARN (the template's Ref); locally the name, whose ARN ends in "-" and
        # six characters moto chose: written as the wildcard the policy's resolved Ref uses too.
        secret = str(params.get("SecretId", ""))
        return (
            secret
            if secret.startswith("arn:")
            else f"arn:{p}:secretsmanager:{region}:{account}:secret:{secret}-??????",
        )
    return (f"<{service} resource>",)


class Recorder:
    def __init__(self) -> None:
        self.calls: list[AwsCall] = []

    def install(self) -> None:
        clients.on_every_call("before-parameter-build", self.before_call)
        clients.on_every_call("after-call.s3", self.after_s3_call)

    def before_call(self, params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
        found = _principal()
        if found is None:
            return
        principal, where = found
        service = model.service_model.signing_name
        action, resources = iam_action(service, model.name), resource_arns(service, params)
        if service == "s3" and model.name == "CreateBucket" and context.get("is_presign_request"):
            # A presigned POST (botocore builds its URL from CreateBucket's model): the form uploads with
            # the signer's s3:PutObject on the form's key, which only generate_presigned_post's frame knows.
            action = "s3:PutObject"
            resources = resource_arns(service, {**params, "Key": _presigned_post_key()})
        call = AwsCall(
            principal=principal,
            action=action,
            resources=resources,
            stage=os.environ.get("STAGE", "local"),
            where=where,
        )
        self.calls.append(call)
        context["recorded_call"] = call

    def after_s3_call(self, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        call: AwsCall | None = context.get("recorded_call")
        error = parsed.get("Error", {}).get("Code")
        if call is None or error not in _MISSING_KEY:
            return
        bucket_arn = call.resources[0].split("/", 1)[0]
        role = iam_policy.roles(call.stage)[iam_policy.role_of(call.principal)]
        if not role.allows("s3:ListBucket", bucket_arn):
            code, message = _MISSING_KEY[error]
            parsed["Error"] = {"Code": code, "Message": message}
            parsed["ResponseMetadata"]["HTTPStatusCode"] = 403

    def refused(self, calls: list[AwsCall]) -> list[str]:
        """What the template's roles would refuse among `calls` (calls to resources the template does not
        create, a test's deliberate faults, are left out)."""
        found = []
        for call in calls:
            role = iam_policy.roles(call.stage)[iam_policy.role_of(call.principal)]
            for arn in call.resources:
                if not iam_policy.is_known(call.stage, arn):
                    continue
                allowed, why = role.decide(call.action, arn)
                if not allowed:
                    found.append(
                        f"{role.logical_id} may not {call.action} on {arn} ({why}; from {call.where})"
                    )
        return sorted(set(found))


RECORDER = Recorder()
