from __future__ import annotations

from django.urls import path

from itpm.planning import execution_views as views

app_name = "execution"

urlpatterns = [
    path("my-work/", views.my_work, name="my_work"),
    path("my-work/tasks/<int:task_id>/status/", views.my_work_status, name="my_work_status"),
    path("projects/<str:key>/cycles/", views.cycle_list, name="cycle_list"),
    path("projects/<str:key>/cycles/new/", views.cycle_create, name="cycle_create"),
    path("projects/<str:key>/cycles/packages/", views.package_mark, name="package_mark"),
    path(
        "projects/<str:key>/cycles/packages/<int:task_id>/break-down/",
        views.package_break_down,
        name="package_break_down",
    ),
    path("projects/<str:key>/cycles/<int:cycle_id>/", views.cycle_detail, name="cycle_detail"),
    path("projects/<str:key>/cycles/<int:cycle_id>/edit/", views.cycle_edit, name="cycle_edit"),
    path(
        "projects/<str:key>/cycles/<int:cycle_id>/commit/",
        views.cycle_commit,
        name="cycle_commit",
    ),
    path(
        "projects/<str:key>/cycles/<int:cycle_id>/<str:action>/",
        views.cycle_transition,
        name="cycle_transition",
    ),
    path("projects/<str:key>/board/", views.board, name="board"),
    path("projects/<str:key>/board/wip/", views.board_wip, name="board_wip"),
    path("projects/<str:key>/board/labels/", views.label_create, name="label_create"),
    path(
        "projects/<str:key>/board/cards/<int:task_id>/",
        views.card_update,
        name="card_update",
    ),
]
