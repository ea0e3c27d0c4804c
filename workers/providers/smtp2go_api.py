"""SMTP2GO's API as every SMTP2GO question uses it (reference/providers.md §4, §11).

Every call is a POST with a JSON body. An answer may carry a failure as `{"data": {"error",
"error_code"}}` even with a 2xx status, and a key without permission for an endpoint gets HTTP 400
`E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED` (keys carry per-endpoint permissions).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from workers.providers.base import DeliveryEvent, ProviderSpec, ProviderTime
from workers.providers.http import ProviderAuthError, ProviderError, ProviderHttp, ProviderKeyScope

SPEC = ProviderSpec(
    name="smtp2go",
    label="SMTP2GO",
    base_url="https://api.smtp2go.com/v3",
    auth_header="X-Smtp2go-Api-Key",
    # ⚠ UNCONFIRMED still current (2017 spec); Retry-After is tried first.
    reset_headers=("x-ratelimit-reset",),
)
PERMISSION_DENIED = "E_ApiResponseCodes.ENDPOINT_PERMISSION_DENIED"
EVENTS = {
    "processed": DeliveryEvent.SENT,
    "delivered": DeliveryEvent.DELIVERED,
    "soft-bounced": DeliveryEvent.DEFERRED,  # a temporary failure SMTP2GO retries: a deferral (SPEC §15)
    "hard-bounced": DeliveryEvent.BOUNCED_HARD,
    "rejected": DeliveryEvent.SUPPRESSED,  # SMTP2GO refused to send it (recipient on its suppression list)
    "spam": DeliveryEvent.COMPLAINED,
}


class Activity(BaseModel):
    email_id: str
    date: ProviderTime
    event: str
    recipient: str | None = None
    smtp_response: str | None = None
    reason: str | None = None
    host: str | None = None


class ActivityData(BaseModel):
    events: list[Activity] = []
    continue_token: str | None = None
    total_events: int | None = None


class ActivityAnswer(BaseModel):
    data: ActivityData


async def post(http: ProviderHttp, path: str, body: dict[str, Any], *, scoped: bool = False) -> Any:
    """POST, with SMTP2GO's in-band errors raised. `scoped`: a part the key may lack permission for,
    whose denial is a ProviderKeyScope (a note) rather than a configuration error."""
    response = await http.request("POST", path, json=body, passthrough=(400,))
    answer = http.json_of(response)
    data = answer.get("data") if isinstance(answer, dict) else None
    data = data if isinstance(data, dict) else {}
    if data.get("error_code") == PERMISSION_DENIED:
        if scoped:
            raise ProviderKeyScope(http.refusal(response.status_code, answer))
        raise ProviderAuthError(
            f"MAIL_PROVIDER_API_KEY may not call {path} at SMTP2GO (ENDPOINT_PERMISSION_DENIED): "
            "a configuration error; allow that endpoint for the key"
        )
    if data.get("error") or response.status_code == 400:
        code = str(data.get("error_code") or data.get("error") or response.status_code)
        raise ProviderError(http.shown(f"SMTP2GO refused {path}: {code}"))
    return answer
