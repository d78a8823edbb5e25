"""FaceSwap API client: `Client` / `AsyncClient`, `Task`, typed errors, webhook verification."""

__version__ = "0.1.0"

from faceswap_sdk.client import AsyncClient, Client
from faceswap_sdk.errors import *  # noqa: F403
from faceswap_sdk.errors import ERRORS_BY_CODE, ApiError, FaceSwapError
from faceswap_sdk.task import AsyncTask, RateLimit, Task
from faceswap_sdk.verification import ContentCredentials, VerifyResult, Watermark
from faceswap_sdk.webhooks import verify_webhook

__all__ = [
    "ERRORS_BY_CODE",
    "ApiError",
    "AsyncClient",
    "AsyncTask",
    "Client",
    "ContentCredentials",
    "FaceSwapError",
    "RateLimit",
    "Task",
    "VerifyResult",
    "Watermark",
    "verify_webhook",
]
