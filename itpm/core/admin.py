from __future__ import annotations

from django.contrib import admin

from itpm.core.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    list_display = ["created_at", "actor", "project", "action", "object_repr"]
    list_filter = ["action"]
    search_fields = ["object_repr", "action"]

    # The audit trail is evidence: nobody edits or deletes it, admins included.
    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
