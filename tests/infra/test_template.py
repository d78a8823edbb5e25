"""template.yaml, translated by aws-sam-translator as `sam deploy` would, holds the safety properties the
cloud side promises: private encrypted storage that forgets, a DLQ behind the queue, tables that expire
and can be restored, least-privilege roles, the contract's envelope on API Gateway's own errors."""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path
from typing import Any

import pytest

from core.models.errors import HTTP_STATUS, ErrorCode
from core.models.http_bodies import ErrorEnvelope
from core.settings import Settings
from functions.api.openapi import api_routes, dashboard_routes
from functions.api.openapi import document as openapi_document
from infra.local.http_adapter import LAMBDA_EVENT_BODY_LIMIT_BYTES
from tests.infra.translated import of_type, sam_template, translated

REPO = Path(__file__).resolve().parents[2]
DATA_SERVICES = ("s3:", "sqs:", "dynamodb:")
DATA_TYPES = {"AWS::S3::Bucket", "AWS::SQS::Queue", "AWS::DynamoDB::Table"}
# The names Settings reads for resources: every process (functions, worker) must get all of them.
RESOURCE_VARIABLES = {
    "STAGE",
    "MEDIA_BUCKET",
    "TASKS_TABLE",
    "API_KEYS_TABLE",
    "RATE_LIMITS_TABLE",
    "TASK_QUEUE_URL",
    "TASK_DLQ_URL",
}
SETTINGS_ALIASES = {field.alias for field in Settings.model_fields.values()}


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translated()


def resource(cfn: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return cfn["Resources"][logical_id]["Properties"]


def functions(cfn: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: res["Properties"] for name, res in of_type(cfn, "AWS::Lambda::Function").items()}


def worker_environment(cfn: dict[str, Any]) -> dict[str, Any]:
    (container,) = resource(cfn, "WorkerTaskDefinition")["ContainerDefinitions"]
    return {
        entry["Name"]: entry["Value"]
        for entry in container["Environment"]
        if isinstance(entry, dict) and "Name" in entry  # Fn::If entries (optional variables) aside
    }


# --- storage ---------------------------------------------------------------------------------------


def test_media_bucket_is_encrypted_private_and_forgets_after_retention_days(cfn: dict[str, Any]) -> None:
    bucket = resource(cfn, "MediaBucket")
    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]

    lifecycle, uploads = bucket["LifecycleConfiguration"]["Rules"]
    assert lifecycle["Status"] == uploads["Status"] == "Enabled"
    # Direct uploads (core.logic.uploads) are usable for a day, then deleted.
    assert uploads["Prefix"] == "uploads/" and uploads["ExpirationInDays"] == 1
    # Inputs and results both live under tasks/<id>/ (core.models.task): the rule covers both.
    assert lifecycle["Prefix"] == "tasks/"
    assert lifecycle["ExpirationInDays"] == {"Ref": "RetentionDays"}
    assert cfn["Parameters"]["RetentionDays"]["Default"] == 1


def test_task_media_keys_fall_under_the_lifecycle_prefix() -> None:
    from core.models.task import input_key, result_key

    assert input_key("t1", "srcimage").startswith("tasks/")
    assert result_key("t1", "jpg").startswith("tasks/")


def test_bucket_refuses_plain_http(cfn: dict[str, Any]) -> None:
    (statement,) = resource(cfn, "MediaBucketPolicy")["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Deny"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_task_queue_redrives_to_the_dlq_and_is_sized_to_the_worker(cfn: dict[str, Any]) -> None:
    queue = resource(cfn, "TaskQueue")
    dlq = resource(cfn, "TaskDeadLetterQueue")
    redrive = queue["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["TaskDeadLetterQueue", "Arn"]}
    assert 2 <= int(redrive["maxReceiveCount"]) <= 10
    # A dead letter keeps its first enqueue time: the DLQ must keep messages longer than the queue.
    assert dlq["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]
    assert queue["SqsManagedSseEnabled"] and dlq["SqsManagedSseEnabled"]
    # The worker extends visibility by the same amount the queue hides a message for.
    assert int(worker_environment(cfn)["WORKER_VISIBILITY_TIMEOUT_SECONDS"]) == queue["VisibilityTimeout"]
    assert queue["ReceiveMessageWaitTimeSeconds"] == 20


@pytest.mark.parametrize(
    ("function", "queue"), [("DlqFunction", "TaskDeadLetterQueue"), ("WebhookFunction", "WebhookQueue")]
)
def test_queue_functions_consume_with_partial_batch_failures(
    cfn: dict[str, Any], function: str, queue: str
) -> None:
    mappings = of_type(cfn, "AWS::Lambda::EventSourceMapping").values()
    (props,) = [m["Properties"] for m in mappings if m["Properties"]["FunctionName"] == {"Ref": function}]
    assert props["EventSourceArn"] == {"Fn::GetAtt": [queue, "Arn"]}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    timeout = resource(cfn, function)["Timeout"]
    assert resource(cfn, queue)["VisibilityTimeout"] >= 6 * timeout


@pytest.mark.parametrize("table", ["TasksTable", "ApiKeysTable", "RateLimitsTable"])
def test_tables_are_on_demand_encrypted_and_restorable(cfn: dict[str, Any], table: str) -> None:
    props = resource(cfn, table)
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["SSESpecification"]["SSEEnabled"] is True


@pytest.mark.parametrize("table", ["TasksTable", "RateLimitsTable"])
def test_tasks_and_counters_expire_by_ttl(cfn: dict[str, Any], table: str) -> None:
    assert resource(cfn, table)["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}


# --- permissions -----------------------------------------------------------------------------------


def _policy_statements(cfn: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    for name, res in cfn["Resources"].items():
        props = res.get("Properties", {})
        # A Cognito user pool's `Policies` is its password policy, not IAM.
        iam_policies = props.get("Policies", []) if res["Type"] == "AWS::IAM::Role" else []
        documents = [p["PolicyDocument"] for p in iam_policies]
        if res["Type"] in {"AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"}:
            documents.append(props["PolicyDocument"])
        for document in documents:
            statements = document["Statement"]
            for statement in statements if isinstance(statements, list) else [statements]:
                found.append((name, statement))
    return found


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_wildcard_actions_or_resources_on_data_services(cfn: dict[str, Any]) -> None:
    statements = [(name, s) for name, s in _policy_statements(cfn) if s["Effect"] == "Allow"]
    assert statements, "the translated template has no inline policies: the walk found nothing to check"
    for name, statement in statements:
        actions = _as_list(statement["Action"])
        for action in actions:
            assert "*" not in action, f"{name} allows {action}"
        if any(action.startswith(DATA_SERVICES) for action in actions):
            assert "*" not in _as_list(statement["Resource"]), f"{name} allows {actions} on every resource"


def test_no_managed_policy_grants_data_access(cfn: dict[str, Any]) -> None:
    # AWS managed policies are invisible to the walk above: only logs, traces and ECS/EC2 plumbing may appear.
    allowed = {
        "service-role/AWSLambdaBasicExecutionRole",
        "AWSXrayWriteOnlyAccess",
        "service-role/AmazonEC2ContainerServiceforEC2Role",
        "AmazonSSMManagedInstanceCore",
        "service-role/AmazonECSTaskExecutionRolePolicy",
        "service-role/AmazonAPIGatewayPushToCloudWatchLogs",
    }
    for name, role in of_type(cfn, "AWS::IAM::Role").items():
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            text = arn["Fn::Sub"] if isinstance(arn, dict) else arn
            assert text.split(":policy/", 1)[1] in allowed, f"{name} attaches {text}"


def test_data_resources_are_reachable_only_through_named_arns(cfn: dict[str, Any]) -> None:
    data_ids = {name for name, res in cfn["Resources"].items() if res["Type"] in DATA_TYPES}
    granted: set[str] = set()
    for _, statement in _policy_statements(cfn):
        for res in _as_list(statement.get("Resource", [])):
            text = json.dumps(res)
            granted |= {logical_id for logical_id in data_ids if re.search(rf"\b{logical_id}\b", text)}
    # Every table, queue and the media bucket is used by someone, and through its own ARN. The dashboard's
    # bucket is no role's: only its CloudFront distribution reads it (origin access control).
    assert granted == data_ids - {"DashboardBucket"}
    (oac,) = [
        s
        for s in resource(cfn, "DashboardBucketPolicy")["PolicyDocument"]["Statement"]
        if s["Effect"] == "Allow"
    ]
    assert oac["Principal"] == {"Service": "cloudfront.amazonaws.com"} and oac["Action"] == "s3:GetObject"
    assert "DashboardDistribution" in json.dumps(oac["Condition"]["StringEquals"]["AWS:SourceArn"])


# --- configuration: one name per concept -----------------------------------------------------------


def test_every_function_gets_every_resource_variable_settings_reads(cfn: dict[str, Any]) -> None:
    assert RESOURCE_VARIABLES <= SETTINGS_ALIASES
    for name, props in functions(cfn).items():
        variables = props["Environment"]["Variables"]
        assert set(variables) >= RESOURCE_VARIABLES, name
        # boto3's own endpoint setting, empty (AWS's endpoints) unless `sam local` points it at moto.
        assert variables["AWS_ENDPOINT_URL"] == "", name
        ours = {v for v in variables if not v.startswith("POWERTOOLS_")} - {"AWS_ENDPOINT_URL"}
        assert ours <= SETTINGS_ALIASES, (
            f"{name} sets variables Settings does not read: {ours - SETTINGS_ALIASES}"
        )


def test_worker_gets_the_same_resource_names_as_the_functions(cfn: dict[str, Any]) -> None:
    shared = sam_template()["Globals"]["Function"]["Environment"]["Variables"]
    worker = worker_environment(cfn)
    for variable in RESOURCE_VARIABLES:
        assert worker[variable] == shared[variable], variable
    worker_own = {v for v in worker if not v.startswith(("POWERTOOLS_", "AWS_"))} - {"MODEL_LOCATION"}
    assert worker_own <= SETTINGS_ALIASES, worker_own - SETTINGS_ALIASES


def test_worker_requires_tier_only_when_asked(cfn: dict[str, Any]) -> None:
    (container,) = resource(cfn, "WorkerTaskDefinition")["ContainerDefinitions"]
    (optional,) = [e for e in container["Environment"] if "Fn::If" in e]
    condition, present, absent = optional["Fn::If"]
    assert condition == "HasRequiredTier"
    assert present["Name"] == "FACESWAP_REQUIRE_TIER"
    assert absent == {"Ref": "AWS::NoValue"}
    assert set(cfn["Parameters"]["RequiredEngineTier"]["AllowedValues"]) == {"", "offline", "production"}


# --- functions ---------------------------------------------------------------------------------------


def _handler_defined(handler: str) -> bool:
    module, _, function = handler.rpartition(".")
    path = REPO / (module.replace(".", "/") + ".py")
    if not path.is_file():
        return False
    tree = ast.parse(path.read_text())
    return any(isinstance(node, ast.FunctionDef) and node.name == function for node in tree.body)


def test_functions_run_python_312_with_handlers_that_exist(cfn: dict[str, Any]) -> None:
    handlers = {name: props["Handler"] for name, props in functions(cfn).items()}
    assert handlers == {
        "ApiFunction": "functions.api.handler.lambda_handler",
        "DlqFunction": "functions.dlq.handler.lambda_handler",
        "SweeperFunction": "functions.sweeper.handler.lambda_handler",
        "WebhookFunction": "functions.webhooks.handler.lambda_handler",
        "DashboardFunction": "functions.dashboard.handler.lambda_handler",
    }
    for name, props in functions(cfn).items():
        assert props["Runtime"] == "python3.12", name
        assert props["TracingConfig"] == {"Mode": "Active"}, name
        assert _handler_defined(props["Handler"]), f"{name}: {props['Handler']} is not defined in the repo"


def test_functions_carry_the_engine_layer_and_the_api_its_detector(cfn: dict[str, Any]) -> None:
    (layer_id,) = of_type(cfn, "AWS::Lambda::LayerVersion")
    for name, props in functions(cfn).items():
        assert props["Layers"] == [{"Ref": layer_id}], name
    api = resource(cfn, "ApiFunction")
    # The layer puts scrfd.onnx in /opt/models (infra/sam/build.py); the pre-check reads it from there.
    assert api["Environment"]["Variables"]["FACESWAP_MODEL_DIR"] == "/opt/models"
    template = sam_template()["Resources"]
    for name in ("ApiFunction", "DlqFunction", "SweeperFunction", "WebhookFunction", "EngineLayer"):
        assert template[name]["Metadata"] == {"BuildMethod": "makefile", "ContextPath": "infra/sam"}
    makefile = (REPO / "infra/sam/Makefile").read_text()
    for name in ("ApiFunction", "DlqFunction", "SweeperFunction", "WebhookFunction", "EngineLayer"):
        assert re.search(rf"^build-{name}:", makefile, re.MULTILINE), name


# --- API ---------------------------------------------------------------------------------------------

# The seed's six routes, and the additions the OpenAPI document lists (functions/api/openapi.py).
CONTRACT_ROUTES = {(path, method.lower()) for method, path in api_routes()}


# The dashboard's routes (README "Developer dashboard"): its own function; all but sign-up/in need a
# Cognito token, which the stage's authorizer checks before the function does.
DASHBOARD_OPEN_ROUTES = {
    ("/api/dashboard/auth/signup", "post"),
    ("/api/dashboard/auth/confirm", "post"),
    ("/api/dashboard/auth/signin", "post"),
}
DASHBOARD_SIGNED_IN_ROUTES = {
    ("/api/dashboard/me", "get"),
    ("/api/dashboard/keys", "get"),
    ("/api/dashboard/keys", "post"),
    ("/api/dashboard/keys/{key_id}/{change}", "post"),
    ("/api/dashboard/usage", "get"),
    ("/api/dashboard/tasks", "get"),
    ("/api/dashboard/faces", "post"),
}


def test_the_document_lists_the_dashboard_routes_the_template_routes() -> None:
    """The document spells the three key changes out (one operation each); the template routes them as
    one {change} path. Bearer tokens are asked for exactly where the Cognito authorizer sits."""

    def as_routed(path: str) -> str:
        return re.sub(r"/keys/\{key_id\}/(revoke|disable|enable)$", "/keys/{key_id}/{change}", path)

    documented = {(as_routed(path), method.lower()) for method, path in dashboard_routes()}
    assert documented == DASHBOARD_OPEN_ROUTES | DASHBOARD_SIGNED_IN_ROUTES
    bearer = {
        (as_routed(path), method.lower())
        for method, path in dashboard_routes()
        if openapi_document()["paths"][path][method.lower()]["security"] == [{"BearerAuth": []}]
    }
    assert bearer == DASHBOARD_SIGNED_IN_ROUTES


def _api_body(cfn: dict[str, Any]) -> dict[str, Any]:
    return resource(cfn, "FaceSwapApi")["Body"]


def test_api_routes_are_the_contracts(cfn: dict[str, Any]) -> None:
    paths = _api_body(cfn)["paths"]
    routes = {(path, method) for path, methods in paths.items() for method in methods if method != "options"}
    assert routes == CONTRACT_ROUTES | DASHBOARD_OPEN_ROUTES | DASHBOARD_SIGNED_IN_ROUTES
    for path, method in routes:
        integration = paths[path][method]["x-amazon-apigateway-integration"]
        assert integration["type"] == "aws_proxy"
        function = "ApiFunction" if (path, method) in CONTRACT_ROUTES else "DashboardFunction"
        assert f"{function}.Arn" in json.dumps(integration["uri"]), (path, method)
        authorized = paths[path][method].get("security") == [{"CognitoAuthorizer": []}]
        assert authorized is ((path, method) in DASHBOARD_SIGNED_IN_ROUTES), (path, method)
    # CORS preflight answered by API Gateway itself.
    assert all("options" in methods for methods in paths.values())


def test_multipart_and_images_are_binary(cfn: dict[str, Any]) -> None:
    binary = _api_body(cfn)["x-amazon-apigateway-binary-media-types"]
    assert "multipart/form-data" in binary
    assert {"image/jpeg", "image/png", "image/webp"} <= set(binary)
    assert "application/json" not in binary  # JSON bodies stay text


def test_stage_has_access_logs_tracing_and_throttling(cfn: dict[str, Any]) -> None:
    stage = resource(cfn, "FaceSwapApiStage")
    assert stage["TracingEnabled"] is True
    assert stage["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}
    log_format = json.loads(stage["AccessLogSetting"]["Format"])
    assert {"requestId", "status", "ip"} <= set(log_format)
    assert "apiKey" not in stage["AccessLogSetting"]["Format"].lower()  # keys never reach the logs
    (settings,) = stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == {"Ref": "ApiThrottleRateLimit"}
    assert settings["ThrottlingBurstLimit"] == {"Ref": "ApiThrottleBurstLimit"}


def test_usage_plan_is_a_coarse_shield_on_the_stage(cfn: dict[str, Any]) -> None:
    plan = resource(cfn, "ApiUsagePlan")
    (stage,) = plan["ApiStages"]
    assert (stage["ApiId"], stage["Stage"]) == ({"Ref": "FaceSwapApi"}, {"Ref": "FaceSwapApiStage"})
    # Only the status route has a per-key method throttle (test_template_guarantees.py).
    assert set(stage.get("Throttle", {})) == {"/api/task-status/{task_id}/GET"}
    assert set(plan["Throttle"]) == {"RateLimit", "BurstLimit"}
    # Our keys are checked (and counted per hour and day) by the function, not by API Gateway.
    for path, method in CONTRACT_ROUTES:
        assert not _api_body(cfn)["paths"][path][method].get("security"), (path, method)


def _rendered(template: str) -> dict[str, Any]:
    """A gateway response template as API Gateway would render it, with sample $context values."""
    text = template.replace("$context.error.messageString", json.dumps("Missing Authentication Token"))
    text = text.replace("$context.requestId", "c0ffee-1234")
    assert "$" not in text, f"unrendered variable in {template}"
    return json.loads(text)


EXPECTED_GATEWAY_RESPONSES = {
    "MISSING_AUTHENTICATION_TOKEN": ErrorCode.NOT_FOUND,
    "RESOURCE_NOT_FOUND": ErrorCode.NOT_FOUND,
    "INVALID_API_KEY": ErrorCode.INVALID_API_KEY,
    "UNAUTHORIZED": ErrorCode.UNAUTHORIZED,  # the dashboard's Cognito authorizer
    "ACCESS_DENIED": ErrorCode.FORBIDDEN,
    "THROTTLED": ErrorCode.RATE_LIMIT_EXCEEDED,
    "QUOTA_EXCEEDED": ErrorCode.RATE_LIMIT_EXCEEDED,
    "REQUEST_TOO_LARGE": ErrorCode.PAYLOAD_TOO_LARGE,
    "BAD_REQUEST_BODY": ErrorCode.INVALID_PARAMETER,
    "DEFAULT_4XX": ErrorCode.INVALID_PARAMETER,
    "INTEGRATION_TIMEOUT": ErrorCode.SERVER_ERROR,
    "DEFAULT_5XX": ErrorCode.SERVER_ERROR,
}


def test_gateway_responses_use_the_contract_envelope(cfn: dict[str, Any]) -> None:
    responses = _api_body(cfn)["x-amazon-apigateway-gateway-responses"]
    assert set(responses) == set(EXPECTED_GATEWAY_RESPONSES)
    for response_type, code in EXPECTED_GATEWAY_RESPONSES.items():
        response = responses[response_type]
        body = _rendered(response["responseTemplates"]["application/json"])
        assert body["success"] is False, response_type
        assert body["error"]["code"] == code.value, response_type
        assert isinstance(body["error"]["message"], str) and body["error"]["message"], response_type
        assert set(body) == {"success", "error"} and set(body["error"]) <= {"code", "message", "details"}
        headers = response["responseParameters"]
        assert headers["gatewayresponse.header.Content-Type"] == "'application/json'", response_type
        assert "gatewayresponse.header.Access-Control-Allow-Origin" in headers, response_type
        if response_type == "INTEGRATION_TIMEOUT":  # the gateway's timeout keeps its 504
            assert response["statusCode"] == "504"
        elif response_type != "DEFAULT_4XX":  # keeps API Gateway's own 4xx status
            assert int(response["statusCode"]) == HTTP_STATUS[code], response_type


def test_the_authorizers_401_is_the_documented_dashboard_401(cfn: dict[str, Any]) -> None:
    """On a stage the Cognito authorizer refuses a bad token before the function runs: its answer is the
    401 the OpenAPI document gives every BearerAuth route (envelope, code unauthorized, no-store)."""
    response = _api_body(cfn)["x-amazon-apigateway-gateway-responses"]["UNAUTHORIZED"]
    body = _rendered(response["responseTemplates"]["application/json"])
    documented = openapi_document()["paths"]["/api/dashboard/me"]["get"]["responses"]["401"]
    assert documented["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorEnvelope"
    }
    ErrorEnvelope.model_validate(body)
    assert (response["statusCode"], body["error"]["code"]) == ("401", "unauthorized")
    assert set(documented["headers"]) == {"Cache-Control"}
    assert response["responseParameters"]["gatewayresponse.header.Cache-Control"] == "'no-store'"


def test_gateway_429_and_413_carry_what_clients_need(cfn: dict[str, Any]) -> None:
    responses = _api_body(cfn)["x-amazon-apigateway-gateway-responses"]
    assert responses["THROTTLED"]["responseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    throttled = _rendered(responses["THROTTLED"]["responseTemplates"]["application/json"])
    # A token bucket has no window end: reset_at is there, and null (README "Security"); retry_after says 1 s.
    assert throttled["error"]["details"] == {"window": "stage", "reset_at": None, "retry_after": 1}
    for server_side in ("DEFAULT_5XX", "INTEGRATION_TIMEOUT"):
        assert responses[server_side]["responseParameters"]["gatewayresponse.header.Retry-After"] == "'5'"
    too_large = _rendered(responses["REQUEST_TOO_LARGE"]["responseTemplates"]["application/json"])
    assert too_large["error"]["details"]["limit_bytes"] == LAMBDA_EVENT_BODY_LIMIT_BYTES
    server_error = _rendered(responses["DEFAULT_5XX"]["responseTemplates"]["application/json"])
    assert server_error["error"]["details"]["request_id"] == "c0ffee-1234"


# --- GPU worker ------------------------------------------------------------------------------------


def test_worker_is_an_ecs_service_on_a_gpu_capacity_provider(cfn: dict[str, Any]) -> None:
    service = resource(cfn, "WorkerService")
    assert service["CapacityProviderStrategy"] == [
        {"CapacityProvider": {"Ref": "WorkerCapacityProvider"}, "Weight": 1}
    ]
    provider = resource(cfn, "WorkerCapacityProvider")["AutoScalingGroupProvider"]
    assert provider["ManagedScaling"]["Status"] == "ENABLED"
    assert provider["ManagedTerminationProtection"] == "ENABLED"
    assert resource(cfn, "WorkerAutoScalingGroup")["MinSize"] == "0"
    (container,) = resource(cfn, "WorkerTaskDefinition")["ContainerDefinitions"]
    assert container["ResourceRequirements"] == [{"Type": "GPU", "Value": "1"}]
    assert container["Image"] == {"Ref": "WorkerImageUri"}
    assert "gpu" in cfn["Parameters"]["GpuAmiId"]["Default"]


def test_worker_stops_within_its_stop_timeout(cfn: dict[str, Any]) -> None:
    (container,) = resource(cfn, "WorkerTaskDefinition")["ContainerDefinitions"]
    command = container["Command"]
    grace = float(command[command.index("--shutdown-grace-seconds") + 1])
    poll_wait = resource(cfn, "TaskQueue")["ReceiveMessageWaitTimeSeconds"]
    assert grace + poll_wait < container["StopTimeout"] <= 120


def test_worker_scales_on_backlog_down_to_zero(cfn: dict[str, Any]) -> None:
    target = resource(cfn, "WorkerScalableTarget")
    assert target["MinCapacity"] == 0
    assert target["ScalableDimension"] == "ecs:service:DesiredCount"
    to_zero = resource(cfn, "WorkerScaleToZeroPolicy")["StepScalingPolicyConfiguration"]
    assert to_zero["AdjustmentType"] == "ExactCapacity"
    assert [step["ScalingAdjustment"] for step in to_zero["StepAdjustments"]] == [0]
    idle = resource(cfn, "WorkerIdleAlarm")
    assert idle["AlarmActions"] == [{"Ref": "WorkerScaleToZeroPolicy"}]
    metrics = {m["MetricStat"]["Metric"]["MetricName"] for m in idle["Metrics"] if "MetricStat" in m}
    # Idle means nothing waiting *and* nothing in flight: a running swap is never scaled away.
    assert metrics == {"ApproximateNumberOfMessagesVisible", "ApproximateNumberOfMessagesNotVisible"}
    out = resource(cfn, "WorkerBacklogAlarm")
    assert out["AlarmActions"] == [{"Ref": "WorkerScaleOutPolicy"}]
    # Waiting time, not queue length: a busy worker keeps up with a queue that is never quite empty.
    assert out["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert out["Threshold"] == {"Ref": "WorkerScaleOutAgeSeconds"}
    steps = resource(cfn, "WorkerScaleOutPolicy")["StepScalingPolicyConfiguration"]["StepAdjustments"]
    assert all(step["ScalingAdjustment"] > 0 for step in steps)


def test_surplus_workers_are_removed_one_at_a_time_but_never_the_last(cfn: dict[str, Any]) -> None:
    policy = resource(cfn, "WorkerScaleInPolicy")["StepScalingPolicyConfiguration"]
    assert policy["AdjustmentType"] == "ChangeInCapacity"
    assert [step["ScalingAdjustment"] for step in policy["StepAdjustments"]] == [-1]
    alarm = resource(cfn, "WorkerSurplusAlarm")
    assert alarm["AlarmActions"] == [{"Ref": "WorkerScaleInPolicy"}]
    (expression,) = [m["Expression"] for m in alarm["Metrics"] if "Expression" in m]
    # Going to zero is the idle rule's job: this one keeps a steady trickle's only worker.
    assert "running > 1" in expression


def test_model_location_must_be_s3_and_the_worker_may_read_only_there(cfn: dict[str, Any]) -> None:
    pattern = re.compile(cfn["Parameters"]["ModelLocation"]["AllowedPattern"])
    assert pattern.fullmatch("s3://faceswap-models-prod/v1/")
    assert pattern.fullmatch("s3://faceswap-models-prod/")
    assert not pattern.fullmatch("https://example.com/models/")
    assert not pattern.fullmatch("s3://faceswap-models-prod/v1")  # a prefix ends with "/"
    policy = resource(cfn, "WorkerTaskRole")["Policies"][0]["PolicyDocument"]["Statement"]
    (pull,) = [s for s in policy if s["Sid"] == "PullModels"]
    assert pull["Action"] == ["s3:GetObject"]
    assert worker_environment(cfn)["MODEL_LOCATION"] == {"Ref": "ModelLocation"}


# --- alarms and outputs ------------------------------------------------------------------------------


def _alarm_on(cfn: dict[str, Any], metric: str, dimension_value: dict[str, Any]) -> dict[str, Any]:
    """The alarm that tells operators (through the topic) about `metric` of the given resource."""
    for alarm in of_type(cfn, "AWS::CloudWatch::Alarm").values():
        props = alarm["Properties"]
        if (
            props.get("MetricName") == metric
            and any(d["Value"] == dimension_value for d in props.get("Dimensions", []))
            and props["AlarmActions"] == [{"Ref": "AlarmTopic"}]
        ):
            return props
    raise AssertionError(f"no alarm to operators on {metric} for {dimension_value}")


def test_operators_are_alarmed(cfn: dict[str, Any]) -> None:
    dlq = _alarm_on(
        cfn, "ApproximateNumberOfMessagesVisible", {"Fn::GetAtt": ["TaskDeadLetterQueue", "QueueName"]}
    )
    oldest = _alarm_on(cfn, "ApproximateAgeOfOldestMessage", {"Fn::GetAtt": ["TaskQueue", "QueueName"]})
    api = _alarm_on(cfn, "5XXError", {"Fn::Sub": "faceswap-${Stage}"})
    assert dlq["Threshold"] == 0 and dlq["ComparisonOperator"] == "GreaterThanThreshold"
    assert oldest["Threshold"] == {"Ref": "OldestMessageAlarmSeconds"}
    assert api["Statistic"] == "Sum"
    assert resource(cfn, "FaceSwapApi")["Name"] == {"Fn::Sub": "faceswap-${Stage}"}  # the 5xx alarm's ApiName


def test_required_parameters_and_outputs(cfn: dict[str, Any]) -> None:
    assert {"Stage", "WorkerImageUri", "ModelLocation", "RetentionDays"} <= set(cfn["Parameters"])
    assert {
        "ApiBaseUrl",
        "MediaBucketName",
        "TaskQueueUrl",
        "TaskDeadLetterQueueUrl",
        "TasksTableName",
        "ApiKeysTableName",
        "RateLimitsTableName",
        "WorkerClusterName",
        "WorkerServiceName",
    } <= set(cfn["Outputs"])


# --- edge protection: WAF, concurrency, timeouts, CORS --------------------------------------------------


def _waf_rule(cfn: dict[str, Any], name: str) -> dict[str, Any]:
    (rule,) = [r for r in resource(cfn, "ApiWebAcl")["Rules"] if r["Name"] == name]
    return rule


def _waf_body(cfn: dict[str, Any], rule: dict[str, Any]) -> dict[str, Any]:
    key = rule["Action"]["Block"]["CustomResponse"]["CustomResponseBodyKey"]
    body = resource(cfn, "ApiWebAcl")["CustomResponseBodies"][key]
    assert body["ContentType"] == "APPLICATION_JSON"
    return json.loads(body["Content"])


def test_a_waf_web_acl_guards_the_stage(cfn: dict[str, Any]) -> None:
    acl = resource(cfn, "ApiWebAcl")
    assert acl["Scope"] == "REGIONAL" and acl["DefaultAction"] == {"Allow": {}}
    association = resource(cfn, "ApiWebAclAssociation")
    assert association["WebACLArn"] == {"Fn::GetAtt": ["ApiWebAcl", "Arn"]}
    arn = association["ResourceArn"]["Fn::Sub"]
    assert arn.endswith("/restapis/${FaceSwapApi}/stages/${FaceSwapApiStage}")


def test_one_ip_past_its_rate_gets_the_contracts_429(cfn: dict[str, Any]) -> None:
    rule = _waf_rule(cfn, "PerIpRate")
    rate = rule["Statement"]["RateBasedStatement"]
    assert rate["AggregateKeyType"] == "IP" and rate["Limit"] == {"Ref": "WafRequestsPerIpPer5Min"}
    response = rule["Action"]["Block"]["CustomResponse"]
    assert response["ResponseCode"] == 429
    assert {"Name": "Retry-After", "Value": "60"} in response["ResponseHeaders"]
    body = _waf_body(cfn, rule)
    assert body["success"] is False and body["error"]["code"] == ErrorCode.RATE_LIMIT_EXCEEDED.value
    assert body["error"]["details"]["reset_at"] is None and body["error"]["details"]["retry_after"] == 60


def _regex(rule_statement: dict[str, Any]) -> re.Pattern[str]:
    return re.compile(rule_statement["RegexMatchStatement"]["RegexString"])


def test_bodies_lambda_would_refuse_get_the_contracts_413(cfn: dict[str, Any]) -> None:
    binary = _waf_rule(cfn, "BinaryBodyTooLarge")
    content_type, length = (_regex(s) for s in binary["Statement"]["AndStatement"]["Statements"])
    for sent in ("multipart/form-data; boundary=x", " image/jpeg", "image/png", "image/webp"):
        assert content_type.search(sent), sent
    for sent in ("application/json", "text/plain", "application/x-multipart/form-data"):
        assert not content_type.search(sent), sent
    raw_limit = _waf_body(cfn, binary)["error"]["details"]["limit_bytes"]
    assert raw_limit == 4_599_999
    # base64 of the largest binary body passed on, with room for the rest of the event.
    assert (raw_limit + 2) // 3 * 4 < LAMBDA_EVENT_BODY_LIMIT_BYTES - 100_000
    plain = _waf_rule(cfn, "BodyTooLarge")
    plain_length = _regex(plain["Statement"])
    plain_limit = _waf_body(cfn, plain)["error"]["details"]["limit_bytes"]
    assert plain_limit == 6_199_999 < LAMBDA_EVENT_BODY_LIMIT_BYTES - 50_000
    for pattern, limit in ((length, raw_limit), (plain_length, plain_limit)):
        for size in (0, 1, 999, limit - 1, limit, 10_000, 999_999):
            assert not pattern.search(str(size)), (limit, size)
        for size in (limit + 1, limit + 2, limit + 99_999, 9_999_999, 10_485_760, 123_456_789_012):
            assert pattern.search(str(size)), (limit, size)
        assert pattern.search("0" + str(limit + 1)) and not pattern.search(str(limit) + "x")
    for rule in (binary, plain):
        assert rule["Action"]["Block"]["CustomResponse"]["ResponseCode"] == 413
        assert _waf_body(cfn, rule)["error"]["code"] == ErrorCode.PAYLOAD_TOO_LARGE.value


def test_api_and_dlq_functions_have_reserved_concurrency(cfn: dict[str, Any]) -> None:
    api, dlq = resource(cfn, "ApiFunction"), resource(cfn, "DlqFunction")
    assert api["ReservedConcurrentExecutions"] == {"Ref": "ApiReservedConcurrency"}
    assert dlq["ReservedConcurrentExecutions"] == {"Ref": "DlqReservedConcurrency"}
    for name in ("ApiReservedConcurrency", "DlqReservedConcurrency", "WafRequestsPerIpPer5Min"):
        assert cfn["Parameters"][name]["Type"] == "Number" and cfn["Parameters"][name]["MinValue"] >= 1


def test_the_api_function_answers_well_before_api_gateways_29_s(cfn: dict[str, Any]) -> None:
    timeout = resource(cfn, "ApiFunction")["Timeout"]
    assert timeout <= 29 - 5
    fetch_budget = Settings.model_fields["url_fetch_timeout_seconds"]
    assert fetch_budget.default + 5 <= timeout  # every URL of a request, then the face pre-check
    assert max(m.le for m in fetch_budget.metadata if hasattr(m, "le")) < timeout


def test_cors_origin_comes_from_the_parameter_everywhere(cfn: dict[str, Any]) -> None:
    env = resource(cfn, "ApiFunction")["Environment"]["Variables"]
    assert env["CORS_ALLOW_ORIGIN"] == {"Ref": "CorsAllowOrigin"}
    responses = _api_body(cfn)["x-amazon-apigateway-gateway-responses"]
    for name, response in responses.items():
        origin = response["responseParameters"]["gatewayresponse.header.Access-Control-Allow-Origin"]
        assert origin == {"Fn::Sub": "'${CorsAllowOrigin}'"}, name
    assert "'*'" not in (REPO / "template.yaml").read_text()


def test_the_api_function_knows_the_media_retention(cfn: dict[str, Any]) -> None:
    env = resource(cfn, "ApiFunction")["Environment"]["Variables"]
    assert env["MEDIA_RETENTION_DAYS"] == {"Ref": "RetentionDays"}
    assert env["URL_FETCH_ALLOW_HTTP"] == "false"
