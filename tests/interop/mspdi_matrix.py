"""Permission-matrix entries of the MS Project XML routes (merged into ``matrix.routes``).

The uploads are multipart forms, which the mass-assignment sweep leaves out (their fields
are fixed: file, key, name).
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile

PLAN = b"""<?xml version="1.0" encoding="UTF-8"?>
<Project xmlns="http://schemas.microsoft.com/project">
  <Title>Matrix plan</Title>
  <StartDate>2027-01-04T08:00:00</StartDate>
  <Tasks>
    <Task><UID>1</UID><Name>Survey</Name><OutlineLevel>1</OutlineLevel>
      <Duration>PT16H0M0S</Duration></Task>
    <Task><UID>2</UID><Name>Install</Name><OutlineLevel>1</OutlineLevel>
      <Duration>PT8H0M0S</Duration>
      <PredecessorLink><PredecessorUID>1</PredecessorUID><Type>1</Type></PredecessorLink></Task>
  </Tasks>
</Project>
"""


def mspdi_upload(c: Any) -> dict[str, Any]:
    return {"file": SimpleUploadedFile("plan.xml", PLAN, content_type="application/xml")}


def routes(V1: str, READ: Any, Expect: Any, PAGE: dict[str, Any]) -> dict[tuple[str, str], Any]:  # noqa: N803 - the matrix's own names
    return {
        ("POST", f"{V1}/projects/import/mspdi"): Expect("authenticated", 201, body=mspdi_upload),
        ("GET", f"{V1}/projects/{{key}}/export/mspdi"): READ(),
        ("GET", "/projects/import/mspdi/"): Expect("authenticated", 200, **PAGE),
        ("POST", "/projects/import/mspdi/"): Expect(
            "authenticated", 302, body=mspdi_upload, **PAGE
        ),
        ("GET", "/projects/{key}/export/mspdi.xml"): READ(**PAGE),
    }
