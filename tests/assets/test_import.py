"""Asset import: a dry run reports per row, and a real import is all or nothing."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from itpm.accounts.models import Team
from itpm.assets.models import Asset
from itpm.core.models import AuditEvent
from tests.conftest import api_client

HEADER = "tag,name,asset_type,status,owner_team,cost,currency,warranty_end,vendor\n"
GOOD = (
    "FRA-SRV-001,Compute node 1,server,in service,Ops,14850.00,EUR,2031-09-30,HPE\n"
    "NET-SW-001,Core switch A,Network switch,installed,Ops,18450,EUR,2030-12-31,Cisco\n"
)
BAD = (
    "FRA-SRV-002,Compute node 2,server,in service,Ops,14850.00,EUR,2031-09-30,HPE\n"
    "FRA-SRV-003,Compute node 3,toaster,in service,Ops,12.345,EUR,31/12/2030,HPE\n"
    "FRA-SRV-002,Duplicate,server,,Nobody,,,,\n"
)


@pytest.fixture
def ops(people: dict[str, Any]) -> Team:
    team = Team.objects.create(name="Ops", kind="operations")
    team.members.set([people["member"]])
    return team


def _post(client: Any, content: bytes, name: str = "assets.csv", dry_run: bool = True) -> Any:
    return client.post(
        "/api/v1/assets/import",
        {"file": SimpleUploadedFile(name, content), "dry_run": "true" if dry_run else "false"},
    )


def test_a_dry_run_reports_and_writes_nothing(ops: Team, people: dict[str, Any]) -> None:
    report = _post(api_client(people["member"]), (HEADER + GOOD).encode()).json()
    assert report["ok"] and not report["applied"] and report["created"] == 2
    assert not Asset.objects.exists()


def test_one_bad_row_imports_nothing_and_names_row_and_field(
    ops: Team, people: dict[str, Any]
) -> None:
    response = _post(api_client(people["member"]), (HEADER + GOOD + BAD).encode(), dry_run=False)
    report = response.json()
    assert response.status_code == 200 and not report["ok"] and not report["applied"]
    errors = {(r["row"], e["field"]) for r in report["rows"] for e in r["errors"]}
    assert (5, "asset_type") in errors and (5, "cost") in errors and (5, "warranty_end") in errors
    assert (6, "tag") in errors and (6, "owner_team") in errors
    assert not any(r["errors"] for r in report["rows"][:3])
    assert not Asset.objects.exists()
    assert not AuditEvent.objects.filter(action="asset.import").exists()


def test_a_good_file_imports_every_row_with_history(ops: Team, people: dict[str, Any]) -> None:
    report = _post(api_client(people["member"]), (HEADER + GOOD).encode(), dry_run=False).json()
    assert report["applied"] and report["created"] == 2
    switch = Asset.objects.get(tag="NET-SW-001")
    assert switch.asset_type == "switch" and switch.status == "installed"
    assert str(switch.cost) == "18450.00" and switch.owner_team == ops
    assert AuditEvent.objects.filter(action="asset.import").count() == 2
    # The same file again updates instead of duplicating.
    again = _post(api_client(people["member"]), (HEADER + GOOD).encode(), dry_run=False).json()
    assert again["updated"] == 2 and Asset.objects.count() == 2


def test_xlsx_files_import_too(ops: Team, people: dict[str, Any]) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Tag", "Name", "Asset type", "Owner team", "Warranty end"])
    sheet.append(["LAP-001", "Laptop for Jana", "laptop", "Ops", "2029-03-31"])
    buffer = io.BytesIO()
    book.save(buffer)
    report = _post(api_client(people["member"]), buffer.getvalue(), "fleet.xlsx", dry_run=False)
    assert report.json()["applied"], report.content
    assert Asset.objects.get(tag="LAP-001").warranty_end.isoformat() == "2029-03-31"


def test_rows_of_other_teams_are_refused(ops: Team, people: dict[str, Any]) -> None:
    report = _post(api_client(people["viewer"]), (HEADER + GOOD).encode(), dry_run=False).json()
    assert not report["applied"] and report["error_count"] == 2
    assert not Asset.objects.exists()


def test_an_unreadable_file_is_a_422(ops: Team, people: dict[str, Any]) -> None:
    response = _post(api_client(people["member"]), b"\x00garbage", "x.xlsx")
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "file"
