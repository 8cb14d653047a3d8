from __future__ import annotations

from django.urls import path

from itpm.web import views

app_name = "web"

urlpatterns = [
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/<str:key>/", views.project_overview, name="project_overview"),
    path("projects/<str:key>/plan/", views.project_plan, name="project_plan"),
    path("projects/<str:key>/plan/tasks/", views.task_create, name="task_create"),
    path(
        "projects/<str:key>/plan/dependencies/", views.dependency_create, name="dependency_create"
    ),
    path("projects/<str:key>/activity/", views.project_activity, name="project_activity"),
    path("projects/<str:key>/settings/", views.project_settings, name="project_settings"),
    path("projects/<str:key>/archive/", views.project_archive, name="project_archive"),
    path("projects/<str:key>/members/", views.member_set, name="member_set"),
    path(
        "projects/<str:key>/members/<str:username>/remove/",
        views.member_remove,
        name="member_remove",
    ),
    path("tasks/<int:task_id>/row/", views.task_row, name="task_row"),
    path("tasks/<int:task_id>/edit/<str:field>/", views.task_edit_field, name="task_edit_field"),
    path("tasks/<int:task_id>/<str:action>/", views.task_action, name="task_action"),
    path(
        "dependencies/<int:dependency_id>/delete/",
        views.dependency_delete,
        name="dependency_delete",
    ),
]
