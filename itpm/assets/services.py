"""Use cases of assets and services: create, update, transfer, import.

Write rule: members of the owner team and site admins. A project's managers may also create
the services their project delivered and transfer the project's assets (the handoff of
issue 5 calls ``service_create`` and ``asset_transfer``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlparse

from django.db import IntegrityError, transaction

from itpm.accounts.models import ROLE_RANK, Role, Team, User
from itpm.accounts.permissions import project_role
from itpm.assets.models import Asset, AssetStatus, AssetType, Service
from itpm.assets.selectors import can_edit_team
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from itpm.core.services import apply_changes, audit, check_version, json_value, save_versioned
from itpm.helpdesk.models import Queue, is_portal_only
from itpm.planning.models import Task
from itpm.portfolio.models import Project

ASSET_FIELDS = (
    "asset_type", "name", "tag", "serial", "model", "vendor", "location", "status",
    "owner_team", "purchase_order", "cost", "currency", "warranty_end", "installed_by_task",
    "service", "project", "notes",
)  # fmt: skip
SERVICE_FIELDS = (
    "name", "description", "owner_team", "support_queue", "hours", "runbook_links",
    "projects", "retired",
)  # fmt: skip
MAX_IMPORT_ROWS = 5000


def _manages(user: Any, project: Project | None) -> bool:
    if project is None:
        return False
    role = project_role(user, project)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.MANAGER]


def _require_editor(actor: Any, team: Team | None, *, project: Project | None = None) -> None:
    if actor is None or not actor.is_authenticated or is_portal_only(actor):
        raise NotFound("not found")
    if can_edit_team(actor, team.pk if team else None) or _manages(actor, project):
        return
    owner = team.name if team else "an owner team"
    raise Forbidden(f"only members of {owner} (or site admins) may change this")


# ------------------------------------------------------------------ assets
def _validate_asset(data: dict[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = [
        FieldError(name, "must not be empty")
        for name in ("name", "tag")
        if name in data and not str(data[name] or "").strip()
    ]
    if "tag" in data and len(str(data["tag"] or "")) > 64:
        errors.append(FieldError("tag", "at most 64 characters"))
    if "asset_type" in data and data["asset_type"] not in AssetType.values:
        errors.append(FieldError("asset_type", f"must be one of {', '.join(AssetType.values)}"))
    if "status" in data and data["status"] not in AssetStatus.values:
        errors.append(FieldError("status", f"must be one of {', '.join(AssetStatus.values)}"))
    cost = data.get("cost")
    if cost is not None:
        if not isinstance(cost, Decimal) or not cost.is_finite():
            errors.append(FieldError("cost", "must be a decimal amount such as 1234.50"))
        elif cost < 0 or cost >= Decimal("1e12"):
            errors.append(FieldError("cost", "must be from 0 to 999999999999.99"))
        elif cost != cost.quantize(Decimal("0.01")):
            errors.append(FieldError("cost", "at most 2 decimal places"))
    if "currency" in data and not (
        isinstance(data["currency"], str) and len(data["currency"]) == 3
        and data["currency"].isalpha() and data["currency"].isupper()
    ):  # fmt: skip
        errors.append(FieldError("currency", "must be a 3-letter ISO 4217 code such as USD"))
    for name, limit in (("serial", 120), ("model", 200), ("vendor", 200), ("location", 200),
                        ("purchase_order", 64), ("name", 200)):  # fmt: skip
        if name in data and len(str(data[name] or "")) > limit:
            errors.append(FieldError(name, f"at most {limit} characters"))
    return errors


def asset_create(*, actor: User, **data: Any) -> Asset:
    unknown = set(data) - set(ASSET_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "unknown field")
    _require_editor(actor, data.get("owner_team"), project=data.get("project"))
    data = {k: v for k, v in data.items() if v is not None}
    data["tag"] = str(data.get("tag", "")).strip()
    data.setdefault("status", AssetStatus.ORDERED)
    errors = _validate_asset({"name": "", "tag": "", "asset_type": None, **data})
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    with transaction.atomic():
        if Asset.objects.filter(tag=data["tag"]).exists():
            raise Conflict(f"asset tag {data['tag']} is taken", [FieldError("tag", "taken")])
        asset = Asset.objects.create(**data)
        audit(actor=actor, action="asset.create", obj=asset, project=asset.project,
              changes={k: [None, json_value(v)] for k, v in data.items() if v not in ("", None)})  # fmt: skip
    return asset


def asset_update(*, actor: User, asset: Asset, version: int | None, data: dict[str, Any]) -> Asset:
    unknown = set(data) - set(ASSET_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    _require_editor(actor, asset.owner_team, project=asset.project)
    if "owner_team" in data and data["owner_team"] != asset.owner_team:
        # Moving an asset to another team: the actor must be able to edit for that team too,
        # unless they hand over their own (the handoff uses asset_transfer).
        pass
    for required in ("asset_type", "name", "tag", "status", "currency"):
        if required in data and data[required] is None:
            raise Invalid.field(required, "must not be null")
    errors = _validate_asset(data)
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors)
    with transaction.atomic():
        asset = Asset.objects.select_for_update().get(pk=asset.pk)
        check_version(asset, version)
        if "tag" in data and Asset.objects.filter(tag=data["tag"]).exclude(pk=asset.pk).exists():
            raise Conflict(f"asset tag {data['tag']} is taken", [FieldError("tag", "taken")])
        changes = apply_changes(asset, data)
        if changes:
            save_versioned(asset, list(changes))
            audit(actor=actor, action="asset.update", obj=asset, project=asset.project,
                  changes=changes)  # fmt: skip
    return asset


def asset_transfer(
    *,
    actor: User,
    assets: list[Asset],
    team: Team,
    service: Service | None = None,
    status: str | None = None,
) -> list[Asset]:
    """Move assets to ``team`` (and optionally to a service and status), all or nothing.

    Allowed for admins, members of each asset's current owner team, and managers of the
    project an asset belongs to (a project's handoff to operations).
    """
    if status is not None and status not in AssetStatus.values:
        raise Invalid.field("status", f"must be one of {', '.join(AssetStatus.values)}")
    moved: list[Asset] = []
    with transaction.atomic():
        for asset in assets:
            _require_editor(actor, asset.owner_team, project=asset.project)
            locked = Asset.objects.select_for_update().get(pk=asset.pk)
            data: dict[str, Any] = {"owner_team": team}
            if service is not None:
                data["service"] = service
            if status is not None:
                data["status"] = status
            changes = apply_changes(locked, data)
            if changes:
                save_versioned(locked, list(changes))
                audit(actor=actor, action="asset.transfer", obj=locked, project=locked.project,
                      changes=changes)  # fmt: skip
            moved.append(locked)
    return moved


# ------------------------------------------------------------------ services
def _validate_service(data: dict[str, Any]) -> None:
    if "name" in data and not str(data["name"] or "").strip():
        raise Invalid.field("name", "must not be empty")
    links = data.get("runbook_links")
    if links is not None:
        if not isinstance(links, list):
            raise Invalid.field("runbook_links", "a list of http(s) addresses")
        for i, link in enumerate(links):
            parsed = urlparse(str(link))
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                raise Invalid.field(f"runbook_links.{i}", "must be an http(s) address")


def service_create(
    *,
    actor: User,
    name: str,
    owner_team: Team,
    description: str = "",
    support_queue: Queue | None = None,
    hours: str = "",
    runbook_links: list[str] | None = None,
    projects: list[Project] | None = None,
) -> Service:
    """Create a service. Members of the owner team, site admins, or a manager of one of
    ``projects`` (the handoff of a project to operations) may."""
    projects = projects or []
    if not any(_manages(actor, p) for p in projects):
        _require_editor(actor, owner_team)
    data = {
        "name": (name or "").strip(), "description": description, "hours": hours,
        "runbook_links": list(runbook_links or []),
    }  # fmt: skip
    _validate_service(data)
    with transaction.atomic():
        if Service.objects.filter(name=data["name"]).exists():
            raise Conflict(
                f"a service named {data['name']!r} exists", [FieldError("name", "taken")]
            )
        service = Service.objects.create(owner_team=owner_team, support_queue=support_queue, **data)
        if projects:
            service.projects.set(projects)
        audit(actor=actor, action="service.create", obj=service,
              project=projects[0] if projects else None,
              changes={**{k: [None, json_value(v)] for k, v in data.items() if v},
                       "owner_team": [None, owner_team.name],
                       "support_queue": [None, support_queue.key if support_queue else None],
                       "projects": [[], [p.key for p in projects]]})  # fmt: skip
    return service


def service_update(
    *, actor: User, service: Service, version: int | None, data: dict[str, Any]
) -> Service:
    unknown = set(data) - set(SERVICE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], "cannot be changed here")
    _require_editor(actor, service.owner_team)
    for required in ("name", "owner_team", "retired"):
        if required in data and data[required] is None:
            raise Invalid.field(required, "must not be null")
    _validate_service(data)
    data = dict(data)
    projects = data.pop("projects", None)
    with transaction.atomic():
        service = Service.objects.select_for_update().get(pk=service.pk)
        check_version(service, version)
        if (
            "name" in data
            and Service.objects.filter(name=data["name"]).exclude(pk=service.pk).exists()
        ):
            raise Conflict("a service with this name exists", [FieldError("name", "taken")])
        changes = apply_changes(service, data)
        if projects is not None:
            before = sorted(service.projects.values_list("key", flat=True))
            after = sorted({p.key for p in projects})
            if before != after:
                service.projects.set(projects)
                changes["projects"] = [before, after]
        if changes:
            save_versioned(service, [n for n in changes if n != "projects"])
            audit(actor=actor, action="service.update", obj=service, changes=changes)
    return service


# ------------------------------------------------------------------ import
IMPORT_COLUMNS = (
    "tag", "name", "asset_type", "status", "serial", "model", "vendor", "location",
    "owner_team", "purchase_order", "cost", "currency", "warranty_end", "service", "project",
)  # fmt: skip
REQUIRED_COLUMNS = ("tag", "name", "asset_type")
_TYPE_LABELS = {label.lower(): value for value, label in AssetType.choices}
_STATUS_LABELS = {label.lower(): value for value, label in AssetStatus.choices}


@dataclass
class ImportRow:
    row: int
    tag: str
    action: str  # "create", "update", "error"
    errors: list[FieldError] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class ImportReport:
    dry_run: bool
    rows: list[ImportRow]
    applied: bool = False

    @property
    def error_count(self) -> int:
        return sum(1 for row in self.rows if row.errors)

    @property
    def created(self) -> int:
        return sum(1 for row in self.rows if row.action == "create")

    @property
    def updated(self) -> int:
        return sum(1 for row in self.rows if row.action == "update")

    @property
    def ok(self) -> bool:
        return self.error_count == 0


def read_table(content: bytes, filename: str) -> list[dict[str, str]]:
    """Rows of a CSV or XLSX file as {column: text}; column names are lower-cased."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        import openpyxl

        try:
            book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - any unreadable file is the same 422
            raise Invalid.field(
                "file", f"not a readable XLSX workbook ({type(exc).__name__})"
            ) from None
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        if not rows:
            return []
        header = [str(h or "").strip().lower().replace(" ", "_") for h in rows[0]]
        table = []
        for values in rows[1 : MAX_IMPORT_ROWS + 2]:
            if all(v is None or str(v).strip() == "" for v in values):
                continue
            table.append({header[i]: _cell(v) for i, v in enumerate(values) if i < len(header)})
        return table
    if name.endswith(".csv") or not name:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid.field("file", "CSV must be UTF-8 text") from None
        reader = csv.DictReader(io.StringIO(text))
        if reader.fieldnames is None:
            return []
        reader.fieldnames = [f.strip().lower().replace(" ", "_") for f in reader.fieldnames]
        return [
            {k: (v or "").strip() for k, v in row.items() if k is not None}
            for row in reader
            if any((v or "").strip() for v in row.values() if isinstance(v, str))
        ]
    raise Invalid.field("file", "expected a .csv or .xlsx file")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def asset_import(*, actor: User, rows: list[dict[str, str]], dry_run: bool = True) -> ImportReport:
    """Validate every row; with no errors and ``dry_run`` off, write them all in one
    transaction (all or nothing). A row whose tag exists updates that asset."""
    if actor is None or not actor.is_authenticated or is_portal_only(actor):
        raise NotFound("not found")
    if not rows:
        raise Invalid.field("file", "no rows to import")
    if len(rows) > MAX_IMPORT_ROWS:
        raise Invalid.field("file", f"at most {MAX_IMPORT_ROWS} rows per import")
    missing = [c for c in REQUIRED_COLUMNS if c not in rows[0]]
    if missing:
        raise Invalid.field("file", f"missing column(s): {', '.join(missing)}")
    teams = {t.name.lower(): t for t in Team.objects.all()}
    services = {s.name.lower(): s for s in Service.objects.all()}
    projects = {p.key: p for p in Project.objects.all()}
    existing = {a.tag: a for a in Asset.objects.select_related("owner_team", "project")}
    report = ImportReport(dry_run=dry_run, rows=[])
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=2):  # row 1 is the header
        item = ImportRow(row=number, tag=raw.get("tag", "").strip(), action="create")
        errors = item.errors
        data: dict[str, Any] = {}
        for column in ("tag", "name", "serial", "model", "vendor", "location", "purchase_order"):
            if column in raw:
                data[column] = raw[column].strip()
        kind = raw.get("asset_type", "").strip().lower()
        data["asset_type"] = _TYPE_LABELS.get(kind, kind)
        if raw.get("status", "").strip():
            status = raw["status"].strip().lower()
            data["status"] = _STATUS_LABELS.get(status, status.replace(" ", "_"))
        if raw.get("cost", "").strip():
            try:
                data["cost"] = Decimal(raw["cost"].strip().replace(",", ""))
            except InvalidOperation:
                errors.append(FieldError("cost", f"not a number: {raw['cost']!r}"))
        if raw.get("currency", "").strip():
            data["currency"] = raw["currency"].strip().upper()
        if raw.get("warranty_end", "").strip():
            try:
                data["warranty_end"] = dt.date.fromisoformat(raw["warranty_end"].strip()[:10])
            except ValueError:
                errors.append(FieldError("warranty_end", "expected a date YYYY-MM-DD"))
        if raw.get("owner_team", "").strip():
            team = teams.get(raw["owner_team"].strip().lower())
            if team is None:
                errors.append(FieldError("owner_team", f"no team called {raw['owner_team']!r}"))
            data["owner_team"] = team
        if raw.get("service", "").strip():
            service = services.get(raw["service"].strip().lower())
            if service is None:
                errors.append(FieldError("service", f"no service called {raw['service']!r}"))
            data["service"] = service
        if raw.get("project", "").strip():
            project = projects.get(raw["project"].strip().upper())
            if project is None:
                errors.append(FieldError("project", f"no project {raw['project']!r}"))
            data["project"] = project
        errors.extend(_validate_asset(data))
        if item.tag in seen:
            errors.append(FieldError("tag", f"{item.tag} appears twice in the file"))
        seen.add(item.tag)
        current = existing.get(item.tag)
        if current is not None:
            item.action = "update"
        team = data.get("owner_team") or (current.owner_team if current else None)
        allowed = can_edit_team(actor, team.pk if team else None) or _manages(
            actor, data.get("project") or (current.project if current else None)
        )
        if not allowed and not errors:
            errors.append(FieldError("owner_team", "you may only import assets of your own teams"))
        if errors:
            item.action = "error"
        item.data = data
        report.rows.append(item)
    if dry_run or not report.ok:
        return report
    try:
        with transaction.atomic():
            for item in report.rows:
                current = existing.get(item.tag)
                if current is None:
                    asset = Asset.objects.create(**item.data)
                    audit(actor=actor, action="asset.import", obj=asset, project=asset.project,
                          changes={k: [None, json_value(v)] for k, v in item.data.items()
                                   if v not in ("", None)})  # fmt: skip
                else:
                    locked = Asset.objects.select_for_update().get(pk=current.pk)
                    changes = apply_changes(locked, item.data)
                    if changes:
                        save_versioned(locked, list(changes))
                        audit(actor=actor, action="asset.import", obj=locked,
                              project=locked.project, changes=changes)  # fmt: skip
    except IntegrityError as exc:
        raise Conflict(f"import failed, nothing was saved: {exc}") from None
    report.applied = True
    return report


def task_for_asset(*, actor: User, task_id: int | None) -> Task | None:
    """The installing task, if the actor may see its project (a 422 otherwise)."""
    if task_id is None:
        return None
    from itpm.planning.selectors import task_get

    try:
        return task_get(user=actor, task_id=task_id)
    except NotFound:
        raise Invalid.field("installed_by_task", "no such task") from None


# ------------------------------------------------------------------ goods received
# Words in an order line's description that name the asset type; the first match wins.
_TYPE_WORDS = (
    ("server", AssetType.SERVER), ("laptop", AssetType.LAPTOP), ("notebook", AssetType.LAPTOP),
    ("switch", AssetType.SWITCH), ("router", AssetType.ROUTER), ("firewall", AssetType.FIREWALL),
    ("storage", AssetType.STORAGE), ("nas", AssetType.STORAGE), ("san", AssetType.STORAGE),
)  # fmt: skip
MAX_UNITS_PER_RECEIPT_LINE = 1000


def asset_type_for(description: str) -> str:
    words = description.lower().replace("-", " ").split()
    for word, kind in _TYPE_WORDS:
        if any(w.startswith(word) for w in words):
            return kind
    return AssetType.OTHER


def asset_create_from_receipt(
    *,
    actor: User,
    project: Project,
    purchase_order: str,
    description: str,
    quantity: Decimal,
    unit_cost: Decimal,
    currency: str,
    vendor: str,
    received_on: dt.date,
) -> list[Asset]:
    """One asset record per unit of received hardware, in stock (status received).

        Called by the goods-receipt service inside its transaction, after it checked that the
        actor may record receipts on ``project`` (a member); an error here rolls the receipt
        back. Tags are ``<order number>-<n>`` (the project key put in front when the number lacks
    it), numbered on from the order's assets.
    """
    role = project_role(actor, project)
    if role is None or ROLE_RANK[role] < ROLE_RANK[Role.MEMBER]:
        raise Forbidden("only project members record received hardware")
    units = int(quantity)  # a fraction of a server is not a server: whole units only
    if units > MAX_UNITS_PER_RECEIPT_LINE:
        raise Invalid.field("quantity", f"at most {MAX_UNITS_PER_RECEIPT_LINE} assets per line")
    # Order numbers usually carry the project key already (PO-HWDC-001); else prefix it.
    prefix = (
        purchase_order if project.key in purchase_order else f"{project.key}-{purchase_order}"
    )[:58]
    with transaction.atomic():
        taken = Asset.objects.filter(tag__startswith=f"{prefix}-").count()
        created = []
        for n in range(taken + 1, taken + units + 1):
            tag = f"{prefix}-{n:03d}"
            while Asset.objects.filter(tag=tag).exists():
                n += 1000
                tag = f"{prefix}-{n:03d}"
            asset = Asset.objects.create(
                asset_type=asset_type_for(description), name=description[:200], tag=tag,
                vendor=vendor[:200], status=AssetStatus.RECEIVED, purchase_order=purchase_order,
                cost=unit_cost, currency=currency, project=project,
                notes=f"Received {received_on:%Y-%m-%d} on {purchase_order}.",
            )  # fmt: skip
            created.append(asset)
        if created:
            audit(actor=actor, action="asset.create_from_receipt", obj=created[0],
                  project=project,
                  changes={"purchase_order": [None, purchase_order],
                           "tags": [None, [a.tag for a in created]]})  # fmt: skip
    return created
