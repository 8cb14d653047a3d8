from __future__ import annotations

from django.urls import path

from itpm.interop import mspdi_views, views

app_name = "interop"

urlpatterns = [
    path("projects/import/", views.archive_import, name="archive_import"),
    path("projects/import/mspdi/", mspdi_views.mspdi_import_page, name="mspdi_import"),
    path("projects/<str:key>/export/mspdi.xml", mspdi_views.mspdi_export_file, name="mspdi_export"),
    path("projects/<str:key>/import-export/", views.import_wizard, name="wizard"),
    path("projects/<str:key>/import-export/check/", views.import_check, name="check"),
    path(
        "projects/<str:key>/export/tasks.csv", views.task_export, {"fmt": "csv"}, name="export_csv"
    ),
    path(
        "projects/<str:key>/export/tasks.xlsx",
        views.task_export,
        {"fmt": "xlsx"},
        name="export_xlsx",
    ),
    path("projects/<str:key>/export/archive.json", views.archive_export, name="archive_export"),
]
