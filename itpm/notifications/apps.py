from __future__ import annotations

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "itpm.notifications"
    label = "notifications"
    verbose_name = "Notifications, e-mail and calendar feeds"

    def ready(self) -> None:
        # Approvals requested, assignments, description @mentions and published status reports
        # are derived from the audit events that the other apps' services write (see
        # docs/decisions/0006-notifications-from-audit-events.md).
        from itpm.notifications import events

        events.connect()
