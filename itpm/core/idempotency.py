"""``Idempotency-Key`` on API POSTs: a retried request does its work once.

A client that sends ``Idempotency-Key: <any string up to 255 characters>`` with a POST under
``/api/`` may send the same request again (after a timeout, a dropped connection, a crash of
its own) and get the first answer back instead of a second row:

- The key is scoped to the user. It is remembered with the route and a SHA-256 of the body
  and the successful (2xx) answer: status, body, ``Content-Type``, ``ETag`` and ``Location``.
- A replay answers the stored response with ``Idempotent-Replayed: true``; the same key
  with another route or body is a 422 naming the header.
- The key row is inserted in the same transaction as the request's own writes, so it exists
  exactly when they were committed. Concurrent duplicates insert the same (user, key): the
  unique constraint makes them wait for the first transaction, then replay its answer (or, if
  the first did not succeed, run themselves).
- An answer that is not a 2xx is not remembered: the request's use case rolled back its own
  writes, so the client may retry with the same key.
- Keys expire after 24 hours (``idempotency_keys_expire``, run by the periodic housekeeping
  job); an expired key counts as new.

Requests without the header behave exactly as before.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from itpm.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
TTL = dt.timedelta(hours=24)
MAX_KEY_LENGTH = 255
_KEPT_HEADERS = ("ETag", "Location")
# A duplicate that finds the first attempt neither stored nor gone retries this often.
_ATTEMPTS = 5


def _now() -> dt.datetime:
    return timezone.now()


class _Duplicate(Exception):
    """Another request holds (or just committed) the same key."""


def _invalid(message: str) -> JsonResponse:
    return JsonResponse(
        {"detail": f"{HEADER}: {message}", "errors": [{"field": HEADER, "message": message}]},
        status=422,
    )


def _request_user_id(request: HttpRequest) -> int | None:
    """The user the API will authenticate: bearer token first, then the session (as ninja)."""
    authorization = request.headers.get("Authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        from itpm.accounts.services import token_authenticate_request

        user = token_authenticate_request(request, token.strip())
        return user.pk if user is not None else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        from ninja.utils import check_csrf

        # A replay must not let a cross-site form skip the CSRF check the API would do.
        if check_csrf(request) is not None:
            return None
        return int(user.pk)
    return None


def _replay(stored: IdempotencyKey, route: str, digest: str) -> HttpResponse:
    if stored.route != route:
        return _invalid(f"this key was used for {stored.route}; use a new key for this request")
    if stored.body_sha256 != digest:
        return _invalid("this key was used with another body; use a new key for this request")
    response = HttpResponse(
        bytes(stored.body), status=stored.status_code, content_type=stored.content_type
    )
    for name, value in stored.headers.items():
        response[name] = value
    response[REPLAYED] = "true"
    return response


class IdempotencyMiddleware:
    """Makes a POST under ``/api/`` with an ``Idempotency-Key`` header happen at most once."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = request.headers.get(HEADER)
        if key is None or request.method != "POST" or not request.path.startswith("/api/"):
            return self.get_response(request)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            return _invalid(f"must be 1 to {MAX_KEY_LENGTH} printable characters")
        user_id = _request_user_id(request)
        if user_id is None:
            # Not authenticated: the API answers 401 and nothing is written or remembered.
            return self.get_response(request)
        route = f"POST {request.path}"
        digest = hashlib.sha256(request.body).hexdigest()
        for _ in range(_ATTEMPTS):
            IdempotencyKey.objects.filter(
                user_id=user_id, key=key, created_at__lt=_now() - TTL
            ).delete()
            stored = IdempotencyKey.objects.filter(user_id=user_id, key=key).first()
            if stored is not None:
                return _replay(stored, route, digest)
            try:
                return self._first(request, user_id, key, route, digest)
            except _Duplicate:
                continue
        return JsonResponse(
            {"detail": f"{HEADER}: a request with this key is still running; retry later",
             "errors": [{"field": HEADER, "message": "in progress"}]},
            status=409,
        )  # fmt: skip

    def _first(
        self, request: HttpRequest, user_id: int, key: str, route: str, digest: str
    ) -> HttpResponse:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    record = IdempotencyKey.objects.create(
                        created_at=_now(), user_id=user_id, key=key, route=route,
                        body_sha256=digest, status_code=0, content_type="", body=b"",
                    )  # fmt: skip
            except IntegrityError:
                # PostgreSQL made us wait until the first request committed (or rolled back).
                raise _Duplicate from None
            response = self.get_response(request)
            if 200 <= response.status_code < 300 and not response.streaming:
                record.status_code = response.status_code
                record.content_type = response.get("Content-Type", "application/json")
                record.headers = {h: response[h] for h in _KEPT_HEADERS if response.has_header(h)}
                record.body = response.content
                record.save(update_fields=["status_code", "content_type", "headers", "body"])
            else:
                # Whatever the request itself committed stays as it would without the header
                # (a failed login still counts); only the key is forgotten, so a retry runs.
                record.delete()
        return response


def idempotency_keys_expire(*, now: dt.datetime | None = None) -> int:
    """Delete keys older than 24 hours; returns how many (the periodic housekeeping job)."""
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=(now or _now()) - TTL).delete()
    return deleted
