"""Webhook function: SQS event source on the webhook queue; one record = one delivery attempt
(core.logic.webhooks). A record whose AWS calls fail is reported back and retried by SQS."""

from __future__ import annotations

from typing import Any

from core.adapters.webhook_queue import parse_record
from core.logic.webhooks import Deliverer
from core.observability import bind_request, logger
from core.settings import get_settings


def handle_records(records: list[dict[str, Any]], deliverer: Deliverer) -> dict[str, Any]:
    failures = []
    for record in records:
        try:
            outcome = deliverer.handle_received(parse_record(record))
            logger.info("webhook message handled", outcome=outcome)
        except Exception:
            logger.exception("webhook message failed; SQS will retry it")
            failures.append({"itemIdentifier": record.get("messageId", "")})
    return {"batchItemFailures": failures}


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    bind_request(context)
    return handle_records(event.get("Records", []), Deliverer.from_settings(get_settings()))
