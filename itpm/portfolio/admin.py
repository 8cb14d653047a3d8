from __future__ import annotations

from django.contrib import admin

from itpm.portfolio.models import GateReview, Lesson, Project, ProjectRequest


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin[Project]):
    """Read-mostly: a project's stage moves only through a gate review, never here."""

    list_display = ["key", "name", "category", "stage", "archived"]
    list_filter = ["stage", "category", "archived"]
    search_fields = ["key", "name"]
    readonly_fields = ["stage", "archived", "cancelled_at", "version"]
    exclude = ["calendar"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # projects are created through the service (owner membership, audit)

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # every change goes through the services, which audit it

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False  # deleting a project archives it, through the service


@admin.register(GateReview)
class GateReviewAdmin(admin.ModelAdmin[GateReview]):
    list_display = ["project", "from_stage", "to_stage", "status", "decision", "decided_at"]
    list_filter = ["status", "decision"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(ProjectRequest)
class ProjectRequestAdmin(admin.ModelAdmin[ProjectRequest]):
    list_display = ["id", "title", "requester", "status", "urgency", "created_at"]
    list_filter = ["status", "urgency", "category"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin[Lesson]):
    list_display = ["title", "project", "category", "created_at"]
    search_fields = ["title", "recommendations"]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
