"""What the template must hold for "nothing lost, nothing waits for ever": message retention longer
than a task may wait, the sparse SweepIndex, the scheduled sweeper with the calls it makes, visibility
longer than the lease, and the per-key throttle on status polls."""

from __future__ import annotations

from typing import Any

import pytest

from core.settings import Settings
from tests.infra.translated import of_type, translated


@pytest.fixture(scope="module")
def cfn() -> dict[str, Any]:
    return translated()


def properties(cfn: dict[str, Any], logical_id: str) -> dict[str, Any]:
    return cfn["Resources"][logical_id]["Properties"]


def sweeper_environment(cfn: dict[str, Any]) -> dict[str, str]:
    return properties(cfn, "SweeperFunction")["Environment"]["Variables"]


def test_messages_outlive_the_longest_a_task_may_wait(cfn: dict[str, Any]) -> None:
    queue = properties(cfn, "TaskQueue")
    bound = int(sweeper_environment(cfn)["TASK_MAX_QUEUED_SECONDS"])
    redrive_after = int(sweeper_environment(cfn)["TASK_REDRIVE_AFTER_SECONDS"])
    # A queued task ends after `bound`; a lapsed one is re-driven after `redrive_after`: a message is
    # never dropped by retention before its task was ended or re-driven.
    assert queue["MessageRetentionPeriod"] >= 24 * (bound + redrive_after)
    assert Settings().task_max_queued_seconds == bound


def test_the_sweep_index_is_sparse_and_keyed_as_the_code_queries_it(cfn: dict[str, Any]) -> None:
    table = properties(cfn, "TasksTable")
    (index,) = [i for i in table["GlobalSecondaryIndexes"] if i["IndexName"] == "SweepIndex"]
    assert [(k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]] == [
        ("sweep_status", "HASH"),
        ("sweep_at", "RANGE"),
    ]
    types = {a["AttributeName"]: a["AttributeType"] for a in table["AttributeDefinitions"]}
    assert types["sweep_status"] == "S" and types["sweep_at"] == "N"


def test_the_sweeper_runs_every_minute_with_the_attempts_the_queue_allows(cfn: dict[str, Any]) -> None:
    (schedule,) = of_type(cfn, "AWS::Scheduler::Schedule").values()
    assert schedule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    redrive = properties(cfn, "TaskQueue")["RedrivePolicy"]
    assert int(sweeper_environment(cfn)["TASK_MAX_ATTEMPTS"]) == int(redrive["maxReceiveCount"])
    assert properties(cfn, "SweeperFunction")["Handler"] == "functions.sweeper.handler.lambda_handler"


def test_the_sweeper_role_grants_exactly_the_calls_it_makes(cfn: dict[str, Any]) -> None:
    role = properties(cfn, "SweeperFunctionRole")
    granted = {
        action
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in statement["Action"]
    }
    assert granted == {"dynamodb:Query", "dynamodb:GetItem", "dynamodb:UpdateItem", "sqs:SendMessage"}


def test_the_lease_runs_out_before_the_message_reappears() -> None:
    settings = Settings()
    assert settings.worker_lease_seconds < settings.worker_visibility_timeout_seconds
    with pytest.raises(ValueError, match="WORKER_LEASE_SECONDS"):
        Settings(WORKER_LEASE_SECONDS=120, WORKER_VISIBILITY_TIMEOUT_SECONDS=120)


def test_status_polls_are_throttled_per_key_by_api_gateway(cfn: dict[str, Any]) -> None:
    (stage,) = properties(cfn, "ApiUsagePlan")["ApiStages"]
    assert stage["Throttle"]["/api/task-status/{task_id}/GET"] == {"RateLimit": 10, "BurstLimit": 10}
