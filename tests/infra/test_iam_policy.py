"""The IAM evaluator the suite holds every AWS call to (tests/aws_calls.py), and the roles it reads."""

from __future__ import annotations

import pytest

from tests.aws_calls import RECORDER, AwsCall, iam_action, resource_arns
from tests.infra.iam_policy import ACCOUNT, Role, Statement, Unsupported, roles, roles_in
from tests.infra.translated import translate

TABLE = f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/faceswap-test-tasks-table"
BUCKET = "arn:aws:s3:::faceswap-test-media-bucket"
QUEUE = f"arn:aws:sqs:us-east-1:{ACCOUNT}:faceswap-test-task-queue"


def _role(*statements: Statement) -> Role:
    return Role("R", statements)


def test_allow_needs_a_matching_action_and_resource_with_wildcards() -> None:
    role = _role(Statement("Allow", ("s3:Get*", "dynamodb:getitem"), (f"{BUCKET}/tasks/*", TABLE), False))
    assert role.allows("s3:GetObject", f"{BUCKET}/tasks/abc/result.jpg")
    assert role.allows("dynamodb:GetItem", TABLE), "actions match case-insensitively"
    assert not role.allows("s3:GetObject", f"{BUCKET}/other/key")
    assert not role.allows("s3:PutObject", f"{BUCKET}/tasks/x")
    assert not role.allows("dynamodb:GetItem", TABLE.upper()), "resources match case-sensitively"
    assert not role.allows("dynamodb:GetItem", TABLE + "-2")
    single = _role(Statement("Allow", ("sqs:*",), (QUEUE[:-1] + "?",), False))
    assert single.allows("sqs:SendMessage", QUEUE)
    assert not single.allows("sqs:SendMessage", QUEUE + "xx")


def test_explicit_deny_wins_and_conditions_never_grant() -> None:
    role = _role(
        Statement("Allow", ("*",), ("*",), False),
        Statement("Deny", ("s3:*",), (f"{BUCKET}/*",), True),
    )
    assert role.allows("dynamodb:PutItem", TABLE)
    assert role.decide("s3:GetObject", f"{BUCKET}/tasks/x") == (False, "denied by a Deny statement")
    conditional = _role(Statement("Allow", ("dynamodb:*",), ("*",), True))
    assert not conditional.allows("dynamodb:GetItem", TABLE)


def test_sam_policy_templates_are_evaluated_as_expanded() -> None:
    template = {
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {
            "TasksTable": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {"KeySchema": [{"AttributeName": "k", "KeyType": "HASH"}]},
            },
            "TaskQueue": {"Type": "AWS::SQS::Queue"},
            "Fn": {
                "Type": "AWS::Serverless::Function",
                "Properties": {
                    "CodeUri": "s3://b/k.zip",
                    "Handler": "h.h",
                    "Runtime": "python3.12",
                    "Policies": [
                        {"DynamoDBReadPolicy": {"TableName": {"Ref": "TasksTable"}}},
                        {"SQSSendMessagePolicy": {"QueueName": {"Fn::GetAtt": ["TaskQueue", "QueueName"]}}},
                    ],
                },
            },
        },
    }
    role = roles_in(translate(template), "test")["FnRole"]
    assert role.allows("dynamodb:GetItem", TABLE)
    assert role.allows("dynamodb:Query", TABLE + "/index/KeyIdIndex")
    assert not role.allows("dynamodb:UpdateItem", TABLE)
    assert role.allows("sqs:SendMessage", QUEUE)
    assert not role.allows("sqs:SendMessage", QUEUE.replace("task-queue", "other"))


def test_unsupported_policy_elements_fail_loudly() -> None:
    template = {
        "Resources": {
            "R": {
                "Type": "AWS::IAM::Role",
                "Properties": {
                    "Policies": [
                        {
                            "PolicyDocument": {
                                "Statement": [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]
                            }
                        }
                    ]
                },
            }
        }
    }
    with pytest.raises(Unsupported):
        roles_in(template, "test")


def test_calls_are_named_as_iam_names_them() -> None:
    assert iam_action("s3", "HeadObject") == "s3:GetObject"
    assert iam_action("s3", "HeadBucket") == "s3:ListBucket"
    assert iam_action("dynamodb", "UpdateItem") == "dynamodb:UpdateItem"
    assert resource_arns("s3", {"Bucket": "b", "Key": "tasks/1/x"}) == ("arn:aws:s3:::b/tasks/1/x",)
    assert resource_arns("s3", {"Bucket": "b"}) == ("arn:aws:s3:::b",)
    assert resource_arns(
        "sqs", {"QueueUrl": f"http://127.0.0.1:5000/{ACCOUNT}/faceswap-test-task-queue"}
    ) == (QUEUE,)
    assert resource_arns("dynamodb", {"RequestItems": {"a": {}, "b": {}}}) == (
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/a",
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/b",
    )
    assert resource_arns("dynamodb", {"TableName": "t", "IndexName": "i"}) == (
        f"arn:aws:dynamodb:us-east-1:{ACCOUNT}:table/t/index/i",
    )


@pytest.mark.parametrize(
    ("call", "refused"),
    [
        # The three defects the recorder was built to catch (issue 9): each must be refused.
        (AwsCall("ApiFunction", "dynamodb:DescribeTable", (TABLE,), "test", "functions.api.health:1"), True),
        (AwsCall("ApiFunction", "s3:ListBucket", (BUCKET,), "test", "functions.api.health:1"), True),
        (AwsCall("WorkerTaskDefinition", "s3:ListBucket", (BUCKET,), "test", "worker:1"), True),
        (AwsCall("DlqFunction", "sqs:SendMessage", (QUEUE,), "test", "core.logic.dlq:1"), True),
        # What each process does need.
        (
            AwsCall("ApiFunction", "dynamodb:UpdateItem", (TABLE,), "test", "functions.api.submission:1"),
            False,
        ),
        (AwsCall("ApiFunction", "s3:GetObject", (f"{BUCKET}/tasks/t/result.png",), "test", "x:1"), False),
        (AwsCall("DlqFunction", "dynamodb:UpdateItem", (TABLE,), "test", "core.logic.dlq:1"), False),
        (AwsCall("WorkerTaskDefinition", "sqs:DeleteMessage", (QUEUE,), "test", "worker:1"), False),
        # A table the template does not create: a test's deliberate fault, not checked.
        (AwsCall("ApiFunction", "dynamodb:PutItem", (TABLE + "-gone",), "test", "x:1"), False),
    ],
)
def test_the_template_roles_decide_calls(call: AwsCall, refused: bool) -> None:
    assert bool(RECORDER.refused([call])) is refused


def test_each_process_runs_with_its_own_least_privilege_role() -> None:
    found = roles("test")
    assert {"ApiFunctionRole", "DlqFunctionRole", "WorkerTaskRole"} <= set(found)
    for role in ("ApiFunctionRole", "DlqFunctionRole", "WorkerTaskRole"):
        assert not found[role].allows("s3:ListBucket", BUCKET)
        assert not found[role].allows("dynamodb:DeleteItem", TABLE)
