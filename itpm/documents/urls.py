from __future__ import annotations

from django.urls import path

from itpm.documents import views

app_name = "documents"

urlpatterns = [
    path("projects/<str:key>/documents/", views.documents, name="documents"),
    path(
        "projects/<str:key>/documents/<int:document_id>/download/",
        views.document_download,
        name="download",
    ),
    path(
        "projects/<str:key>/documents/<int:document_id>/versions/",
        views.document_version_add,
        name="version_add",
    ),
    path(
        "projects/<str:key>/documents/<int:document_id>/delete/",
        views.document_delete,
        name="delete",
    ),
    path("projects/<str:key>/fields/", views.fields, name="fields"),
    path("projects/<str:key>/fields/suggested/", views.fields_suggested, name="fields_suggested"),
    path("projects/<str:key>/fields/<int:field_id>/", views.field_action, name="field_action"),
    path("projects/<str:key>/tasks/<int:task_id>/documents/", views.task_page, name="task_page"),
    path("projects/<str:key>/tasks/<int:task_id>/fields/", views.task_fields, name="task_fields"),
    path(
        "projects/<str:key>/tasks/<int:task_id>/fields/row/",
        views.task_fields_row,
        name="task_fields_row",
    ),
]
