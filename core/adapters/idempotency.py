"""Run a submission at most once per (API key, Idempotency-Key): Powertools' idempotency utility over its
DynamoDB persistence layer (table IdempotencyTable, the layer's default attribute names).

The first request stores an in-progress record (a conditional put), runs, and stores its answer; a repeat
within the window gets that answer back (`Replay`) without running again; a repeat while the first still
runs, or with another body, raises. A run that raises leaves no record, so a retry runs afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyInconsistentStateError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from core.adapters.clients import client
from core.logic.idempotency import (
    IDEMPOTENCY_WINDOW_SECONDS,
    RECORD_KEY_PATH,
    SAME_REQUEST_PATH,
    IdempotentRequest,
)


class KeyReused(Exception):
    """The Idempotency-Key was first used with another route or body."""


class StillRunning(Exception):
    """The first request with this Idempotency-Key has not finished."""


@dataclass(frozen=True)
class Replay:
    answer: dict[str, Any]


def run_once(
    table_name: str,
    request: IdempotentRequest,
    work: Callable[[], dict[str, Any]],
    lambda_context: LambdaContext | None = None,
) -> dict[str, Any] | Replay:
    """`work()`'s JSON answer, stored; or the stored answer of the first run, as a Replay."""
    config = IdempotencyConfig(
        event_key_jmespath=RECORD_KEY_PATH,
        payload_validation_jmespath=SAME_REQUEST_PATH,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=IDEMPOTENCY_WINDOW_SECONDS,
        response_hook=lambda answer, _record: Replay(answer),
    )
    if lambda_context is not None:
        # An in-progress record of a function that timed out then expires with it, not after 24 h.
        config.register_lambda_context(lambda_context)
    store = DynamoDBPersistenceLayer(table_name=table_name, boto3_client=client("dynamodb"))

    # Powertools' decorator is untyped.
    @idempotent_function(  # type: ignore[untyped-decorator]
        data_keyword_argument="request", persistence_store=store, config=config, key_prefix="submission"
    )
    def run(request: IdempotentRequest) -> dict[str, Any]:
        return work()

    try:
        answer: dict[str, Any] | Replay = run(request=request)
        return answer
    except IdempotencyValidationError as error:
        raise KeyReused from error
    except (IdempotencyAlreadyInProgressError, IdempotencyInconsistentStateError) as error:
        raise StillRunning from error
