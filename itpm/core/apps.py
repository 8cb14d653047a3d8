from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "itpm.core"
    label = "core"
    verbose_name = "Core: audit and shared rules"

    def ready(self) -> None:
        # Connects the login-failure signal handlers and registers itpm's deployment checks.
        from itpm.core import checks, security  # noqa: F401
