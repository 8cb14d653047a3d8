"""Risks, three-point estimates, forecasts, issues, change requests, decisions and quality."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from itpm.core.models import VersionedModel

SCALE = [MinValueValidator(1), MaxValueValidator(5)]

# What 1..5 mean, shown next to the form fields (PMBOK 6th ed., 11.3.2.2 style scales).
PROBABILITY_SCALE = {
    1: "Very low: under 10 %; hard to imagine",
    2: "Low: 10–30 %; could happen",
    3: "Medium: 30–50 %; about as likely as not",
    4: "High: 50–70 %; expected",
    5: "Very high: over 70 %; almost certain",
}
IMPACT_SCALE = {
    1: "Very low: under 1 % cost or a day's slip; nobody outside the team notices",
    2: "Low: 1–5 % cost or under a week; a milestone moves within its float",
    3: "Medium: 5–10 % cost or 1–2 weeks; a key milestone slips",
    4: "High: 10–20 % cost or 2–4 weeks; the go-live date or a service is at risk",
    5: "Very high: over 20 % cost or over a month; the project's goal is at risk",
}


class RiskCategory(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    SECURITY = "security", "Security"
    VENDOR = "vendor", "Vendor"
    SCHEDULE = "schedule", "Schedule"
    COST = "cost", "Cost"
    COMPLIANCE = "compliance", "Compliance"
    PEOPLE = "people", "People"
    OPERATIONAL = "operational", "Operational"


class RiskKind(models.TextChoices):
    THREAT = "threat", "Threat"
    OPPORTUNITY = "opportunity", "Opportunity"


class ResponseStrategy(models.TextChoices):
    AVOID = "avoid", "Avoid"
    MITIGATE = "mitigate", "Mitigate"
    TRANSFER = "transfer", "Transfer"
    ACCEPT = "accept", "Accept"
    EXPLOIT = "exploit", "Exploit (opportunity)"
    ENHANCE = "enhance", "Enhance (opportunity)"
    SHARE = "share", "Share (opportunity)"


THREAT_STRATEGIES = {"avoid", "mitigate", "transfer", "accept"}
OPPORTUNITY_STRATEGIES = {"exploit", "enhance", "share", "accept"}


class Proximity(models.TextChoices):
    IMMINENT = "imminent", "Imminent (weeks)"
    STAGE = "stage", "Within this stage"
    PROJECT = "project", "Within the project"
    BEYOND = "beyond", "Beyond the project"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    OCCURRED = "occurred", "Occurred"
    CLOSED = "closed", "Closed"


class Risk(VersionedModel):
    project = models.ForeignKey("portfolio.Project", on_delete=models.CASCADE, related_name="risks")
    number = models.PositiveIntegerField(default=0)  # ... per project
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=12, choices=RiskKind.choices, default=RiskKind.THREAT)
    # Cause → event → effect (the risk metalanguage: "because of C, E may occur, leading to F").
    cause = models.TextField(blank=True)
    event = models.TextField(blank=True)
    effect = models.TextField(blank=True)
    category = models.CharField(max_length=16, choices=RiskCategory.choices)
    probability = models.PositiveSmallIntegerField(validators=SCALE, default=3)
    impact = models.PositiveSmallIntegerField(validators=SCALE, default=3)
    proximity = models.CharField(
        max_length=10, choices=Proximity.choices, default=Proximity.PROJECT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_risks",
    )  # fmt: skip
    response_strategy = models.CharField(
        max_length=10, choices=ResponseStrategy.choices, default=ResponseStrategy.MITIGATE
    )
    response = models.TextField(blank=True)
    response_tasks = models.ManyToManyField(
        "planning.Task", blank=True, related_name="risk_responses"
    )
    trigger = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    residual_probability = models.PositiveSmallIntegerField(validators=SCALE, null=True, blank=True)
    residual_impact = models.PositiveSmallIntegerField(validators=SCALE, null=True, blank=True)
    review_date = models.DateField(null=True, blank=True)
    escalated = models.BooleanField(default=False)
    # Quantified risk event for the forecast: the chance it occurs (0..1), the working hours
    # it adds to each named task, and its cost.
    chance = models.DecimalField(max_digits=4, decimal_places=3, null=True, blank=True)
    delay_hours = models.PositiveIntegerField(default=0)
    delay_tasks = models.ManyToManyField("planning.Task", blank=True, related_name="risk_delays")
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0.00"))

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="risk_number_unique")
        ]

    def __str__(self) -> str:
        return f"R-{self.number} {self.title}"

    @property
    def code(self) -> str:
        return f"R-{self.number}"

    @property
    def score(self) -> int:
        return self.probability * self.impact

    @property
    def residual_score(self) -> int | None:
        if self.residual_probability is None or self.residual_impact is None:
            return None
        return self.residual_probability * self.residual_impact

    @property
    def quantified(self) -> bool:
        return self.chance is not None and (self.delay_hours > 0 or self.cost != 0)


class TaskEstimate(VersionedModel):
    """A three-point estimate of a task's duration in working hours (for the forecast)."""

    task = models.OneToOneField("planning.Task", on_delete=models.CASCADE, related_name="estimate")
    optimistic_hours = models.PositiveIntegerField()
    most_likely_hours = models.PositiveIntegerField()
    pessimistic_hours = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.task}: {self.optimistic_hours}/{self.most_likely_hours}/{self.pessimistic_hours} h"


class ForecastStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ForecastRun(VersionedModel):
    """One Monte Carlo run: its inputs (frozen when requested), seed, progress and results."""

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="forecast_runs"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    status = models.CharField(
        max_length=8, choices=ForecastStatus.choices, default=ForecastStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    iterations = models.PositiveIntegerField(default=5000)
    seed = models.BigIntegerField()
    distribution = models.CharField(max_length=12, default="triangular")
    inputs = models.JSONField(default=dict)
    results = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"forecast {self.pk} of {self.project_id} ({self.status})"


class IssueSeverity(models.TextChoices):
    CRITICAL = "critical", "Critical"
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class IssueStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_ISSUE_STATUSES = ("open", "in_progress")


class Issue(VersionedModel):
    """A problem happening now (the issue log)."""

    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="issue_log"
    )
    number = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    severity = models.CharField(
        max_length=10, choices=IssueSeverity.choices, default=IssueSeverity.MEDIUM
    )
    status = models.CharField(max_length=12, choices=IssueStatus.choices, default=IssueStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_issues",
    )  # fmt: skip
    due_date = models.DateField(null=True, blank=True)
    tasks = models.ManyToManyField("planning.Task", blank=True, related_name="issues")
    risks = models.ManyToManyField(Risk, blank=True, related_name="issues")
    deliverable = models.ForeignKey(
        "control.Deliverable", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="defects",
    )  # fmt: skip
    resolution = models.TextField(blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="issue_number_unique")
        ]

    def __str__(self) -> str:
        return f"I-{self.number} {self.title}"

    @property
    def code(self) -> str:
        return f"I-{self.number}"


class ChangeStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted to the board"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    APPLIED = "applied", "Applied"


class ChangeRequest(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="change_requests"
    )
    number = models.PositiveIntegerField(default=0)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="requested_changes",
    )  # fmt: skip
    status = models.CharField(max_length=10, choices=ChangeStatus.choices, default="draft")
    # [{"op": "change_duration", "task": 12, "hours": 40}, ...]; see services.CHANGE_OPS.
    operations = models.JSONField(default=list, blank=True)
    # [{"line": 3, "months": {"2027-04": "5000.00"}} | {"category": ..., "name": ..., "months": ...}]
    budget_changes = models.JSONField(default=list, blank=True)
    scope_impact = models.TextField(blank=True)
    risk_impact = models.TextField(blank=True)
    # Computed when submitted (and on demand): finish before/after, cost delta.
    impact = models.JSONField(default=dict, blank=True)
    board = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="change_boards"
    )
    save_baseline = models.BooleanField(default=False)
    baseline_name = models.CharField(max_length=120, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["project", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["project", "number"], name="change_number_unique")
        ]

    def __str__(self) -> str:
        return f"CR-{self.number} {self.title}"

    @property
    def code(self) -> str:
        return f"CR-{self.number}"


class ChangeVote(models.Model):
    """A board member's approval or rejection of a change request, with a comment."""

    change_request = models.ForeignKey(
        ChangeRequest, on_delete=models.CASCADE, related_name="votes"
    )
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    decision = models.CharField(
        max_length=8, choices=[("approve", "Approve"), ("reject", "Reject")]
    )
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["change_request", "approver"], name="change_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.approver} {self.decision}s {self.change_request}"


class Decision(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="decisions"
    )
    date = models.DateField()
    decision = models.TextField()
    made_by = models.CharField(max_length=200, help_text="Who decided (a person or a board).")
    rationale = models.TextField(blank=True)
    links = models.JSONField(default=list, blank=True)  # URLs or references ("CR-2", "R-4")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip

    class Meta:
        ordering = ["project", "-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date}: {self.decision[:80]}"


class AcceptanceStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_REVIEW = "in_review", "In review"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Deliverable(VersionedModel):
    project = models.ForeignKey(
        "portfolio.Project", on_delete=models.CASCADE, related_name="deliverables"
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    acceptance_criteria = models.JSONField(default=list, blank=True)  # list of strings
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="owned_deliverables",
    )  # fmt: skip
    task = models.ForeignKey(
        "planning.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=AcceptanceStatus.choices, default=AcceptanceStatus.PLANNED
    )
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    accepted_at = models.DateTimeField(null=True, blank=True)
    acceptance_comment = models.TextField(blank=True)

    class Meta:
        ordering = ["project", "due_date", "id"]

    def __str__(self) -> str:
        return self.name


class CheckResult(models.TextChoices):
    PASSED = "passed", "Passed"
    PASSED_WITH_REMARKS = "remarks", "Passed with remarks"
    FAILED = "failed", "Failed"


class QualityCheck(models.Model):
    """A review or test of a deliverable: who, when, the result and the evidence."""

    deliverable = models.ForeignKey(Deliverable, on_delete=models.CASCADE, related_name="checks")
    kind = models.CharField(max_length=80, default="Review")  # "Peer review", "UAT", "FAT" ...
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_on = models.DateField()
    result = models.CharField(max_length=8, choices=CheckResult.choices)
    notes = models.TextField(blank=True)
    evidence_url = models.URLField(blank=True, max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-checked_on", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.deliverable}: {self.result}"
