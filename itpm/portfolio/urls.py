from __future__ import annotations

from django.urls import path

from itpm.portfolio import views

app_name = "portfolio"

urlpatterns = [
    path("portfolio/", views.portfolio, name="portfolio"),
    path("portfolio/compare/", views.compare, name="compare"),
    path("requests/", views.request_list, name="request_list"),
    path("requests/new/", views.request_create, name="request_create"),
    path("requests/<int:request_id>/", views.request_detail, name="request_detail"),
    path("requests/<int:request_id>/triage/", views.request_triage, name="request_triage"),
    path("requests/<int:request_id>/answer/", views.request_answer, name="request_answer"),
    path("lessons/", views.lessons, name="lessons"),
    path("projects/<str:key>/business-case/", views.business_case, name="business_case"),
    path(
        "projects/<str:key>/business-case/pull-budget/",
        views.business_case_pull_budget,
        name="business_case_pull_budget",
    ),
    path(
        "projects/<str:key>/business-case/realized/",
        views.business_case_realized,
        name="business_case_realized",
    ),
    path("projects/<str:key>/feasibility/", views.feasibility_page, name="feasibility"),
    path("projects/<str:key>/gates/", views.gate_page, name="gates"),
    path("projects/<str:key>/gates/open/", views.gate_open, name="gate_open"),
    path("projects/<str:key>/acceptance/", views.acceptance, name="acceptance"),
    path("projects/<str:key>/acceptors/", views.acceptors, name="acceptors"),
    path("projects/<str:key>/lessons/", views.lesson_create, name="lesson_create"),
    path("projects/<str:key>/handoff/", views.handoff, name="handoff"),
    path("gates/<int:gate_id>/", views.gate_detail, name="gate_detail"),
    path("gates/<int:gate_id>/approve/", views.gate_approve, name="gate_approve"),
    path("gates/<int:gate_id>/decide/", views.gate_decide, name="gate_decide"),
    path("gates/<int:gate_id>/checklist/", views.gate_item_add, name="gate_item_add"),
    path("gates/<int:gate_id>/approvers/", views.gate_approver_add, name="gate_approver_add"),
    path("gate-items/<int:item_id>/toggle/", views.gate_item_toggle, name="gate_item"),
]
