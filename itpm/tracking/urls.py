from __future__ import annotations

from django.urls import path

from itpm.tracking import views

app_name = "tracking"

urlpatterns = [
    path("projects/<str:key>/budget/", views.project_budget, name="project_budget"),
    path("projects/<str:key>/budget/lines/", views.budget_line_create, name="budget_line_create"),
    path("projects/<str:key>/budget/expenses/", views.expense_create, name="expense_create"),
    path(
        "projects/<str:key>/budget/purchase-requests/",
        views.purchase_request_create,
        name="purchase_request_create",
    ),
    path(
        "purchase-requests/<int:pr_id>/<str:action>/",
        views.purchase_request_action,
        name="purchase_request_action",
    ),
    path("purchase-orders/<int:po_id>/", views.order_detail, name="order_detail"),
    path("purchase-orders/<int:po_id>/<str:action>/", views.order_action, name="order_action"),
    path("projects/<str:key>/reports/", views.project_reports, name="project_reports"),
    path("projects/<str:key>/reports/<int:report_id>/", views.report_detail, name="report_detail"),
    path("projects/<str:key>/reports/<int:report_id>.pdf", views.report_pdf, name="report_pdf"),
    path("projects/<str:key>/reports/<int:report_id>/send/", views.report_send, name="report_send"),
    path("timesheet/", views.my_timesheet, name="my_timesheet"),
    path("timesheet/approvals/", views.timesheet_approvals, name="timesheet_approvals"),
    path(
        "timesheets/<int:sheet_id>/<str:action>/", views.timesheet_action, name="timesheet_action"
    ),
    path("timer/stop/", views.timer_stop, name="timer_stop"),
    path("tasks/<int:task_id>/time/", views.task_time, name="task_time"),
    path("tasks/<int:task_id>/time/progress/", views.task_progress, name="task_progress"),
    path("tasks/<int:task_id>/time/timer/", views.timer_start, name="timer_start"),
    path("dashboard/", views.portfolio_dashboard, name="dashboard"),
]
