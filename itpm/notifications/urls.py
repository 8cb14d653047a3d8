from __future__ import annotations

from django.urls import path

from itpm.notifications import views

app_name = "notifications"

urlpatterns = [
    path("notifications/", views.notification_list, name="list"),
    path("notifications/read-all/", views.notification_read_all, name="read_all"),
    path("notifications/<int:notification_id>/read/", views.notification_read, name="read"),
    path("notifications/settings/", views.notification_settings, name="settings"),
    path("notifications/settings/calendar/", views.calendar_token, name="calendar_token"),
    path("calendar/<str:feed_token>/my.ics", views.my_feed, name="my_feed"),
    path(
        "calendar/<str:feed_token>/projects/<str:key>/milestones.ics",
        views.project_feed,
        name="project_feed",
    ),
]
