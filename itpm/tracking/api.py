"""API: budgets, costs, procurement, timesheets and time entries, earned value, status reports.

Money is a string with two decimals in the project's currency, in and out (never a float).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Router, Schema

from itpm.accounts.permissions import get_visible_project, request_user
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.core.errors import Invalid
from itpm.planning import selectors as planning_selectors
from itpm.tracking import procurement, reports, selectors, services, timesheets
from itpm.tracking.earned_value import project_evm
from itpm.tracking.models import (
    BudgetCategory,
    EarnedValueMethod,
    NonProjectCategory,
    Rag,
    TimeEntry,
    Timesheet,
)

router = Router(tags=["tracking"])

WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
MONEY_EXAMPLE = "12500.00"


# ============================================================================ budget
class LineOut(Schema):
    id: int | None
    version: int | None
    category: str
    name: str
    notes: str
    months: dict[str, Decimal] = Field(description="Month (YYYY-MM) → planned amount.")
    budget: Decimal
    committed: Decimal = Field(description="Open purchase orders not yet invoiced.")
    disputed: Decimal = Field(description="Invoices flagged by the three-way match.")
    actual: Decimal = Field(
        description="Matched invoices, expenses (and labour on the labour line)."
    )
    remaining: Decimal = Field(description="budget − actual − committed")
    forecast: Decimal = Field(description="Forecast at completion.")


class BudgetTotals(Schema):
    budget: Decimal
    committed: Decimal
    disputed: Decimal
    actual: Decimal
    remaining: Decimal
    forecast: Decimal


class BudgetOut(Schema):
    project: str
    currency: str
    version: int = Field(description="Version of the project's finance settings.")
    baselined: bool = Field(description="True: budget changes need an approved change request.")
    management_reserve: Decimal
    spi_red: Decimal
    spi_amber: Decimal
    cpi_red: Decimal
    cpi_amber: Decimal
    report_recipients: list[str]
    lines: list[LineOut]
    totals: BudgetTotals
    months: dict[str, Decimal] = Field(description="All lines per month.")


def _budget_out(project: Any) -> dict[str, Any]:
    summary = selectors.budget_summary(project)
    finance = summary["finance"]
    lines = []
    for row in summary["rows"]:
        line = row["line"]
        lines.append({
            "id": line.pk if line else None, "version": line.version if line else None,
            "category": line.category if line else "internal_labour",
            "name": line.name if line else "Labour (no internal-labour line)",
            "notes": line.notes if line else "",
            "months": {m.strftime("%Y-%m"): a for m, a in sorted(row["periods"].items())},
            **{k: row[k] for k in ("budget", "committed", "disputed", "actual", "remaining", "forecast")},
        })  # fmt: skip
    return {
        "project": project.key, "currency": project.currency, "version": finance.version,
        "baselined": services.project_is_baselined(project),
        "management_reserve": finance.management_reserve, "spi_red": finance.spi_red,
        "spi_amber": finance.spi_amber, "cpi_red": finance.cpi_red, "cpi_amber": finance.cpi_amber,
        "report_recipients": finance.report_recipients, "lines": lines, "totals": summary["total"],
        "months": {m.strftime("%Y-%m"): a
                   for m, a in selectors.project_budget_by_month(project).items()},
    }  # fmt: skip


class LineIn(StrictSchema):
    category: BudgetCategory = Field(examples=["hardware"])
    name: str = Field(min_length=1, max_length=200, examples=["Core switches"])
    notes: str = Field("", max_length=10_000)
    months: dict[str, str] = Field(
        {}, description="Month (YYYY-MM) → amount as a string.",
        examples=[{"2027-02": "40000.00", "2027-03": "8000.00"}],
    )  # fmt: skip
    change_request: int | None = Field(
        None, description="Id of the approved change request (required once baselined)."
    )


class LinePatch(StrictSchema):
    version: int | None = Field(None, description="The version you read; or send If-Match.")
    category: BudgetCategory | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    notes: str | None = Field(None, max_length=10_000)
    months: dict[str, str] | None = Field(None, description="Replaces all months of the line.")
    change_request: int | None = None


class FinancePatch(StrictSchema):
    version: int | None = None
    management_reserve: str | None = Field(None, examples=["15000.00"])
    spi_red: str | None = Field(None, examples=["0.90"])
    spi_amber: str | None = Field(None, examples=["0.95"])
    cpi_red: str | None = Field(None, examples=["0.90"])
    cpi_amber: str | None = Field(None, examples=["0.95"])
    report_recipients: list[str] | None = Field(None, examples=[["cfo@example.com"]])
    change_request: int | None = None


def _change_request(project: Any, ident: int | None) -> Any:
    return services.change_request_get(project, ident)


@router.get("/projects/{key}/budget", response={200: BudgetOut, 404: ErrorOut})
def budget_get(request: HttpRequest, key: str, response: HttpResponse) -> dict[str, Any]:
    """Budget lines with months, committed, actual, remaining and forecast; reserve; thresholds."""
    project = get_visible_project(request.user, key)
    out = _budget_out(project)
    with_etag(response, out["version"])
    return out


@router.patch("/projects/{key}/budget", response={200: BudgetOut, **WRITE_ERRORS})
def budget_update(request: HttpRequest, key: str, payload: FinancePatch) -> dict[str, Any]:
    """Management reserve (a budget change), RAG thresholds and report recipients."""
    project = get_visible_project(request.user, key)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    change_request = _change_request(project, data.pop("change_request", None))
    services.project_finance_update(actor=request_user(request), project=project, version=version,
                                    data=data, change_request=change_request)  # fmt: skip
    return _budget_out(project)


@router.post("/projects/{key}/budget/lines", response={201: LineOut, **WRITE_ERRORS})
def budget_line_create(
    request: HttpRequest, key: str, payload: LineIn
) -> tuple[int, dict[str, Any]]:
    """Add a budget line. Once the project is baselined this needs an approved change request."""
    project = get_visible_project(request.user, key)
    line = services.budget_line_create(
        actor=request_user(request), project=project, category=payload.category,
        name=payload.name, notes=payload.notes, months=payload.months,
        change_request=_change_request(project, payload.change_request),
    )  # fmt: skip
    return 201, next(r for r in _budget_out(project)["lines"] if r["id"] == line.pk)


@router.patch("/budget-lines/{line_id}", response={200: LineOut, **WRITE_ERRORS})
def budget_line_update(request: HttpRequest, line_id: int, payload: LinePatch) -> dict[str, Any]:
    line = selectors.line_get(user=request.user, line_id=line_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    months = data.pop("months", None)
    change_request = _change_request(line.project, data.pop("change_request", None))
    services.budget_line_change(actor=request_user(request), line=line, version=version, data=data,
                                months=months, change_request=change_request)  # fmt: skip
    return next(r for r in _budget_out(line.project)["lines"] if r["id"] == line.pk)


@router.delete("/budget-lines/{line_id}", response={204: None, **WRITE_ERRORS})
def budget_line_delete(
    request: HttpRequest, line_id: int, change_request: int | None = None
) -> tuple[int, None]:
    """Delete a line without expenses or purchases (once baselined: name the change request)."""
    line = selectors.line_get(user=request.user, line_id=line_id)
    services.budget_line_delete(actor=request_user(request), line=line,
                                change_request=_change_request(line.project, change_request))  # fmt: skip
    return 204, None


# ============================================================================ costs
class CostMonth(Schema):
    month: str
    labour: Decimal
    expense: Decimal
    invoice: Decimal


class ExpenseOut(Schema):
    id: int
    date: dt.date
    amount: Decimal
    description: str
    line: int = Field(validation_alias="line_id")
    task: int | None = Field(None, validation_alias="task_id")


class CostsOut(Schema):
    project: str
    currency: str
    labour: Decimal
    expenses: Decimal
    invoices: Decimal = Field(description="Invoices that passed the three-way match.")
    total: Decimal
    labour_hours: Decimal
    months: list[CostMonth]
    expense_items: list[ExpenseOut]


class ExpenseIn(StrictSchema):
    line: int = Field(examples=[3], description="Budget line id.")
    date: dt.date = Field(examples=["2027-03-02"])
    amount: str = Field(examples=["480.00"])
    description: str = Field(min_length=1, max_length=300, examples=["Cabling consumables"])
    task: int | None = None


@router.get("/projects/{key}/costs", response={200: CostsOut, 404: ErrorOut})
def costs_get(request: HttpRequest, key: str, date_from: dt.date | None = None,
              date_to: dt.date | None = None) -> dict[str, Any]:  # fmt: skip
    """Actual costs: labour (time × rate on the day), expenses, matched invoices; by month."""
    project = get_visible_project(request.user, key)
    result = selectors.costs(project, date_from=date_from, date_to=date_to)
    return {
        "project": project.key, "currency": project.currency,
        "labour": result["totals"]["labour"], "expenses": result["totals"]["expense"],
        "invoices": result["totals"]["invoice"], "total": result["total"],
        "labour_hours": result["labour_hours"],
        "months": [{"month": m, **v} for m, v in result["by_month"].items()],
        "expense_items": list(project.expenses.all()[:500]),
    }  # fmt: skip


@router.post("/projects/{key}/expenses", response={201: ExpenseOut, **WRITE_ERRORS})
def expense_create(request: HttpRequest, key: str, payload: ExpenseIn) -> tuple[int, Any]:
    project = get_visible_project(request.user, key)
    line = project.budget_lines.filter(pk=payload.line).first()
    if line is None:
        raise Invalid.field("line", f"no budget line {payload.line} on {project.key}")
    task = (
        planning_selectors.task_in_project(project=project, task_id=payload.task, field="task")
        if payload.task is not None
        else None
    )
    return 201, services.expense_create(
        actor=request_user(request), project=project, line=line, date=payload.date,
        amount=payload.amount, description=payload.description, task=task,
    )  # fmt: skip


# ============================================================================ procurement
class ItemIn(StrictSchema):
    description: str = Field(min_length=1, max_length=300, examples=["48-port core switch"])
    quantity: str = Field(examples=["2"])
    unit_price: str = Field(examples=["8400.00"])
    is_hardware: bool = Field(False, description="Received units become asset records.")


class ItemOut(Schema):
    id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    is_hardware: bool


class RequestOut(Schema):
    id: int
    version: int
    number: str
    project: str = Field(validation_alias="project.key")
    title: str
    vendor: str
    line: int = Field(validation_alias="line_id")
    justification: str
    state: str
    expected_cost: Decimal
    needs_manager: bool = Field(description="At or above ITPM_PROCUREMENT_MANAGER_THRESHOLD.")
    procurement_approved_by: str | None
    manager_approved_by: str | None
    decision_comment: str
    requested_by: str | None
    items: list[ItemOut]
    created_at: dt.datetime

    @staticmethod
    def resolve_procurement_approved_by(obj: Any) -> str | None:
        return obj.procurement_approved_by.username if obj.procurement_approved_by else None

    @staticmethod
    def resolve_manager_approved_by(obj: Any) -> str | None:
        return obj.manager_approved_by.username if obj.manager_approved_by else None

    @staticmethod
    def resolve_requested_by(obj: Any) -> str | None:
        return obj.requested_by.username if obj.requested_by else None

    @staticmethod
    def resolve_items(obj: Any) -> list[Any]:
        return list(obj.items.all())


class RequestIn(StrictSchema):
    project: str = Field(examples=["HWDC"])
    title: str = Field(min_length=1, max_length=200, examples=["Core switches for hall B"])
    vendor: str = Field(min_length=1, max_length=200, examples=["Northwind Networks"])
    line: int = Field(description="Budget line id.", examples=[3])
    justification: str = Field(min_length=1, max_length=10_000, examples=["Replace EoL switches"])
    items: list[ItemIn] = Field(min_length=1, max_length=procurement.MAX_ITEMS)
    submit: bool = Field(False, description="Submit for approval right away.")


class ApprovalDecisionIn(StrictSchema):
    version: int | None = None
    comment: str = Field("", max_length=2000, examples=["Within the framework agreement"])


@router.get("/purchase-requests", response={200: Page[RequestOut]})
def purchase_request_list(request: HttpRequest, project: str | None = None,
                          state: str | None = None, limit: int = 100, offset: int = 0) -> dict[str, Any]:  # fmt: skip
    """Requests of the projects you see (the procurement team sees all); filter by project, state."""
    qs = selectors.visible_requests(request.user).select_related(
        "procurement_approved_by", "manager_approved_by"
    )
    if project:
        qs = qs.filter(project__key=project.upper())
    if state:
        qs = qs.filter(state=state)
    return paginate(qs, limit, offset)


@router.post("/purchase-requests", response={201: RequestOut, **WRITE_ERRORS})
def purchase_request_create(request: HttpRequest, payload: RequestIn) -> tuple[int, Any]:
    project = get_visible_project(request.user, payload.project)
    line = project.budget_lines.filter(pk=payload.line).first()
    if line is None:
        raise Invalid.field("line", f"no budget line {payload.line} on {project.key}")
    created = procurement.purchase_request_create(
        actor=request_user(request), project=project, title=payload.title, vendor=payload.vendor,
        line=line, justification=payload.justification,
        items=[i.model_dump() for i in payload.items], submit=payload.submit,
    )  # fmt: skip
    return 201, selectors.request_get(user=request.user, request_id=created.pk)


@router.get("/purchase-requests/{pr_id}", response={200: RequestOut, 404: ErrorOut})
def purchase_request_get(request: HttpRequest, pr_id: int, response: HttpResponse) -> Any:
    found = selectors.request_get(user=request.user, request_id=pr_id)
    with_etag(response, found.version)
    return found


@router.post("/purchase-requests/{pr_id}/submit", response={200: RequestOut, **WRITE_ERRORS})
def purchase_request_submit(request: HttpRequest, pr_id: int, payload: ApprovalDecisionIn) -> Any:
    found = selectors.request_get(user=request.user, request_id=pr_id)
    procurement.purchase_request_submit(actor=request_user(request), request=found,
                                        version=expected_version(request, payload.version))  # fmt: skip
    return selectors.request_get(user=request.user, request_id=pr_id)


@router.post("/purchase-requests/{pr_id}/approve", response={200: RequestOut, **WRITE_ERRORS})
def purchase_request_approve(request: HttpRequest, pr_id: int, payload: ApprovalDecisionIn) -> Any:
    """Procurement approves; above the threshold the project's manager approves too."""
    found = selectors.request_get(user=request.user, request_id=pr_id)
    procurement.purchase_request_approve(
        actor=request_user(request), request=found,
        version=expected_version(request, payload.version), comment=payload.comment,
    )  # fmt: skip
    return selectors.request_get(user=request.user, request_id=pr_id)


@router.post("/purchase-requests/{pr_id}/reject", response={200: RequestOut, **WRITE_ERRORS})
def purchase_request_reject(request: HttpRequest, pr_id: int, payload: ApprovalDecisionIn) -> Any:
    found = selectors.request_get(user=request.user, request_id=pr_id)
    procurement.purchase_request_reject(
        actor=request_user(request), request=found,
        version=expected_version(request, payload.version), comment=payload.comment,
    )  # fmt: skip
    return selectors.request_get(user=request.user, request_id=pr_id)


class OrderLineOut(Schema):
    id: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    is_hardware: bool
    received: Decimal
    invoiced: Decimal


class ReceiptLineOut(Schema):
    line: int = Field(validation_alias="order_line_id")
    quantity: Decimal


class ReceiptOut(Schema):
    id: int
    date: dt.date
    note: str
    lines: list[ReceiptLineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class InvoiceLineOut(Schema):
    line: int = Field(validation_alias="order_line_id")
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal


class Mismatch(Schema):
    line: int | None = None
    reason: str = Field(description="quantity, price, over_receipt (or accepted).")
    message: str


class InvoiceOut(Schema):
    id: int
    version: int
    number: str
    date: dt.date
    amount: Decimal
    match_state: str
    mismatches: list[Mismatch]
    lines: list[InvoiceLineOut]

    @staticmethod
    def resolve_lines(obj: Any) -> list[Any]:
        return list(obj.lines.all())


class OrderOut(Schema):
    id: int
    version: int
    number: str
    project: str = Field(validation_alias="project.key")
    request: int = Field(validation_alias="request_id")
    vendor: str
    line: int = Field(validation_alias="line_id")
    state: str
    order_date: dt.date
    amount: Decimal
    lines: list[OrderLineOut]
    receipts: list[ReceiptOut]
    invoices: list[InvoiceOut]

    @staticmethod
    def resolve_amount(obj: Any) -> Decimal:
        return sum((line.amount for line in obj.lines.all()), Decimal("0.00"))

    @staticmethod
    def resolve_lines(obj: Any) -> list[dict[str, Any]]:
        quantities = procurement.order_quantities(obj)
        return [
            {
                "id": ln.pk,
                "description": ln.description,
                "quantity": ln.quantity,
                "unit_price": ln.unit_price,
                "amount": ln.amount,
                "is_hardware": ln.is_hardware,
                "received": quantities[ln.pk]["received"],
                "invoiced": quantities[ln.pk]["invoiced"],
            }  # fmt: skip
            for ln in obj.lines.all()
        ]

    @staticmethod
    def resolve_receipts(obj: Any) -> list[Any]:
        return list(obj.receipts.all())

    @staticmethod
    def resolve_invoices(obj: Any) -> list[Any]:
        return list(obj.invoices.all())


class OrderIn(StrictSchema):
    request: int = Field(description="An approved purchase request.", examples=[7])
    order_date: dt.date | None = Field(None, examples=["2027-02-03"])


class ReceiptLineIn(StrictSchema):
    line: int = Field(description="Order line id.", examples=[11])
    quantity: str = Field(examples=["1"])


class ReceiptIn(StrictSchema):
    date: dt.date | None = None
    note: str = Field("", max_length=300, examples=["First pallet, 1 of 2 switches"])
    lines: list[ReceiptLineIn] = Field(min_length=1)
    create_assets: bool = Field(
        True,
        description="Received units of lines flagged hardware become asset records (one per "
        "unit, status received, linked to the project and the order).",
        examples=[True],
    )


class InvoiceLineIn(StrictSchema):
    line: int = Field(examples=[11])
    quantity: str = Field(examples=["1"])
    unit_price: str = Field(examples=["8400.00"])


class InvoiceIn(StrictSchema):
    number: str = Field(min_length=1, max_length=64, examples=["NW-2027-0113"])
    date: dt.date | None = None
    lines: list[InvoiceLineIn] = Field(min_length=1)


@router.get("/purchase-orders", response={200: Page[OrderOut]})
def purchase_order_list(request: HttpRequest, project: str | None = None, state: str | None = None,
                        limit: int = 100, offset: int = 0) -> dict[str, Any]:  # fmt: skip
    qs = selectors.visible_orders(request.user)
    if project:
        qs = qs.filter(project__key=project.upper())
    if state:
        qs = qs.filter(state=state)
    return paginate(qs, limit, offset)


@router.post("/purchase-orders", response={201: OrderOut, **WRITE_ERRORS})
def purchase_order_create(request: HttpRequest, payload: OrderIn) -> tuple[int, Any]:
    """Turn an approved request into a purchase order (procurement or the project's manager)."""
    found = selectors.request_get(user=request.user, request_id=payload.request)
    order = procurement.purchase_order_create(actor=request_user(request), request=found,
                                              order_date=payload.order_date)  # fmt: skip
    return 201, selectors.order_get(user=request.user, order_id=order.pk)


@router.get("/purchase-orders/{po_id}", response={200: OrderOut, 404: ErrorOut})
def purchase_order_get(request: HttpRequest, po_id: int, response: HttpResponse) -> Any:
    order = selectors.order_get(user=request.user, order_id=po_id)
    with_etag(response, order.version)
    return order


@router.post("/purchase-orders/{po_id}/receipts", response={201: ReceiptOut, **WRITE_ERRORS})
def goods_receipt_create(request: HttpRequest, po_id: int, payload: ReceiptIn) -> tuple[int, Any]:
    """Record goods received (partial deliveries welcome; over-receipt is flagged at invoice)."""
    order = selectors.order_get(user=request.user, order_id=po_id)
    return 201, procurement.goods_receipt_create(
        actor=request_user(request), order=order, date=payload.date, note=payload.note,
        lines=[ln.model_dump() for ln in payload.lines], create_assets=payload.create_assets,
    )  # fmt: skip


@router.post("/purchase-orders/{po_id}/invoices", response={201: InvoiceOut, **WRITE_ERRORS})
def invoice_record(request: HttpRequest, po_id: int, payload: InvoiceIn) -> tuple[int, Any]:
    """Record a supplier invoice; it is three-way matched against the order and the receipts."""
    order = selectors.order_get(user=request.user, order_id=po_id)
    return 201, procurement.invoice_record(
        actor=request_user(request), order=order, number=payload.number, date=payload.date,
        lines=[ln.model_dump() for ln in payload.lines],
    )  # fmt: skip


@router.post("/purchase-orders/{po_id}/close", response={200: OrderOut, **WRITE_ERRORS})
def purchase_order_close(request: HttpRequest, po_id: int, payload: ApprovalDecisionIn) -> Any:
    order = selectors.order_get(user=request.user, order_id=po_id)
    procurement.purchase_order_close(actor=request_user(request), order=order,
                                     version=expected_version(request, payload.version))  # fmt: skip
    return selectors.order_get(user=request.user, order_id=po_id)


@router.post("/purchase-orders/{po_id}/cancel", response={200: OrderOut, **WRITE_ERRORS})
def purchase_order_cancel(request: HttpRequest, po_id: int, payload: ApprovalDecisionIn) -> Any:
    """Cancel an order with nothing received or invoiced; ``comment`` is the reason (required).
    Its commitment is released. An order with deliveries or invoices is closed instead (409)."""
    order = selectors.order_get(user=request.user, order_id=po_id)
    procurement.purchase_order_cancel(actor=request_user(request), order=order,
                                      version=expected_version(request, payload.version),
                                      reason=payload.comment)  # fmt: skip
    return selectors.order_get(user=request.user, order_id=po_id)


@router.post("/invoices/{invoice_id}/accept", response={200: InvoiceOut, **WRITE_ERRORS})
def invoice_accept(request: HttpRequest, invoice_id: int, payload: ApprovalDecisionIn) -> Any:
    """Accept a flagged invoice after checking it (the mismatch reasons stay on record)."""
    invoice = selectors.invoice_get(user=request.user, invoice_id=invoice_id)
    return procurement.invoice_accept(actor=request_user(request), invoice=invoice,
                                      version=expected_version(request, payload.version),
                                      comment=payload.comment)  # fmt: skip


# ============================================================================ time
class EntryOut(Schema):
    id: int
    version: int
    user: str = Field(validation_alias="user.username")
    project: str | None
    task: int | None = Field(None, validation_alias="task_id")
    category: str
    date: dt.date
    hours: Decimal
    notes: str
    cost: Decimal = Field(description="Hours × the resource's cost rate on that date.")
    timesheet_state: str = Field(validation_alias="timesheet.state")

    @staticmethod
    def resolve_project(obj: Any) -> str | None:
        return obj.project.key if obj.project else None


class EntryIn(StrictSchema):
    task: int | None = Field(
        None, description="A task you work on; or give a category.", examples=[42]
    )
    category: NonProjectCategory | None = Field(None, description="Non-project time.")
    date: dt.date = Field(examples=["2027-03-02"])
    hours: str = Field(examples=["3.5"])
    notes: str = Field("", max_length=500, examples=["Rack A3 cabling"])


class EntryPatch(StrictSchema):
    version: int | None = None
    date: dt.date | None = None
    hours: str | None = Field(None, examples=["4"])
    notes: str | None = Field(None, max_length=500)


class SheetOut(Schema):
    id: int
    version: int
    user: str = Field(validation_alias="user.username")
    project: str | None
    week_start: dt.date
    state: str
    hours: Decimal
    submitted_at: dt.datetime | None
    decided_by: str | None
    comment: str

    @staticmethod
    def resolve_project(obj: Any) -> str | None:
        return obj.project.key if obj.project else None

    @staticmethod
    def resolve_hours(obj: Any) -> Decimal:
        return sum((e.hours for e in obj.entries.all()), Decimal("0.00"))

    @staticmethod
    def resolve_decided_by(obj: Any) -> str | None:
        return obj.decided_by.username if obj.decided_by else None


class SubmitIn(StrictSchema):
    week: dt.date = Field(description="The Monday of the week.", examples=["2027-03-01"])


class ProgressIn(StrictSchema):
    version: int | None = None
    percent_complete: int | None = Field(None, ge=0, le=100, examples=[60])
    remaining_hours: str | None = Field(None, examples=["12"])
    ev_method: EarnedValueMethod | None = Field(None, examples=["physical"])


class ProgressOut(Schema):
    task: int = Field(validation_alias="task_id")
    version: int
    percent_complete: int = Field(validation_alias="task.percent_complete")
    remaining_hours: Decimal | None
    ev_method: str


class TimerIn(StrictSchema):
    task: int = Field(examples=[42])


class TimerOut(Schema):
    task: int = Field(validation_alias="task_id")
    started_at: dt.datetime


class StopIn(StrictSchema):
    notes: str = Field("", max_length=500)
    hours: str | None = Field(
        None,
        description="Log these hours instead of the elapsed time (a timer left running).",
        examples=["1.5"],
    )


@router.get("/time-entries", response={200: Page[EntryOut]})
def time_entry_list(request: HttpRequest, project: str | None = None, user: str | None = None,
                    date_from: dt.date | None = None, date_to: dt.date | None = None,
                    limit: int = 100, offset: int = 0) -> dict[str, Any]:  # fmt: skip
    """Your entries, and the entries on projects you manage."""
    qs = selectors.visible_entries(request.user).order_by("-date", "id")
    if project:
        qs = qs.filter(project__key=project.upper())
    if user:
        qs = qs.filter(user__username=user)
    if date_from:
        qs = qs.filter(date__gte=date_from)
    if date_to:
        qs = qs.filter(date__lte=date_to)
    return paginate(qs, limit, offset)


@router.post("/time-entries", response={201: EntryOut, **WRITE_ERRORS})
def time_entry_create(request: HttpRequest, payload: EntryIn) -> tuple[int, TimeEntry]:
    """Log your time for a day (at most ITPM_MAX_HOURS_PER_DAY in all; locked weeks get 409)."""
    task = None
    if payload.task is not None:
        task = planning_selectors.task_get(user=request.user, task_id=payload.task)
    entry = timesheets.time_entry_create(
        actor=request_user(request), task=task, category=payload.category or "",
        date=payload.date, hours=payload.hours, notes=payload.notes,
    )  # fmt: skip
    return 201, selectors.entry_get(user=request.user, entry_id=entry.pk)


@router.get("/time-entries/{entry_id}", response={200: EntryOut, 404: ErrorOut})
def time_entry_get(request: HttpRequest, entry_id: int, response: HttpResponse) -> TimeEntry:
    entry = selectors.entry_get(user=request.user, entry_id=entry_id)
    with_etag(response, entry.version)
    return entry


@router.patch("/time-entries/{entry_id}", response={200: EntryOut, **WRITE_ERRORS})
def time_entry_update(request: HttpRequest, entry_id: int, payload: EntryPatch) -> TimeEntry:
    entry = selectors.entry_get(user=request.user, entry_id=entry_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    timesheets.time_entry_update(
        actor=request_user(request), entry=entry, version=version, data=data
    )
    return selectors.entry_get(user=request.user, entry_id=entry_id)


@router.delete("/time-entries/{entry_id}", response={204: None, **WRITE_ERRORS})
def time_entry_delete(request: HttpRequest, entry_id: int) -> tuple[int, None]:
    entry = selectors.entry_get(user=request.user, entry_id=entry_id)
    timesheets.time_entry_delete(actor=request_user(request), entry=entry)
    return 204, None


@router.get("/timesheets", response={200: Page[SheetOut]})
def timesheet_list(request: HttpRequest, week: dt.date | None = None, user: str | None = None,
                   project: str | None = None, state: str | None = None,
                   limit: int = 100, offset: int = 0) -> dict[str, Any]:  # fmt: skip
    """Your sheets, and the sheets of projects you manage (state=submitted: waiting for you)."""
    qs = selectors.visible_sheets(request.user).prefetch_related("entries")
    if week:
        qs = qs.filter(week_start=week)
    if user:
        qs = qs.filter(user__username=user)
    if project:
        qs = qs.filter(project__key=project.upper())
    if state:
        qs = qs.filter(state=state)
    return paginate(qs, limit, offset)


@router.post("/timesheets/submit", response={200: list[SheetOut], **WRITE_ERRORS})
def timesheet_submit(request: HttpRequest, payload: SubmitIn) -> list[Timesheet]:
    """Submit your week (every project's sheet with time on it) for approval."""
    sheets = timesheets.timesheet_submit(actor=request_user(request), monday=payload.week)
    return list(selectors.visible_sheets(request.user).filter(pk__in=[s.pk for s in sheets]))


@router.post("/timesheets/{sheet_id}/approve", response={200: SheetOut, **WRITE_ERRORS})
def timesheet_approve(
    request: HttpRequest, sheet_id: int, payload: ApprovalDecisionIn
) -> Timesheet:
    """The project's manager approves a submitted sheet; it is locked from then on."""
    sheet = selectors.sheet_get(user=request.user, sheet_id=sheet_id)
    timesheets.timesheet_approve(actor=request_user(request), sheet=sheet,
                                 version=expected_version(request, payload.version),
                                 comment=payload.comment)  # fmt: skip
    return selectors.sheet_get(user=request.user, sheet_id=sheet_id)


@router.post("/timesheets/{sheet_id}/reject", response={200: SheetOut, **WRITE_ERRORS})
def timesheet_reject(request: HttpRequest, sheet_id: int, payload: ApprovalDecisionIn) -> Timesheet:
    sheet = selectors.sheet_get(user=request.user, sheet_id=sheet_id)
    timesheets.timesheet_reject(actor=request_user(request), sheet=sheet,
                                version=expected_version(request, payload.version),
                                comment=payload.comment)  # fmt: skip
    return selectors.sheet_get(user=request.user, sheet_id=sheet_id)


@router.post("/timer/start", response={201: TimerOut, **WRITE_ERRORS})
def timer_start(request: HttpRequest, payload: TimerIn) -> tuple[int, Any]:
    """Start your timer on a task (one running timer per person)."""
    task = planning_selectors.task_get(user=request.user, task_id=payload.task)
    return 201, timesheets.timer_start(actor=request_user(request), task=task)


@router.post("/timer/stop", response={201: EntryOut, **WRITE_ERRORS})
def timer_stop(request: HttpRequest, payload: StopIn) -> tuple[int, TimeEntry]:
    """Stop your timer: the elapsed time becomes a time entry."""
    entry = timesheets.timer_stop(actor=request_user(request), notes=payload.notes,
                                  hours=payload.hours)  # fmt: skip
    return 201, selectors.entry_get(user=request.user, entry_id=entry.pk)


@router.post("/tasks/{task_id}/progress", response={200: ProgressOut, **WRITE_ERRORS})
def task_progress(request: HttpRequest, task_id: int, payload: ProgressIn) -> Any:
    """Percent complete and remaining work (the assignee); the EV method (the manager)."""
    task = planning_selectors.task_get(user=request.user, task_id=task_id)
    progress = timesheets.task_progress_update(
        actor=request_user(request), task=task, percent_complete=payload.percent_complete,
        remaining_hours=payload.remaining_hours, ev_method=payload.ev_method,
        version=payload.version,
    )  # fmt: skip
    progress.task.refresh_from_db()
    return progress


# ============================================================================ EVM
class EvmOut(Schema):
    project: str
    status_date: dt.date
    source: str = Field(description="Where PV comes from: baseline tasks, budget lines or none.")
    currency: str
    budget_at_completion: Decimal
    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal
    schedule_variance: Decimal
    cost_variance: Decimal
    spi: Decimal | None
    cpi: Decimal | None
    eac_cpi: Decimal | None
    eac_cpi_spi: Decimal | None
    eac_bottom_up: Decimal | None
    estimate_at_completion: Decimal | None
    estimate_to_complete: Decimal | None
    variance_at_completion: Decimal | None
    tcpi_bac: Decimal | None
    tcpi_eac: Decimal | None
    earned_schedule_weeks: Decimal | None
    actual_time_weeks: Decimal | None
    spi_t: Decimal | None
    sv_t_weeks: Decimal | None
    planned_duration_weeks: int
    percent_complete: Decimal
    percent_spent: Decimal
    curve: list[dict[str, str]] = Field(
        description="Weekly cumulative pv (and ac to the status date)."
    )


class SnapshotOut(Schema):
    week_start: dt.date
    status_date: dt.date
    budget_at_completion: Decimal
    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal
    spi: Decimal | None
    cpi: Decimal | None
    estimate_at_completion: Decimal | None


@router.get("/projects/{key}/evm", response={200: EvmOut, 404: ErrorOut})
def evm_get(request: HttpRequest, key: str, date: dt.date | None = None) -> dict[str, Any]:
    """Earned value at a status date (default today)."""
    project = get_visible_project(request.user, key)
    result = project_evm(project, date or timezone.localdate())
    return {**result.__dict__, "project": project.key}


@router.get("/projects/{key}/evm/history", response={200: list[SnapshotOut], 404: ErrorOut})
def evm_history(request: HttpRequest, key: str) -> list[Any]:
    """The weekly snapshots (for SPI/CPI trends)."""
    project = get_visible_project(request.user, key)
    return list(selectors.evm_history(project))


# ============================================================================ reports
class ReportOut(Schema):
    id: int
    version: int
    project: str = Field(validation_alias="project.key")
    status_date: dt.date
    state: str
    proposed_rag: dict[str, str]
    rag: dict[str, str]
    commentary: dict[str, str]
    summary: str
    decisions_needed: str
    data: dict[str, Any] = Field(description="Frozen figures: evm, history, milestones, risks.")
    published_at: dt.datetime | None
    emailed_at: dt.datetime | None
    pdf: str

    @staticmethod
    def resolve_pdf(obj: Any) -> str:
        return f"/api/v1/projects/{obj.project.key}/status-reports/{obj.pk}.pdf"


class ReportIn(StrictSchema):
    status_date: dt.date = Field(examples=["2027-03-05"])


class ReportPatch(StrictSchema):
    version: int | None = None
    rag: dict[str, Rag] | None = Field(None, examples=[{"schedule": "amber"}])
    commentary: dict[str, str] | None = Field(
        None, examples=[{"schedule": "Vendor slipped 1 week"}]
    )
    summary: str | None = Field(None, max_length=20_000)
    decisions_needed: str | None = Field(None, max_length=20_000)
    publish: bool | None = None


def _report(request: HttpRequest, key: str, report_id: int) -> Any:
    project = get_visible_project(request.user, key)
    report = selectors.report_get(user=request.user, report_id=report_id)
    if report.project_id != project.pk:
        raise Invalid.field("report_id", "not a report of this project")
    return report


@router.get("/projects/{key}/status-reports", response={200: Page[ReportOut], 404: ErrorOut})
def report_list(request: HttpRequest, key: str, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    project = get_visible_project(request.user, key)
    return paginate(selectors.report_list(project), limit, offset)


@router.post("/projects/{key}/status-reports", response={201: ReportOut, **WRITE_ERRORS})
def report_generate(request: HttpRequest, key: str, payload: ReportIn) -> tuple[int, Any]:
    """Generate a report for a date: figures frozen, RAG proposed from the thresholds."""
    project = get_visible_project(request.user, key)
    return 201, reports.status_report_generate(actor=request_user(request), project=project,
                                               status_date=payload.status_date)  # fmt: skip


@router.get(
    "/projects/{key}/status-reports/{int:report_id}", response={200: ReportOut, 404: ErrorOut}
)
def report_get(request: HttpRequest, key: str, report_id: int, response: HttpResponse) -> Any:
    report = _report(request, key, report_id)
    with_etag(response, report.version)
    return report


@router.patch(
    "/projects/{key}/status-reports/{int:report_id}", response={200: ReportOut, **WRITE_ERRORS}
)
def report_update(request: HttpRequest, key: str, report_id: int, payload: ReportPatch) -> Any:
    """Confirm or override the RAG (an override needs commentary), edit, publish."""
    report = _report(request, key, report_id)
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    return reports.status_report_update(actor=request_user(request), report=report,
                                        version=version, data=data)  # fmt: skip


@router.post(
    "/projects/{key}/status-reports/{report_id}/send", response={202: ReportOut, **WRITE_ERRORS}
)
def report_send(request: HttpRequest, key: str, report_id: int) -> tuple[int, Any]:
    """E-mail the report (PDF attached) to the managers, sponsor and report recipients."""
    report = _report(request, key, report_id)
    return 202, reports.status_report_send(actor=request_user(request), report=report)


@router.get(
    "/projects/{key}/status-reports/{int:report_id}.pdf",
    response={200: None, 404: ErrorOut},
    openapi_extra={"responses": {"200": {"description": "The report as PDF",
                                         "content": {"application/pdf": {}}}}},
)  # fmt: skip
def report_pdf(request: HttpRequest, key: str, report_id: int) -> HttpResponse:
    report = _report(request, key, report_id)
    response = HttpResponse(reports.status_report_pdf(report), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="{report.project.key}-status-{report.status_date.isoformat()}.pdf"'
    )
    return response


# ============================================================================ portfolio
class RollupRow(Schema):
    project: str
    name: str
    stage: str
    currency: str
    budget_at_completion: Decimal
    planned_value: Decimal
    earned_value: Decimal
    actual_cost: Decimal
    spi: Decimal | None
    cpi: Decimal | None
    estimate_at_completion: Decimal | None


class RollupOut(Schema):
    status_date: dt.date
    projects: list[RollupRow]
    totals: dict[str, dict[str, Decimal | None]] = Field(
        description="Per currency: summed BAC, PV, EV, AC, EAC and the portfolio SPI/CPI."
    )


@router.get("/evm/portfolio", response={200: RollupOut})
def evm_portfolio(request: HttpRequest, date: dt.date | None = None) -> dict[str, Any]:
    """Earned value of every project you see, rolled up per currency."""
    from itpm.tracking.dashboards import portfolio_rollup

    return portfolio_rollup(request.user, date or timezone.localdate())
