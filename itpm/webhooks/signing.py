"""Standard Webhooks signatures (https://www.standardwebhooks.com/, "Signature scheme").

The signed content is ``{webhook-id}.{webhook-timestamp}.{body}``; the signature is the
base64 of its HMAC-SHA256 under the secret's base64-decoded bytes, sent as ``v1,<base64>``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import uuid

SECRET_PREFIX = "whsec_"  # noqa: S105 - the public prefix of every secret, not a secret


def secret_generate() -> str:
    """A new signing secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def message_id_generate() -> str:
    return "msg_" + uuid.uuid4().hex


def sign(*, secret: str, message_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` header value for one request."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    content = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(key, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(
    *, secret: str, message_id: str, timestamp: int, body: str, old_secrets: tuple[str, ...] = ()
) -> dict[str, str]:
    """Every header of a delivery request (the signature covers id, timestamp and body).

    With ``old_secrets`` (during a rotation) the header holds one space-separated signature
    per secret, the current one first; a receiver accepts the request if any one matches.
    """
    signatures = [
        sign(secret=key, message_id=message_id, timestamp=timestamp, body=body)
        for key in (secret, *old_secrets)
    ]
    return {
        "content-type": "application/json",
        "user-agent": "itpm-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signatures),
    }
