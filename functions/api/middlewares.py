"""The middleware chains in front of each kind of route.

Order on a swap route: authenticate -> limit_submissions -> the route (which validates), so limits sit
in front of validation. Status polls: authenticate -> limit_status_polls.
"""

from __future__ import annotations

from functions.api.auth import authenticate
from functions.api.rate_limiting import limit_status_polls, limit_submissions

SWAP_MIDDLEWARES = [authenticate, limit_submissions]
STATUS_MIDDLEWARES = [authenticate, limit_status_polls]
