from __future__ import annotations

from django.urls import path

from itpm.collab import views

app_name = "collab"

urlpatterns = [
    path("tasks/<int:task_id>/discussion/", views.task_discussion, name="task_discussion"),
    path("tasks/<int:task_id>/discussion/comments/", views.comment_create, name="comment_create"),
    path("task-comments/<int:comment_id>/edit/", views.comment_edit, name="comment_edit"),
    path("task-comments/<int:comment_id>/delete/", views.comment_delete, name="comment_delete"),
]
