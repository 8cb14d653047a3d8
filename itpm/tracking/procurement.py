"""Use cases of procurement: request → approval → order → receipts → invoices (three-way match).

Who decides:
- a project member drafts and submits a purchase request;
- the procurement team (accounts Team of kind "procurement") approves every request, and the
  project's manager also approves when the expected cost reaches
  ``ITPM_PROCUREMENT_MANAGER_THRESHOLD``; either may reject;
- procurement or the project manager turns an approved request into a purchase order and
  records supplier invoices; a project member records the goods received;
- site admins act as everyone.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from itpm.accounts.models import ROLE_RANK, Role, TeamKind, User
from itpm.accounts.permissions import is_admin, project_role, require_role
from itpm.core.errors import Conflict, Forbidden, Invalid, NotFound
from itpm.core.services import audit, check_version, save_versioned
from itpm.portfolio.models import Project
from itpm.tracking.models import (
    ZERO,
    BudgetLine,
    GoodsReceipt,
    Invoice,
    InvoiceLine,
    MatchState,
    OrderLine,
    OrderState,
    PurchaseItem,
    PurchaseOrder,
    PurchaseRequest,
    ReceiptLine,
    RequestState,
)
from itpm.tracking.money import money, quantity

MAX_ITEMS = 200


def is_procurement(user: Any) -> bool:
    if is_admin(user):
        return True
    return bool(
        user is not None
        and user.is_authenticated
        and user.teams.filter(kind=TeamKind.PROCUREMENT).exists()
    )


def _is_manager(user: Any, project: Project) -> bool:
    role = project_role(user, project)
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[Role.MANAGER]


def _require_buyer(actor: User, project: Project) -> None:
    """Procurement or the project's manager; outsiders who are not buyers get 404."""
    if project.archived:
        require_role(actor, project, Role.VIEWER)  # 404 for outsiders, then …
        raise Conflict(f"project {project.key} is archived and read-only")
    if is_procurement(actor) or _is_manager(actor, project):
        return
    require_role(actor, project, Role.VIEWER, write=False)
    raise Forbidden("this needs the procurement team or the project's manager")


def _next_number(prefix: str, project: Project, model: Any) -> str:
    count = model.objects.filter(project=project).count() + 1
    while model.objects.filter(number=f"{prefix}-{project.key}-{count:03d}").exists():
        count += 1
    return f"{prefix}-{project.key}-{count:03d}"


def _items(raw: Any) -> list[dict[str, Any]]:
    if not isinstance(raw, list) or not raw:
        raise Invalid.field("items", "at least one item")
    if len(raw) > MAX_ITEMS:
        raise Invalid.field("items", f"at most {MAX_ITEMS} items")
    items = []
    for index, item in enumerate(raw):
        description = str(item.get("description") or "").strip()
        if not description or len(description) > 300:
            raise Invalid.field(f"items.{index}.description", "must be 1 to 300 characters")
        items.append(
            {
                "description": description,
                "quantity": quantity(item.get("quantity"), f"items.{index}.quantity"),
                "unit_price": money(item.get("unit_price"), f"items.{index}.unit_price"),
                "is_hardware": bool(item.get("is_hardware", False)),
            }
        )
    return items


def purchase_request_create(
    *,
    actor: User,
    project: Project,
    title: str,
    vendor: str,
    line: BudgetLine,
    justification: str,
    items: list[dict[str, Any]],
    submit: bool = False,
) -> PurchaseRequest:
    require_role(actor, project, Role.MEMBER)
    title, vendor = (title or "").strip(), (vendor or "").strip()
    if not title or len(title) > 200:
        raise Invalid.field("title", "must be 1 to 200 characters")
    if not vendor or len(vendor) > 200:
        raise Invalid.field("vendor", "must be 1 to 200 characters")
    if not (justification or "").strip():
        raise Invalid.field("justification", "say why this is needed")
    if line.project_id != project.pk:
        raise Invalid.field("line", "belongs to another project")
    clean = _items(items)
    with transaction.atomic():
        Project.objects.select_for_update().filter(pk=project.pk).first()
        request = PurchaseRequest.objects.create(
            project=project, number=_next_number("PR", project, PurchaseRequest), title=title,
            vendor=vendor, line=line, justification=justification.strip(), requested_by=actor,
        )  # fmt: skip
        PurchaseItem.objects.bulk_create([PurchaseItem(request=request, **i) for i in clean])
        audit(
            actor=actor,
            action="purchase_request.create",
            obj=request,
            project=project,
            changes={"vendor": [None, vendor], "line": [None, line.name],
                     "expected_cost": [None, str(request.expected_cost)]},
        )  # fmt: skip
    if submit:
        request = purchase_request_submit(actor=actor, request=request, version=request.version)
    return request


def _set_state(actor: User, request: PurchaseRequest, action: str, **fields: Any) -> None:
    before = request.state
    for name, value in fields.items():
        setattr(request, name, value)
    save_versioned(request, list(fields))
    audit(
        actor=actor,
        action=f"purchase_request.{action}",
        obj=request,
        project=request.project,
        changes={"state": [before, request.state]} if before != request.state else {},
    )


def purchase_request_submit(
    *, actor: User, request: PurchaseRequest, version: int | None
) -> PurchaseRequest:
    require_role(actor, request.project, Role.MEMBER)
    threshold = Decimal(settings.ITPM_PROCUREMENT_MANAGER_THRESHOLD)
    with transaction.atomic():
        request = PurchaseRequest.objects.select_for_update().get(pk=request.pk)
        check_version(request, version)
        if request.state not in (RequestState.DRAFT, RequestState.REJECTED):
            raise Conflict(f"{request.number} is {request.get_state_display().lower()}")
        _set_state(
            actor, request, "submit", state=RequestState.SUBMITTED,
            needs_manager=request.expected_cost >= threshold,
            procurement_approved_by=None, procurement_approved_at=None,
            manager_approved_by=None, manager_approved_at=None,
        )  # fmt: skip
    return request


def _decider_roles(actor: User, request: PurchaseRequest) -> set[str]:
    roles = set()
    if is_procurement(actor):
        roles.add("procurement")
    if request.needs_manager and _is_manager(actor, request.project):
        roles.add("manager")
    return roles


def purchase_request_approve(
    *, actor: User, request: PurchaseRequest, version: int | None, comment: str = ""
) -> PurchaseRequest:
    """Give the approvals the actor can give; the request is approved when all are in."""
    project = request.project
    require_role(actor, project, Role.VIEWER, write=False) if not is_procurement(actor) else None
    if project.archived:
        raise Conflict(f"project {project.key} is archived and read-only")
    roles = _decider_roles(actor, request)
    if not roles:
        raise Forbidden("approval needs the procurement team (or the manager above the threshold)")
    now = timezone.now()
    with transaction.atomic():
        request = PurchaseRequest.objects.select_for_update().get(pk=request.pk)
        check_version(request, version)
        if request.state != RequestState.SUBMITTED:
            raise Conflict(f"{request.number} is {request.get_state_display().lower()}")
        fields: dict[str, Any] = {}
        if "procurement" in roles and request.procurement_approved_by_id is None:
            fields |= {"procurement_approved_by": actor, "procurement_approved_at": now}
        if "manager" in roles and request.manager_approved_by_id is None:
            fields |= {"manager_approved_by": actor, "manager_approved_at": now}
        if not fields:
            raise Conflict("you have approved this request already")
        procurement_done = "procurement_approved_by" in fields or request.procurement_approved_by_id
        manager_done = (
            not request.needs_manager
            or "manager_approved_by" in fields
            or request.manager_approved_by_id
        )
        if procurement_done and manager_done:
            fields["state"] = RequestState.APPROVED
        if comment:
            fields["decision_comment"] = comment[:2000]
        _set_state(actor, request, "approve", **fields)
    return request


def purchase_request_reject(
    *, actor: User, request: PurchaseRequest, version: int | None, comment: str
) -> PurchaseRequest:
    project = request.project
    if not is_procurement(actor):
        require_role(actor, project, Role.VIEWER, write=False)
    if project.archived:
        raise Conflict(f"project {project.key} is archived and read-only")
    if not (is_procurement(actor) or _is_manager(actor, project)):
        raise Forbidden("rejection needs the procurement team or the project's manager")
    if not (comment or "").strip():
        raise Invalid.field("comment", "say why the request is rejected")
    with transaction.atomic():
        request = PurchaseRequest.objects.select_for_update().get(pk=request.pk)
        check_version(request, version)
        if request.state != RequestState.SUBMITTED:
            raise Conflict(f"{request.number} is {request.get_state_display().lower()}")
        _set_state(
            actor, request, "reject", state=RequestState.REJECTED,
            decision_comment=comment.strip()[:2000],
        )  # fmt: skip
    return request


def purchase_order_create(
    *, actor: User, request: PurchaseRequest, order_date: dt.date | None = None
) -> PurchaseOrder:
    project = request.project
    _require_buyer(actor, project)
    with transaction.atomic():
        request = PurchaseRequest.objects.select_for_update().get(pk=request.pk)
        if request.state != RequestState.APPROVED:
            raise Conflict(
                f"{request.number} is {request.get_state_display().lower()}; "
                "only an approved request can be ordered"
            )
        order = PurchaseOrder.objects.create(
            project=project, request=request, number=_next_number("PO", project, PurchaseOrder),
            vendor=request.vendor, line=request.line, ordered_by=actor,
            order_date=order_date or timezone.localdate(),
        )  # fmt: skip
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=order,
                    description=i.description,
                    quantity=i.quantity,
                    unit_price=i.unit_price,
                    is_hardware=i.is_hardware,
                )  # fmt: skip
                for i in request.items.all()
            ]
        )
        _set_state(actor, request, "order", state=RequestState.ORDERED)
        audit(
            actor=actor,
            action="purchase_order.create",
            obj=order,
            project=project,
            changes={"request": [None, request.number], "vendor": [None, order.vendor]},
        )
    return order


def _lines_input(order: PurchaseOrder, raw: Any, *, price: bool) -> list[dict[str, Any]]:
    """``[{"line": order_line_id, "quantity": "2", "unit_price": "10.00"}]`` checked against the order."""
    if not isinstance(raw, list) or not raw:
        raise Invalid.field("lines", "at least one line")
    own = {line.pk: line for line in order.lines.all()}
    result = []
    seen = set()
    for index, item in enumerate(raw):
        line_id = item.get("line")
        if line_id not in own:
            raise Invalid.field(f"lines.{index}.line", f"not a line of {order.number}")
        if line_id in seen:
            raise Invalid.field(f"lines.{index}.line", "named twice")
        seen.add(line_id)
        entry: dict[str, Any] = {
            "order_line": own[line_id],
            "quantity": quantity(item.get("quantity"), f"lines.{index}.quantity"),
        }
        if price:
            entry["unit_price"] = money(item.get("unit_price"), f"lines.{index}.unit_price")
        result.append(entry)
    return result


def _require_open(order: PurchaseOrder) -> None:
    if order.state != OrderState.OPEN:
        raise Conflict(f"{order.number} is {order.get_state_display().lower()}")


def goods_receipt_create(
    *,
    actor: User,
    order: PurchaseOrder,
    lines: list[dict[str, Any]],
    date: dt.date | None = None,
    note: str = "",
    create_assets: bool = True,
) -> GoodsReceipt:
    """Record a (partial) delivery. Receiving more than ordered is recorded and flagged
    (over-receipt) in the three-way match, not refused: the goods are on the loading dock.

    With ``create_assets``, the lines flagged as hardware become one asset record per unit
    (status received), in the same transaction: a failure there records nothing."""
    project = order.project
    require_role(actor, project, Role.MEMBER)
    clean = _lines_input(order, lines, price=False)
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        _require_open(order)
        receipt = GoodsReceipt.objects.create(
            order=order, date=date or timezone.localdate(), received_by=actor, note=note[:300]
        )
        ReceiptLine.objects.bulk_create([ReceiptLine(receipt=receipt, **c) for c in clean])
        audit(
            actor=actor,
            action="goods_receipt.create",
            obj=receipt,
            project=project,
            changes={"lines": [None, {str(c["order_line"].pk): str(c["quantity"]) for c in clean}]},
        )
        hardware = [c for c in clean if c["order_line"].is_hardware]
        if hardware and create_assets:
            _create_assets(actor=actor, order=order, receipt=receipt, lines=hardware)
    return receipt


def order_has_hardware(order: PurchaseOrder) -> bool:
    """Whether receiving on ``order`` can create asset records."""
    return any(line.is_hardware for line in order.lines.all())


def _create_assets(
    *, actor: User, order: PurchaseOrder, receipt: GoodsReceipt, lines: list[dict[str, Any]]
) -> int:
    """Hook: received hardware becomes asset records when the assets app offers a service.

    The assets app owns asset rules: ``itpm.assets.services.asset_create_from_receipt`` is
    called once per received hardware line, inside this transaction (its errors roll the
    receipt back). Without the assets app installed nothing is created here.
    """
    from django.apps import apps

    if not apps.is_installed("itpm.assets"):
        return 0
    try:
        from itpm.assets import services as asset_services
    except ImportError:
        return 0
    create = getattr(asset_services, "asset_create_from_receipt", None)
    if create is None:
        return 0
    count = 0
    for entry in lines:
        line: OrderLine = entry["order_line"]
        create(
            actor=actor, project=order.project, purchase_order=order.number,
            description=line.description, quantity=entry["quantity"],
            unit_cost=line.unit_price, currency=order.project.currency, vendor=order.vendor,
            received_on=receipt.date,
        )  # fmt: skip
        count += 1
    return count


def order_quantities(order: PurchaseOrder) -> dict[int, dict[str, Decimal]]:
    """Per order line: ordered, received and invoiced quantities."""
    result: dict[int, dict[str, Decimal]] = {}
    for line in order.lines.all():
        result[line.pk] = {"ordered": line.quantity, "received": ZERO, "invoiced": ZERO}
    for row in ReceiptLine.objects.filter(receipt__order=order):
        result[row.order_line_id]["received"] += row.quantity
    for billed in InvoiceLine.objects.filter(invoice__order=order):
        result[billed.order_line_id]["invoiced"] += billed.quantity
    return result


def three_way_match(
    order: PurchaseOrder, invoice_lines: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Compare an invoice with the order and the goods received (before it is stored).

    Reasons, per line: ``price`` (unit price differs from the order), ``quantity`` (billed
    more than was received so far, counting earlier invoices), ``over_receipt`` (more was
    received than ordered). An empty list is a match.
    """
    quantities = order_quantities(order)
    mismatches: list[dict[str, Any]] = []
    for entry in invoice_lines:
        line: OrderLine = entry["order_line"]
        q = quantities[line.pk]
        billed = q["invoiced"] + entry["quantity"]
        if entry["unit_price"] != line.unit_price:
            mismatches.append(
                {"line": line.pk, "reason": "price",
                 "message": f"{line.description}: invoiced at {entry['unit_price']}, "
                            f"ordered at {line.unit_price}"}
            )  # fmt: skip
        if billed > q["received"]:
            mismatches.append(
                {"line": line.pk, "reason": "quantity",
                 "message": f"{line.description}: billed {billed} in all, received {q['received']}"}
            )  # fmt: skip
        if q["received"] > q["ordered"]:
            mismatches.append(
                {"line": line.pk, "reason": "over_receipt",
                 "message": f"{line.description}: received {q['received']}, ordered {q['ordered']}"}
            )  # fmt: skip
    return mismatches


def invoice_record(
    *,
    actor: User,
    order: PurchaseOrder,
    number: str,
    lines: list[dict[str, Any]],
    date: dt.date | None = None,
) -> Invoice:
    project = order.project
    _require_buyer(actor, project)
    number = (number or "").strip()
    if not number or len(number) > 64:
        raise Invalid.field("number", "must be 1 to 64 characters")
    clean = _lines_input(order, lines, price=True)
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        _require_open(order)
        if Invoice.objects.filter(order=order, number=number).exists():
            raise Conflict(f"invoice {number} of {order.number} is recorded already")
        mismatches = three_way_match(order, clean)
        invoice = Invoice.objects.create(
            order=order, number=number, date=date or timezone.localdate(),
            match_state=MatchState.MISMATCH if mismatches else MatchState.MATCHED,
            mismatches=mismatches, recorded_by=actor,
        )  # fmt: skip
        InvoiceLine.objects.bulk_create([InvoiceLine(invoice=invoice, **c) for c in clean])
        audit(
            actor=actor,
            action="invoice.record",
            obj=invoice,
            project=project,
            changes={"amount": [None, str(invoice.amount)],
                     "match_state": [None, invoice.match_state],
                     "mismatches": [None, [m["reason"] for m in mismatches]]},
        )  # fmt: skip
    return invoice


def invoice_accept(*, actor: User, invoice: Invoice, version: int | None, comment: str) -> Invoice:
    """Procurement accepts a flagged invoice after checking it (the reasons stay on record)."""
    project = invoice.order.project
    _require_buyer(actor, project)
    if not (comment or "").strip():
        raise Invalid.field("comment", "say why the difference is accepted")
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        check_version(invoice, version)
        if invoice.match_state != MatchState.MISMATCH:
            raise Conflict(f"invoice {invoice.number} is not flagged")
        invoice.match_state = MatchState.MATCHED
        invoice.mismatches = [
            *invoice.mismatches,
            {"reason": "accepted", "message": comment.strip()[:500], "by": actor.username},
        ]
        save_versioned(invoice, ["match_state", "mismatches"])
        audit(
            actor=actor, action="invoice.accept", obj=invoice, project=project,
            changes={"match_state": ["mismatch", "matched"]},
        )  # fmt: skip
    return invoice


def purchase_order_close(
    *, actor: User, order: PurchaseOrder, version: int | None
) -> PurchaseOrder:
    """Close an order: nothing more will be received or invoiced; its commitment is released."""
    project = order.project
    _require_buyer(actor, project)
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        check_version(order, version)
        _require_open(order)
        if order.invoices.filter(match_state=MatchState.MISMATCH).exists():
            raise Conflict(f"{order.number} has a flagged invoice; resolve it before closing")
        order.state = OrderState.CLOSED
        order.closed_at = timezone.now()
        save_versioned(order, ["state", "closed_at"])
        audit(
            actor=actor, action="purchase_order.close", obj=order, project=project,
            changes={"state": ["open", "closed"]},
        )  # fmt: skip
    return order


def purchase_order_cancel(
    *, actor: User, order: PurchaseOrder, version: int | None, reason: str
) -> PurchaseOrder:
    """Cancel an order nothing was received or invoiced against (the vendor cannot deliver,
    the need went away): its commitment is released and the reason stays on record. An order
    with deliveries or invoices is closed instead, so that what was spent stays explained."""
    project = order.project
    _require_buyer(actor, project)
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("comment", "say why the order is cancelled")
    with transaction.atomic():
        order = PurchaseOrder.objects.select_for_update().get(pk=order.pk)
        check_version(order, version)
        _require_open(order)
        if order.receipts.exists() or order.invoices.exists():
            raise Conflict(
                f"{order.number} has deliveries or invoices; close it instead of cancelling"
            )
        order.state = OrderState.CANCELLED
        order.closed_at = timezone.now()
        save_versioned(order, ["state", "closed_at"])
        audit(
            actor=actor, action="purchase_order.cancel", obj=order, project=project,
            changes={"state": ["open", "cancelled"], "reason": [None, reason[:500]]},
        )  # fmt: skip
    return order


def line_commitments(project: Project) -> dict[int, dict[str, Decimal]]:
    """Per budget line: committed (open orders not yet invoiced), invoiced and disputed."""
    result: dict[int, dict[str, Decimal]] = defaultdict(
        lambda: {"committed": ZERO, "invoiced": ZERO, "disputed": ZERO}
    )
    orders = (
        PurchaseOrder.objects.filter(project=project)
        .prefetch_related("lines", "invoices__lines")
        .exclude(state=OrderState.CANCELLED)
    )
    for order in orders:
        ordered = sum((line.amount for line in order.lines.all()), ZERO)
        matched = disputed = ZERO
        for invoice in order.invoices.all():
            if invoice.match_state == MatchState.MATCHED:
                matched += invoice.amount
            else:
                disputed += invoice.amount
        bucket = result[order.line_id]
        bucket["invoiced"] += matched
        bucket["disputed"] += disputed
        if order.state == OrderState.OPEN:
            bucket["committed"] += max(ordered - matched, ZERO)
    return dict(result)


def get_order(user: Any, order_id: int) -> PurchaseOrder:
    from itpm.tracking.selectors import visible_orders

    order = visible_orders(user).filter(pk=order_id).first()
    if order is None:
        raise NotFound(f"purchase order {order_id} not found")
    return order
