"""Demo data for the lifecycle: requests in triage, business cases, feasibility, gate history
for projects that were created in later stages, and lessons of the closed M365 project."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.contrib.auth.models import Group

from itpm.accounts.models import User
from itpm.portfolio import business_case, closing, feasibility, gates, intake
from itpm.portfolio.models import STAGE_ORDER, Project

REQUESTS = [
    ("dana", "Self-service password reset", "A third of service-desk calls are password resets.",
     "Users reset their own password in under two minutes", "software", "Service desk", "high",
     "45000", "120000"),
    ("lee", "Sales pipeline dashboard", "Sales managers build the weekly pipeline by hand in Excel.",
     "One live dashboard from the CRM", "data", "Sales", "medium", "30000", "60000"),
    ("kim", "Replace branch-office firewalls", "Eight branch firewalls leave vendor support in 2027.",
     "Supported, centrally managed firewalls", "network_cloud", "IT security", "critical",
     "160000", None),
    ("sam", "Meeting-room video kits", "Hybrid meetings fail in 12 rooms without cameras.",
     "Every room has a one-touch video kit", "hardware", "Facilities", "low", "36000", None),
]  # fmt: skip


def _line(kind: str, category: str, period: int, amount: str, text: str = "") -> dict[str, object]:
    return {"kind": kind, "category": category, "period": period, "amount": Decimal(amount),
            "description": text}  # fmt: skip


CASES = {
    "DWH": ({"periodicity": "year", "discount_rate": Decimal(8), "strategic_fit": 5,
             "summary": "Retire 14 departmental data marts; one governed warehouse."},
            [_line("one_off_cost", "licences", 0, "180000", "Warehouse platform, first year"),
             _line("one_off_cost", "services", 0, "120000", "Implementation partner"),
             _line("one_off_cost", "internal_labour", 0, "90000", "Data engineers"),
             *[_line("running_cost", "licences", y, "60000", "Platform subscription")
               for y in range(1, 6)],
             *[_line("benefit", "savings", y, str(110000 + 20000 * y), "Data marts retired")
               for y in range(1, 6)],
             *[_line("benefit", "avoided_cost", y, "40000", "Audit findings avoided")
               for y in range(2, 6)]]),
    "PORTAL": ({"periodicity": "quarter", "discount_rate": Decimal(10), "strategic_fit": 4,
                "summary": "Customer self-service portal: fewer calls, faster onboarding."},
               [_line("one_off_cost", "services", 0, "140000", "Build"),
                _line("one_off_cost", "hardware", 0, "25000", "Load balancers"),
                _line("one_off_cost", "internal_labour", 1, "40000", "Product team"),
                *[_line("running_cost", "operations", q, "9000", "Hosting and support")
                  for q in range(1, 13)],
                *[_line("benefit", "savings", q, str(12000 + 2500 * min(q, 6)), "Calls avoided")
                  for q in range(2, 13)],
                *[_line("benefit", "revenue", q, "6000", "Faster onboarding")
                  for q in range(4, 13)]]),
}  # fmt: skip

DWH_FEASIBILITY = [
    ("technical", 4, "2", "Platform proven at two sister companies", ["https://wiki.example.com/dwh/poc"]),
    ("operational", 3, "1", "Operations needs two more data engineers", []),
    ("financial", 4, "2", "NPV positive in every sensitivity case", []),
    ("schedule", 3, "1", "Tight before the year-end close", []),
    ("legal", 3, "1.5", "DPIA needed for customer data", ["https://wiki.example.com/dpo/dwh-dpia"]),
    ("security", 4, "1.5", "Role-based access, EU region only", []),
]  # fmt: skip

M365_LESSONS = [
    ("Pilot with the loudest teams first", "The pilot with Finance found 80 % of the issues.",
     "We started migrations before the pilot feedback was in.",
     "Run a two-week pilot with demanding users and fix before the waves.", ["pilot", "rollout"]),
    ("Licences take longer than you think", "", "Licence procurement took six weeks longer.",
     "Start procurement in initiation; get the order signed at the planning gate.",
     ["procurement"]),
]  # fmt: skip


def load_lifecycle_demo(users: dict[str, User]) -> None:
    admin, pm, cio = users["admin"], users["pm"], users["cio"]
    group, _ = Group.objects.get_or_create(name=intake.PORTFOLIO_MANAGERS_GROUP)
    group.user_set.add(pm, cio)
    for username, title, problem, goal, category, unit, urgency, cost, benefit in REQUESTS:
        intake.request_submit(
            actor=users[username], title=title, problem=problem, goal=goal, category=category,
            business_unit=unit, urgency=urgency, desired_date=dt.date(2027, 6, 30),
            rough_cost=Decimal(cost), rough_benefit=Decimal(benefit) if benefit else None,
        )  # fmt: skip
    asked = intake.request_list(user=pm).filter(title="Meeting-room video kits").first()
    if asked is not None:
        intake.request_ask_info(actor=pm, request=asked, version=None,
                                question="How many rooms, and which sites?")  # fmt: skip
    for key, (data, lines) in CASES.items():
        project = Project.objects.get(key=key)
        business_case.business_case_save(actor=pm, project=project, version=None, data=data,
                                         lines=lines)  # fmt: skip
    feasibility.feasibility_save(
        actor=pm, project=Project.objects.get(key="DWH"), version=None,
        data={"recommendation": "conditions",
              "summary": "Proceed once the DPIA is approved and two engineers are hired."},
        scores=[{"dimension": d, "score": s, "weight": Decimal(w), "notes": n, "evidence": e}
                for d, s, w, n, e in DWH_FEASIBILITY],
    )  # fmt: skip
    # Projects created directly in a later stage get their past gates recorded as history.
    for project in Project.objects.exclude(stage="initiation").order_by("key"):
        stages = STAGE_ORDER[: STAGE_ORDER.index(project.stage) + 1]
        decided = dt.datetime.combine(
            project.start_date or dt.date(2026, 1, 5), dt.time(10), tzinfo=dt.UTC
        )
        gates.gate_record_history(actor=admin, project=project, stages=stages,
                                  decided_at=decided)  # fmt: skip
    # The DWH team has its gate to planning open, waiting for the sponsor and business data.
    gates.gate_open(actor=pm, project=Project.objects.get(key="DWH"))
    m365 = Project.objects.get(key="M365")
    for title, well, badly, recommend, tags in M365_LESSONS:
        closing.lesson_create(actor=pm, project=m365, title=title, went_well=well,
                              went_badly=badly, recommendations=recommend, tags=tags)  # fmt: skip
    # SDESK is closing: its sponsor and the operations lead are the named acceptors.
    sdesk = Project.objects.filter(key="SDESK").first()
    if sdesk is not None:
        closing.closure_acceptors_set(actor=admin, project=sdesk, users=[cio, users["ops"]])
