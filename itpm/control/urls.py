from __future__ import annotations

from django.urls import path

from itpm.control import views

app_name = "control"

urlpatterns = [
    path("projects/<str:key>/risks/", views.risks, name="risks"),
    path("projects/<str:key>/risks/<int:risk_id>/", views.risk_detail, name="risk_detail"),
    path("projects/<str:key>/risks/<int:risk_id>/action/", views.risk_action, name="risk_action"),
    path("projects/<str:key>/issues/", views.issues, name="issues"),
    path("projects/<str:key>/issues/<int:issue_id>/", views.issue_update, name="issue_update"),
    path("projects/<str:key>/changes/", views.change_list, name="changes"),
    path("projects/<str:key>/changes/<int:cr_id>/", views.change_detail, name="change_detail"),
    path(
        "projects/<str:key>/changes/<int:cr_id>/action/", views.change_action, name="change_action"
    ),
    path("projects/<str:key>/decisions/", views.decisions, name="decisions"),
    path(
        "projects/<str:key>/decisions/<int:decision_id>/edit/",
        views.decision_edit,
        name="decision_edit",
    ),
    path("projects/<str:key>/forecast/", views.forecast, name="forecast"),
    path(
        "projects/<str:key>/forecast/estimates/",
        views.forecast_estimates,
        name="forecast_estimates",
    ),
    path("projects/<str:key>/forecast/<int:run_id>/", views.forecast_run, name="forecast_run"),
    path("projects/<str:key>/quality/", views.quality, name="quality"),
    path(
        "projects/<str:key>/quality/<int:deliverable_id>/edit/",
        views.deliverable_edit,
        name="deliverable_edit",
    ),
    path(
        "projects/<str:key>/quality/<int:deliverable_id>/action/",
        views.deliverable_action,
        name="deliverable_action",
    ),
]
