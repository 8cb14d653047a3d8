"""itpm's own deployment checks, run by `itpm check` next to Django's `check --deploy`."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Tags, Warning, register

_DEV_SECRET_PREFIX = "itpm-insecure-"  # noqa: S105 - the prefix of the known dev key, not a secret


@register(Tags.security, deploy=True)
def itpm_deploy_checks(app_configs: Any = None, **kwargs: Any) -> list[Warning]:
    warnings: list[Warning] = []

    def warn(code: str, message: str, hint: str) -> None:
        warnings.append(Warning(message, hint=hint, id=f"itpm.{code}"))

    if not settings.PRODUCTION:
        warn("W001", "ITPM_PRODUCTION is off.", "Set ITPM_PRODUCTION=true on a server.")
    if settings.SECRET_KEY.startswith(_DEV_SECRET_PREFIX):
        warn("W002", "The development secret key is in use.", "Set ITPM_SECRET_KEY.")
    if settings.ITPM_LOGIN_MAX_FAILURES <= 0 or settings.ITPM_LOGIN_MAX_FAILURES_PER_IP <= 0:
        warn(
            "W003",
            "Login lockout is off.",
            "Set ITPM_LOGIN_MAX_FAILURES and ITPM_LOGIN_MAX_FAILURES_PER_IP above 0.",
        )
    if settings.ITPM_API_WRITES_PER_MINUTE <= 0:
        warn("W004", "The API write rate limit is off.", "Set ITPM_API_WRITES_PER_MINUTE above 0.")
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("LocMemCache") or backend.endswith("DummyCache"):
        warn(
            "W005",
            "The cache is per process: lockouts and rate limits are not shared between workers.",
            "Set ITPM_CACHE=db (the default) or a redis:// URL.",
        )
    if settings.ITPM_SESSION_IDLE_SECONDS <= 0:
        warn("W006", "Sessions never expire when idle.", "Set ITPM_SESSION_IDLE_SECONDS above 0.")
    if "itpm.web.middleware.ContentSecurityPolicyMiddleware" not in settings.MIDDLEWARE:
        warn("W007", "The Content-Security-Policy middleware is missing.", "Restore MIDDLEWARE.")
    if settings.EMAIL_BACKEND.endswith(("console.EmailBackend", "locmem.EmailBackend")):
        warn(
            "W008",
            "E-mail is not sent anywhere: password resets and notifications cannot arrive.",
            "Set ITPM_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and ITPM_SMTP_*.",
        )
    if settings.ITPM_API_TOKEN_DAYS <= 0:
        warn("W009", "API tokens never expire.", "Set ITPM_API_TOKEN_DAYS above 0.")
    return warnings
