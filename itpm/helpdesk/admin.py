"""Site admins manage canned replies and outside requesters here; queues, policies and
tickets change through the services (the API and pages), which audit every write."""

from __future__ import annotations

from django.contrib import admin

from itpm.helpdesk.models import CannedReply, RequesterProfile


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin[CannedReply]):
    list_display = ["title", "queue"]
    list_filter = ["queue"]
    exclude = ["version"]


@admin.register(RequesterProfile)
class RequesterProfileAdmin(admin.ModelAdmin[RequesterProfile]):
    list_display = ["user", "organization", "portal_only"]
    search_fields = ["user__username", "organization"]
    raw_id_fields = ["user"]
