from __future__ import annotations

from django.urls import path

from itpm.planning import gantt_views

app_name = "gantt"

urlpatterns = [
    path("projects/<str:key>/gantt/", gantt_views.project_gantt, name="project_gantt"),
]
