from __future__ import annotations

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "itpm.webhooks"
    label = "webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Every audited change is a candidate event; the listener hands it on after commit.
        from itpm.core.services import AUDIT_LISTENERS
        from itpm.webhooks.services import audit_listener

        if audit_listener not in AUDIT_LISTENERS:
            AUDIT_LISTENERS.append(audit_listener)
