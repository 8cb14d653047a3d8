from __future__ import annotations

from django.urls import path

from itpm.planning import resource_views as views

app_name = "planning"

urlpatterns = [
    path("projects/<str:key>/resources/", views.project_resources, name="project_resources"),
    path("projects/<str:key>/resources/level/", views.leveling_preview, name="leveling_preview"),
    path(
        "projects/<str:key>/resources/level/status/",
        views.leveling_status,
        name="leveling_status",
    ),
    path("projects/<str:key>/resources/level/apply/", views.leveling_apply, name="leveling_apply"),
    path(
        "projects/<str:key>/resources/level/discard/",
        views.leveling_discard,
        name="leveling_discard",
    ),
    path("projects/<str:key>/resources/level/clear/", views.leveling_clear, name="leveling_clear"),
    path("projects/<str:key>/assignments/", views.assignment_create, name="assignment_create"),
    path(
        "assignments/<int:assignment_id>/delete/",
        views.assignment_delete,
        name="assignment_delete",
    ),
    path("projects/<str:key>/calendar/", views.project_calendar, name="project_calendar"),
    path(
        "projects/<str:key>/calendar/exceptions/",
        views.calendar_exception_add,
        name="calendar_exception_add",
    ),
    path(
        "projects/<str:key>/calendar/exceptions/remove/",
        views.calendar_exception_remove,
        name="calendar_exception_remove",
    ),
    path("projects/<str:key>/baselines/", views.project_baselines, name="project_baselines"),
    path(
        "projects/<str:key>/baselines/activate/",
        views.baseline_activate,
        name="baseline_activate",
    ),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/<int:resource_id>/", views.resource_detail, name="resource_detail"),
    path(
        "resources/<int:resource_id>/absences/",
        views.resource_absence_add,
        name="resource_absence_add",
    ),
    path("resources/<int:resource_id>/rates/", views.resource_rate_set, name="resource_rate_set"),
]
