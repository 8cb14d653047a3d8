"""Money, time and earned value: budgets, costs, procurement, timesheets, EVM, status reports.

Money is ``Decimal`` in the project's currency (two places); hours are ``Decimal`` with two
places. Child rows that are only replaced with their parent (a budget line's months, a
request's items, a receipt's lines) carry no version of their own: the parent's guards them.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models

from itpm.core.models import VersionedModel

ZERO = Decimal("0.00")


class BudgetCategory(models.TextChoices):
    INTERNAL_LABOUR = "internal_labour", "Internal labour"
    CONTRACTORS = "contractors", "Contractors and services"
    HARDWARE = "hardware", "Hardware"
    SOFTWARE = "software", "Software and licences"
    CLOUD = "cloud", "Cloud"
    TRAINING = "training", "Training"
    CONTINGENCY = "contingency", "Contingency"
    OTHER = "other", "Other"


class ProjectFinance(VersionedModel):
    """A project's money settings: the management reserve and the RAG thresholds."""

    project = models.OneToOneField(
        "portfolio.Project", on_delete=models.CASCADE, related_name="finance"
    )
    # Held by the sponsor outside the performance measurement baseline (not in BAC).
    management_reserve = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)
    # Index thresholds for the proposed RAG: below ``red`` is red, below ``amber`` amber.
    spi_red = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("0.90"))
    spi_amber = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("0.95"))
    cpi_red = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("0.90"))
    cpi_amber = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal("0.95"))
    # Stakeholders who get status reports by e-mail, besides the project's managers.
    report_recipients = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "project finance"

    def __str__(self) -> str:
        return f"finance of {self.project}"


class BudgetLine(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="budget_lines"
    )
    category = models.CharField(max_length=20, choices=BudgetCategory.choices)
    name = models.CharField(max_length=200)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "category", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="budget_line_name_unique")
        ]

    def __str__(self) -> str:
        return f"{self.project.key} {self.name}"


class BudgetPeriod(models.Model):
    """The amount a line plans to spend in one month (``month`` is the month's first day)."""

    line = models.ForeignKey(BudgetLine, on_delete=models.CASCADE, related_name="periods")
    month = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["line", "month"]
        constraints = [
            models.UniqueConstraint(fields=["line", "month"], name="budget_period_unique"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="budget_period_first"),
        ]

    def __str__(self) -> str:
        return f"{self.line} {self.month:%Y-%m} {self.amount}"


class Expense(VersionedModel):
    """A cost that is neither labour nor a supplier invoice (travel, a card purchase)."""

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="expenses"
    )
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="expenses")
    task = models.ForeignKey(
        "planning.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    date = models.DateField()
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    description = models.CharField(max_length=300)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.project.key} expense {self.amount} on {self.date}"


# ============================================================================ procurement
class RequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Waiting for approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ORDERED = "ordered", "Ordered"


class PurchaseRequest(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="purchase_requests"
    )
    number = models.CharField(max_length=32, unique=True)
    title = models.CharField(max_length=200)
    vendor = models.CharField(max_length=200)
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="purchase_requests")
    justification = models.TextField()
    state = models.CharField(
        max_length=12, choices=RequestState.choices, default=RequestState.DRAFT
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set when submitted: whether the amount is over the manager threshold.
    needs_manager = models.BooleanField(default=False)
    procurement_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    procurement_approved_at = models.DateTimeField(null=True, blank=True)
    manager_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    manager_approved_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def expected_cost(self) -> Decimal:
        return sum((item.amount for item in self.items.all()), ZERO)


class PurchaseItem(models.Model):
    request = models.ForeignKey(PurchaseRequest, on_delete=models.CASCADE, related_name="items")
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(max_digits=16, decimal_places=2)
    # Received hardware becomes an asset record (one per unit).
    is_hardware = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class OrderState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class PurchaseOrder(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="purchase_orders"
    )
    request = models.OneToOneField(PurchaseRequest, on_delete=models.PROTECT, related_name="order")
    number = models.CharField(max_length=32, unique=True)
    vendor = models.CharField(max_length=200)
    line = models.ForeignKey(BudgetLine, on_delete=models.PROTECT, related_name="purchase_orders")
    state = models.CharField(max_length=12, choices=OrderState.choices, default=OrderState.OPEN)
    ordered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    order_date = models.DateField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-order_date", "-id"]

    def __str__(self) -> str:
        return f"{self.number} {self.vendor}"


class OrderLine(models.Model):
    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=300)
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(max_digits=16, decimal_places=2)
    is_hardware = models.BooleanField(default=False)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.description}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


class GoodsReceipt(models.Model):
    """One delivery (possibly partial) against an order."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.CASCADE, related_name="receipts")
    date = models.DateField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]

    def __str__(self) -> str:
        return f"receipt {self.pk} of {self.order.number}"


class ReceiptLine(models.Model):
    receipt = models.ForeignKey(GoodsReceipt, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="receipts")
    quantity = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} of {self.order_line}"


class MatchState(models.TextChoices):
    MATCHED = "matched", "Matched"
    MISMATCH = "mismatch", "Mismatch"


class Invoice(VersionedModel):
    """A supplier invoice, three-way matched against its order and the goods received."""

    order = models.ForeignKey(PurchaseOrder, on_delete=models.PROTECT, related_name="invoices")
    number = models.CharField(max_length=64)
    date = models.DateField()
    match_state = models.CharField(max_length=12, choices=MatchState.choices)
    # [{"line": id, "reason": "quantity"|"price"|"over_receipt"|..., "message": "..."}]
    mismatches = models.JSONField(default=list, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "number"], name="invoice_number_unique")
        ]

    def __str__(self) -> str:
        return f"invoice {self.number} of {self.order.number}"

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines.all()), ZERO)


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="invoiced")
    quantity = models.DecimalField(max_digits=12, decimal_places=2)
    unit_price = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.unit_price}"

    @property
    def amount(self) -> Decimal:
        return (self.quantity * self.unit_price).quantize(Decimal("0.01"))


# ============================================================================ time
class NonProjectCategory(models.TextChoices):
    ADMIN = "admin", "Administration"
    TRAINING = "training", "Training"
    SUPPORT = "support", "Operations support"
    LEAVE = "leave", "Leave and holidays"
    SICK = "sick", "Sick leave"


class SheetState(models.TextChoices):
    OPEN = "open", "Open"
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Timesheet(VersionedModel):
    """One person's week on one project (``project`` null: non-project time).

    A week's grid spans every project the person worked on; each project's manager
    approves that project's part. Approved sheets are locked.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="timesheets"
    )
    project = models.ForeignKey(
        "portfolio.Project", null=True, blank=True, on_delete=models.CASCADE,
        related_name="timesheets",
    )  # fmt: skip
    week_start = models.DateField()  # a Monday
    state = models.CharField(max_length=12, choices=SheetState.choices, default=SheetState.OPEN)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["-week_start", "user__username", "project__key"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "project", "week_start"],
                condition=models.Q(project__isnull=False),
                name="timesheet_unique",
            ),
            models.UniqueConstraint(
                fields=["user", "week_start"],
                condition=models.Q(project__isnull=True),
                name="timesheet_unique_non_project",
            ),
            models.CheckConstraint(
                condition=models.Q(week_start__week_day=2), name="timesheet_week_starts_monday"
            ),
        ]

    def __str__(self) -> str:
        where = self.project.key if self.project else "non-project"
        return f"{self.user} {where} week of {self.week_start}"


class TimeEntry(VersionedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="time_entries"
    )
    timesheet = models.ForeignKey(Timesheet, on_delete=models.PROTECT, related_name="entries")
    project = models.ForeignKey(
        "portfolio.Project", null=True, blank=True, on_delete=models.CASCADE,
        related_name="time_entries",
    )  # fmt: skip
    task = models.ForeignKey(
        "planning.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="time_entries",
    )
    category = models.CharField(
        max_length=12, choices=NonProjectCategory.choices, blank=True,
        help_text="Non-project time (project and task empty).",
    )  # fmt: skip
    date = models.DateField()
    hours = models.DecimalField(max_digits=5, decimal_places=2)
    notes = models.CharField(max_length=500, blank=True)
    # Labour cost at the resource's rate on ``date``, fixed when the entry is written.
    cost = models.DecimalField(max_digits=16, decimal_places=2, default=ZERO)

    class Meta:
        ordering = ["date", "id"]
        indexes = [
            models.Index(fields=["user", "date"]),
            models.Index(fields=["project", "date"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.hours}h on {self.date}"


class Timer(models.Model):
    """A running stopwatch on a task; one per user (stopping it writes a time entry)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="timer"
    )
    task = models.ForeignKey("planning.Task", on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.user} on {self.task} since {self.started_at}"


# ============================================================================ earned value
class EarnedValueMethod(models.TextChoices):
    PHYSICAL = "physical", "Physical % complete"
    FIFTY_FIFTY = "50/50", "50/50"
    ZERO_HUNDRED = "0/100", "0/100"


class TaskProgress(VersionedModel):
    """Tracking facts of a task that the plan does not own: EV method and remaining work."""

    task = models.OneToOneField("planning.Task", on_delete=models.CASCADE, related_name="progress")
    ev_method = models.CharField(
        max_length=10, choices=EarnedValueMethod.choices, default=EarnedValueMethod.PHYSICAL
    )
    # The assignee's estimate of the hours still needed (null: derive from % complete).
    remaining_hours = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    def __str__(self) -> str:
        return f"progress of {self.task}"


class EvmSnapshot(models.Model):
    """Earned value of a project at the end of one week (kept for trend charts)."""

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="evm_snapshots"
    )
    week_start = models.DateField()
    status_date = models.DateField()
    budget_at_completion = models.DecimalField(max_digits=16, decimal_places=2)
    planned_value = models.DecimalField(max_digits=16, decimal_places=2)
    earned_value = models.DecimalField(max_digits=16, decimal_places=2)
    actual_cost = models.DecimalField(max_digits=16, decimal_places=2)
    spi = models.DecimalField(max_digits=8, decimal_places=3, null=True)
    cpi = models.DecimalField(max_digits=8, decimal_places=3, null=True)
    estimate_at_completion = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "week_start"]
        constraints = [
            models.UniqueConstraint(fields=["project", "week_start"], name="evm_snapshot_week")
        ]

    def __str__(self) -> str:
        return f"{self.project.key} EVM week of {self.week_start}"


# ============================================================================ status reports
class Rag(models.TextChoices):
    GREEN = "green", "Green"
    AMBER = "amber", "Amber"
    RED = "red", "Red"


RAG_DIMENSIONS = ("schedule", "cost", "scope", "risk", "quality")


class ReportState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class StatusReport(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="status_reports"
    )
    status_date = models.DateField()
    state = models.CharField(max_length=12, choices=ReportState.choices, default=ReportState.DRAFT)
    # {"schedule": "red", ...}: what the thresholds propose, and what the manager confirmed.
    proposed_rag = models.JSONField(default=dict)
    rag = models.JSONField(default=dict)
    summary = models.TextField(blank=True)
    # {"schedule": "why amber", ...}
    commentary = models.JSONField(default=dict, blank=True)
    decisions_needed = models.TextField(blank=True)
    # Figures frozen at generation: EVM, milestones, risks and issues, curves.
    data = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    emailed_to = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["project", "-status_date", "-id"]

    def __str__(self) -> str:
        return f"{self.project.key} status report {self.status_date}"
