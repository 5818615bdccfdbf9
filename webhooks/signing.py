"""Standard Webhooks signatures (https://www.standardwebhooks.com): HMAC-SHA256 over "<id>.<timestamp>.<body>"
with the endpoint's secret ("whsec_" + base64 key), sent as `webhook-signature: v1,<base64>` beside `webhook-id`
and `webhook-timestamp` (seconds since the epoch). The README shows a receiver verifying it."""

import base64
import hashlib
import hmac
import secrets

PREFIX = "whsec_"
TOLERANCE_SECONDS = 5 * 60


def secret_new() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(PREFIX))


def signature(*, secret, msg_id, timestamp, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def signed_headers(*, secret, msg_id, timestamp, body: bytes) -> dict:
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp)),
        "webhook-signature": signature(secret=secret, msg_id=msg_id, timestamp=int(timestamp), body=body),
    }


def signature_valid(*, secret, headers, body: bytes, now=None) -> bool:
    """What a receiver does: the timestamp is recent and one of the space-separated signatures matches."""
    import time

    msg_id, timestamp = headers.get("webhook-id", ""), headers.get("webhook-timestamp", "")
    if not msg_id or not timestamp.isdigit():
        return False
    if abs((now or time.time()) - int(timestamp)) > TOLERANCE_SECONDS:
        return False
    expected = signature(secret=secret, msg_id=msg_id, timestamp=int(timestamp), body=body)
    return any(hmac.compare_digest(expected, given) for given in headers.get("webhook-signature", "").split())
