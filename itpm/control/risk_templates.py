"""Common risks per project category, offered when a manager fills the register.

Each suggestion: title, category, cause, event, effect, probability, impact, strategy, and
(optionally) a quantified default: chance, delay hours, cost.
"""

from __future__ import annotations

from typing import Any

RISK_TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "hardware": [
        {"title": "Vendor delivery delay", "category": "vendor",
         "cause": "Global component shortages and a single supplier",
         "event": "Servers or racks arrive later than the installation window",
         "effect": "Installation and cut-over slip; engineers idle", "probability": 3,
         "impact": 4, "response_strategy": "mitigate", "chance": "0.30", "delay_hours": 40,
         "cost": "2000.00"},
        {"title": "Data-centre power or cooling insufficient", "category": "technical",
         "cause": "Rack density above the room's design",
         "event": "Facilities cannot feed the new racks",
         "effect": "Rework of power distribution; delay", "probability": 2, "impact": 4,
         "response_strategy": "avoid", "chance": "0.15", "delay_hours": 24, "cost": "5000.00"},
        {"title": "Dead-on-arrival hardware", "category": "vendor",
         "cause": "Transport damage", "event": "Parts fail burn-in",
         "effect": "RMA cycle delays the build", "probability": 2, "impact": 2,
         "response_strategy": "transfer", "chance": "0.20", "delay_hours": 16, "cost": "0.00"},
    ],
    "software": [
        {"title": "Requirements churn", "category": "schedule",
         "cause": "Stakeholders see the product late", "event": "Scope changes mid-sprint",
         "effect": "Rework and a later release", "probability": 4, "impact": 3,
         "response_strategy": "mitigate", "chance": "0.40", "delay_hours": 40,
         "cost": "4000.00"},
        {"title": "Integration API not ready", "category": "technical",
         "cause": "Dependent team's backlog", "event": "The API we call is late or unstable",
         "effect": "Integration testing blocked", "probability": 3, "impact": 4,
         "response_strategy": "mitigate", "chance": "0.30", "delay_hours": 32,
         "cost": "0.00"},
        {"title": "Security findings in penetration test", "category": "security",
         "cause": "New public-facing surface", "event": "High findings before go-live",
         "effect": "Fixes and a retest", "probability": 3, "impact": 3,
         "response_strategy": "mitigate", "chance": "0.35", "delay_hours": 24,
         "cost": "3000.00"},
    ],
    "network_cloud": [
        {"title": "Cut-over outage", "category": "operational",
         "cause": "Routing or firewall rules differ from the documented state",
         "event": "Services unreachable during the cut-over window",
         "effect": "Business outage; rollback and a second window", "probability": 3,
         "impact": 5, "response_strategy": "mitigate", "chance": "0.20", "delay_hours": 16,
         "cost": "8000.00"},
        {"title": "Carrier circuit delivery late", "category": "vendor",
         "cause": "Carrier lead times", "event": "New circuits not live for the window",
         "effect": "Migration waves slip", "probability": 3, "impact": 3,
         "response_strategy": "mitigate", "chance": "0.30", "delay_hours": 40,
         "cost": "0.00"},
        {"title": "Cloud cost overrun", "category": "cost",
         "cause": "Sizing on guesses", "event": "Run costs above the business case",
         "effect": "Benefit case eroded", "probability": 3, "impact": 3,
         "response_strategy": "mitigate"},
    ],
    "data": [
        {"title": "Poor source data quality", "category": "technical",
         "cause": "No data owner for legacy sources", "event": "Loads fail validation",
         "effect": "Cleansing work; reports late", "probability": 4, "impact": 3,
         "response_strategy": "mitigate", "chance": "0.40", "delay_hours": 32,
         "cost": "2500.00"},
        {"title": "Personal data without a legal basis", "category": "compliance",
         "cause": "Fields copied wholesale", "event": "DPIA finds unlawful processing",
         "effect": "Redesign; regulator exposure", "probability": 2, "impact": 5,
         "response_strategy": "avoid"},
    ],
    "helpdesk": [
        {"title": "Ticket volume above staffing", "category": "people",
         "cause": "Go-live of new services", "event": "Backlog grows past SLA",
         "effect": "SLA breaches, unhappy users", "probability": 3, "impact": 3,
         "response_strategy": "mitigate"},
        {"title": "Knowledge base incomplete at launch", "category": "operational",
         "cause": "Project team documents late", "event": "Agents cannot resolve first-line",
         "effect": "Escalations to the project team", "probability": 3, "impact": 2,
         "response_strategy": "mitigate"},
    ],
    "other": [
        {"title": "Key person unavailable", "category": "people",
         "cause": "Single expert", "event": "The expert leaves or is ill",
         "effect": "Work stalls", "probability": 2, "impact": 4,
         "response_strategy": "mitigate", "chance": "0.15", "delay_hours": 40,
         "cost": "0.00"},
        {"title": "Estimate too optimistic", "category": "schedule",
         "cause": "Little history", "event": "Work takes longer than planned",
         "effect": "Later finish", "probability": 3, "impact": 3,
         "response_strategy": "accept"},
    ],
}


def suggestions(category: str) -> list[dict[str, Any]]:
    return RISK_TEMPLATES.get(category) or RISK_TEMPLATES["other"]
