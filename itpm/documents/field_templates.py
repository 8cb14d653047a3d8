"""Custom fields a project category suggests (a category template's task fields).

A manager adds them with one click on the Fields tab or
``POST /projects/{key}/custom-fields/suggestions``; fields whose key the project already
has are skipped, so adding twice changes nothing.
"""

from __future__ import annotations

from typing import Any

_VENDOR = {"key": "vendor_ticket", "name": "Vendor ticket", "field_type": "text"}
_SITE = {"key": "site", "name": "Site", "field_type": "text"}

FIELD_TEMPLATES: dict[str, list[dict[str, Any]]] = {
    "hardware": [
        {"key": "asset_tag", "name": "Asset tag", "field_type": "text"},
        _SITE,
        {"key": "rack", "name": "Rack / location", "field_type": "text"},
        _VENDOR,
    ],
    "software": [
        {"key": "component", "name": "Component", "field_type": "text"},
        {"key": "environment", "name": "Environment", "field_type": "choice",
         "choices": ["Development", "Test", "Staging", "Production"]},
        {"key": "story_points", "name": "Story points", "field_type": "number"},
    ],
    "network_cloud": [
        _VENDOR,
        _SITE,
        {"key": "change_window", "name": "Change window", "field_type": "date"},
    ],
    "data": [
        {"key": "data_source", "name": "Data source", "field_type": "text"},
        {"key": "data_owner", "name": "Data owner", "field_type": "user"},
        {"key": "personal_data", "name": "Personal data", "field_type": "bool"},
    ],
    "helpdesk": [
        {"key": "ticket_ref", "name": "Ticket", "field_type": "text"},
        {"key": "service", "name": "Service", "field_type": "text"},
    ],
    "other": [
        _VENDOR,
        {"key": "reviewer", "name": "Reviewer", "field_type": "user"},
    ],
}  # fmt: skip


def suggested_fields(category: str) -> list[dict[str, Any]]:
    return [dict(t) for t in FIELD_TEMPLATES.get(category) or FIELD_TEMPLATES["other"]]
