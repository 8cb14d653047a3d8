"""Protections against guessing and flooding: login lockout, API write and password-reset
limits, session expiry.

State lives in Django's cache framework (``ITPM_CACHE``: the database by default, so every
web process shares it and nothing is held in process memory). Passwords are never logged:
a failed log-in is recorded by username and address only.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db.models.signals import post_migrate
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse

log = logging.getLogger("itpm.security")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _now() -> float:
    return time.time()


def client_ip(request: HttpRequest | None) -> str:
    # REMOTE_ADDR only: a proxy in front of itpm must set it (gunicorn's forwarded-allow-ips);
    # an X-Forwarded-For header from the client could be forged to dodge the lockout.
    if request is None:
        return "unknown"
    return str(request.META.get("REMOTE_ADDR") or "unknown")


def _key(*parts: str) -> str:
    # Cache keys must be short and safe whatever a username holds.
    return "itpm:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


@receiver(post_migrate)
def _create_cache_table(sender: Any, using: str = "default", **kwargs: Any) -> None:
    # The database cache needs its table; `migrate` (and so `itpm serve`, `itpm demo` and the
    # test database) creates it, once, after the core app's migrations.
    if getattr(sender, "label", None) == "core":
        call_command("createcachetable", database=using, verbosity=0)


# --- Login lockout ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    """Why log-ins are refused and for how many more seconds."""

    reason: str  # "username" or "address"
    retry_after: int

    @property
    def message(self) -> str:
        minutes = max(1, math.ceil(self.retry_after / 60))
        return (
            "Too many failed log-in attempts. For your security, log-in is locked for "
            f"{minutes} more minute{'s' if minutes != 1 else ''}. Try again later or reset "
            "your password."
        )


def _counters(username: str, ip: str) -> list[tuple[str, str, int]]:
    return [
        ("username", _key("fail-user", username.strip().lower()), settings.ITPM_LOGIN_MAX_FAILURES),
        ("address", _key("fail-ip", ip), settings.ITPM_LOGIN_MAX_FAILURES_PER_IP),
    ]


def login_lockout(*, username: str, request: HttpRequest | None) -> Lockout | None:
    """The lockout in force for this username or this address, if any."""
    if settings.ITPM_LOGIN_MAX_FAILURES <= 0:
        return None
    now = _now()
    for reason, key, limit in _counters(username, client_ip(request)):
        state = cache.get(key)
        if state and limit > 0 and state["count"] >= limit and state["until"] > now:
            return Lockout(reason=reason, retry_after=math.ceil(state["until"] - now))
    return None


def login_failure_record(*, username: str, request: HttpRequest | None) -> None:
    """Count one failed log-in against the username and the address (a window of
    ``ITPM_LOGIN_LOCKOUT_SECONDS`` that restarts with each failure)."""
    if settings.ITPM_LOGIN_MAX_FAILURES <= 0:
        return
    window = settings.ITPM_LOGIN_LOCKOUT_SECONDS
    ip = client_ip(request)
    for reason, key, limit in _counters(username, ip):
        state = cache.get(key) or {"count": 0}
        state = {"count": state["count"] + 1, "until": _now() + window}
        cache.set(key, state, timeout=window)
        if limit > 0 and state["count"] == limit:
            log.warning(
                "login locked: %s %r from %s after %d failures", reason, username, ip, limit
            )
    log.info("login failed: username %r from %s", username, ip)


def login_success_record(*, username: str) -> None:
    key = _counters(username, "")[0][1]
    cache.delete(key)


@receiver(user_login_failed)
def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    # ``credentials`` has the password already masked by Django; only the username is used.
    username = str(credentials.get("username") or "")
    if getattr(request, "_itpm_locked", False):
        return  # a refused attempt during a lockout does not extend it
    login_failure_record(username=username, request=request)


@receiver(user_logged_in)
def _on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    login_success_record(username=user.get_username())
    if request is not None and hasattr(request, "session"):
        request.session[_SESSION_STARTED] = int(_now())
        request.session[_SESSION_SEEN] = int(_now())


class LockoutModelBackend(ModelBackend):
    """Django's model backend that refuses every log-in while a lockout is in force.

    It guards each way in (the log-in page, the admin, ``POST /api/v1/auth/token``), since
    they all call ``authenticate``.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is not None and login_lockout(username=username, request=request):
            if request is not None:
                request._itpm_locked = True  # type: ignore[attr-defined]
            raise PermissionDenied("locked out")
        return super().authenticate(request, username=username, password=password, **kwargs)


# --- Sessions that expire --------------------------------------------------------------------

_SESSION_STARTED = "itpm_started"
_SESSION_SEEN = "itpm_seen"


class SessionExpiryMiddleware:
    """Log a browser session out after ``ITPM_SESSION_IDLE_SECONDS`` without a request, and
    after ``ITPM_SESSION_SECONDS`` since the log-in whatever the activity."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = int(_now())
            started = request.session.get(_SESSION_STARTED, now)
            seen = request.session.get(_SESSION_SEEN, now)
            idle = settings.ITPM_SESSION_IDLE_SECONDS
            if (idle > 0 and now - seen > idle) or now - started > settings.SESSION_COOKIE_AGE:
                log.info("session expired for %s", user.get_username())
                logout(request)
            elif now - seen >= 60 or _SESSION_SEEN not in request.session:
                # Saving the session on every request would write on every click; a minute's
                # precision is enough for an idle timeout counted in minutes.
                request.session[_SESSION_SEEN] = now
                request.session.setdefault(_SESSION_STARTED, now)
        return self.get_response(request)


# --- Rate limits on API writes ---------------------------------------------------------------


def _api_writer(request: HttpRequest) -> str | None:
    """Who is writing: the bearer token's user, the session's user, or None (anonymous)."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        from itpm.accounts.models import ApiToken

        key = header[7:].strip()
        user_id = (
            ApiToken.objects.filter(key_hash=ApiToken.hash_key(key))
            .values_list("user_id", flat=True)
            .first()
        )
        return f"user:{user_id}" if user_id else None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return f"user:{user.pk}"
    return None


def rate_limit_hit(*, who: str, limit: int, period: int) -> int:
    """Count one write for ``who``; return 0 if allowed, else the seconds until it is.

    A fixed window of ``period`` seconds: simple, shared by every process through the cache,
    and at most twice the limit across a window boundary.
    """
    now = _now()
    window = int(now // period)
    key = _key("rate", who, str(window))
    if cache.add(key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=period + 1)
            count = 1
    if count <= limit:
        return 0
    return max(1, math.ceil((window + 1) * period - now))


class ApiWriteRateLimitMiddleware:
    """At most ``ITPM_API_WRITES_PER_MINUTE`` API writes per user per minute: then 429 JSON
    with ``Retry-After``. Anonymous writes are limited per address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.ITPM_API_WRITES_PER_MINUTE
        if limit > 0 and request.method in WRITE_METHODS and request.path.startswith("/api/"):
            who = _api_writer(request) or f"ip:{client_ip(request)}"
            retry_after = rate_limit_hit(who=who, limit=limit, period=60)
            if retry_after:
                log.warning("api write rate limit: %s on %s", who, request.path)
                response = JsonResponse(
                    {
                        "detail": f"too many writes: at most {limit} a minute; "
                        f"retry in {retry_after} s",
                        "errors": [],
                    },
                    status=429,
                )
                response["Retry-After"] = str(retry_after)
                return response
        return self.get_response(request)


# --- Rate limits on password-reset requests ----------------------------------------------------


def password_reset_allowed(*, email: str, request: HttpRequest | None) -> bool:
    """Count one password-reset request against the target address and the client's address;
    False when either is over its limit for the window (``ITPM_PASSWORD_RESET_LIMIT_SECONDS``).

    Without a limit, anyone could fill a person's mailbox with reset links, or use the form
    to send mail to thousands of addresses. Both counters count every request, refused ones
    too, so a flood stays refused until it stops for a whole window.
    """
    window = settings.ITPM_PASSWORD_RESET_LIMIT_SECONDS
    ip = client_ip(request)
    checks = [
        ("address", f"reset-email:{email.strip().lower()}",
         settings.ITPM_PASSWORD_RESETS_PER_ADDRESS),
        ("client", f"reset-ip:{ip}", settings.ITPM_PASSWORD_RESETS_PER_IP),
    ]  # fmt: skip
    over = [
        reason
        for reason, who, limit in checks
        if limit > 0 and window > 0 and rate_limit_hit(who=who, limit=limit, period=window)
    ]
    if over:
        log.warning(
            "password reset refused (no mail sent): %s limit, address %r from %s",
            " and ".join(over), email, ip,
        )  # fmt: skip
        return False
    return True


class RequestSizeLimitMiddleware:
    """Refuse a request body larger than any upload may be (413) before Django reads it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        # Room for the form's other fields and the multipart framing around the largest file.
        limit = settings.ITPM_MAX_REQUEST_MB * 1024 * 1024
        if length > limit:
            detail = f"request larger than {settings.ITPM_MAX_REQUEST_MB} MB"
            if request.path.startswith("/api/"):
                return JsonResponse({"detail": detail, "errors": []}, status=413)
            return HttpResponse(detail, status=413, content_type="text/plain")
        return self.get_response(request)
