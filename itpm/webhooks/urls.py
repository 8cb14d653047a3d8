from __future__ import annotations

from django.urls import path

from itpm.webhooks import views

app_name = "webhooks"

urlpatterns = [
    path("projects/<str:key>/webhooks/", views.project_webhooks, name="project"),
    path("webhooks/", views.site_webhooks, name="site"),
    path("webhooks/<int:subscription_id>/", views.subscription_detail, name="detail"),
    path(
        "webhooks/<int:subscription_id>/<str:action>/",
        views.subscription_action,
        name="action",
    ),
    path("webhooks/deliveries/<int:delivery_id>/", views.delivery_detail, name="delivery"),
    path(
        "webhooks/deliveries/<int:delivery_id>/redeliver/",
        views.delivery_redeliver,
        name="redeliver",
    ),
]
