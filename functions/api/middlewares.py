"""The middleware chains in front of each kind of route, outermost first.

Swap routes: authenticate -> prefer_wait (holds a 201 up to N s) -> idempotent_submission (a replay is
answered before anything is counted) -> limit_submissions -> the route (which validates), so limits sit
in front of validation. Status polls: authenticate -> limit_status_polls. Routes that are not counted
against the plan (uploads): authenticate -> report_usage (X-RateLimit-* read without counting).
"""

from __future__ import annotations

from functions.api.auth import authenticate
from functions.api.idempotency import idempotent_submission
from functions.api.prefer_wait import prefer_wait
from functions.api.rate_limiting import limit_status_polls, limit_submissions, report_usage

SWAP_MIDDLEWARES = [authenticate, prefer_wait, idempotent_submission, limit_submissions]
STATUS_MIDDLEWARES = [authenticate, limit_status_polls]
UNCOUNTED_MIDDLEWARES = [authenticate, report_usage]
