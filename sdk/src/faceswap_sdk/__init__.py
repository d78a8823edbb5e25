"""FaceSwap API client: `Client` / `AsyncClient`, `Task`, typed errors, webhook verification."""

__version__ = "0.1.0"

from faceswap_sdk.client import AsyncClient, Client
from faceswap_sdk.errors import *  # noqa: F403
from faceswap_sdk.errors import ERRORS_BY_CODE, ApiError, FaceSwapError
from faceswap_sdk.task import AsyncTask, Task
from faceswap_sdk.webhooks import verify_webhook

__all__ = [
    "ERRORS_BY_CODE",
    "ApiError",
    "AsyncClient",
    "AsyncTask",
    "Client",
    "FaceSwapError",
    "Task",
    "verify_webhook",
]
