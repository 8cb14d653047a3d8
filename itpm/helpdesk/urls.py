from __future__ import annotations

from django.urls import path

from itpm.helpdesk import portal_views, report_views, settings_views, views

app_name = "helpdesk"

urlpatterns = [
    path("helpdesk/", views.index, name="index"),
    path("helpdesk/tickets/", views.ticket_list, name="tickets"),
    path("helpdesk/tickets/new/", views.ticket_create, name="ticket_create"),
    path("helpdesk/tickets/bulk/", views.ticket_bulk, name="bulk"),
    path("helpdesk/tickets/<int:ticket_id>/", views.ticket_detail, name="ticket"),
    path("helpdesk/tickets/<int:ticket_id>/update/", views.ticket_update, name="ticket_update"),
    path("helpdesk/tickets/<int:ticket_id>/comment/", views.ticket_comment, name="ticket_comment"),
    path(
        "helpdesk/tickets/<int:ticket_id>/escalate/", views.ticket_escalate, name="ticket_escalate"
    ),
    path("helpdesk/queues/<str:queue_key>/", views.queue_detail, name="queue"),
    path("helpdesk/settings/", settings_views.settings_index, name="settings"),
    path("helpdesk/settings/queues/new/", settings_views.queue_edit, name="queue_new"),
    path(
        "helpdesk/settings/queues/<str:queue_key>/",
        settings_views.queue_edit,
        name="queue_settings",
    ),
    path("helpdesk/settings/sla-policies/new/", settings_views.policy_edit, name="policy_new"),
    path(
        "helpdesk/settings/sla-policies/<int:policy_id>/",
        settings_views.policy_edit,
        name="policy_edit",
    ),
    path("helpdesk/filters/", views.filter_save, name="filter_save"),
    path("helpdesk/reports/", report_views.reports, name="reports"),
    path("helpdesk/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
    path("portal/", portal_views.home, name="portal"),
    path("portal/new/", portal_views.ticket_new, name="portal_new"),
    path("portal/tickets/<int:ticket_id>/", portal_views.ticket_detail, name="portal_ticket"),
    path("portal/tickets/<int:ticket_id>/reply/", portal_views.ticket_reply, name="portal_reply"),
    path(
        "portal/attachments/<int:attachment_id>/",
        portal_views.attachment_download,
        name="portal_attachment",
    ),
]
