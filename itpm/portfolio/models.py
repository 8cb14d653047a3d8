from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse

from itpm.core.models import VersionedModel


class Category(models.TextChoices):
    HARDWARE = "hardware", "Hardware installation"
    SOFTWARE = "software", "Software, website and app development"
    NETWORK_CLOUD = "network_cloud", "Network and cloud rollout"
    DATA = "data", "Data management and analytics"
    HELPDESK = "helpdesk", "Help-desk service"
    OTHER = "other", "Other technology service"


class Stage(models.TextChoices):
    INITIATION = "initiation", "Initiation"
    PLANNING = "planning", "Planning"
    EXECUTION = "execution", "Execution"
    MONITORING = "monitoring", "Monitoring & control"
    CLOSING = "closing", "Closing"
    CLOSED = "closed", "Closed"


key_validator = RegexValidator(
    r"^[A-Z][A-Z0-9]{1,9}$", "2 to 10 capital letters or digits, starting with a letter"
)


class Project(VersionedModel):
    key = models.CharField(max_length=10, unique=True, validators=[key_validator])
    name = models.CharField(max_length=200)
    goal = models.TextField(blank=True)
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.OTHER)
    stage = models.CharField(max_length=16, choices=Stage.choices, default=Stage.INITIATION)
    manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_projects",
    )
    sponsor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="sponsored_projects",
    )
    start_date = models.DateField(null=True, blank=True)
    target_date = models.DateField(null=True, blank=True)
    currency = models.CharField(
        max_length=3, default="USD", validators=[RegexValidator(r"^[A-Z]{3}$", "ISO 4217 code")]
    )
    archived = models.BooleanField(default=False)
    # Set when a gate decides no-go: the project was stopped, not finished.
    cancelled_at = models.DateTimeField(null=True, blank=True, editable=False)
    calendar = models.ForeignKey(
        "planning.WorkCalendar",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Working time the plan is scheduled on; empty = Mon–Fri 09:00–17:00.",
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    # Kanban WIP limits per task status, e.g. {"in_progress": 5}.
    wip_limits = models.JSONField(default=dict, blank=True)
    # The schedule's finish and when it was last computed (written by the schedule service).
    scheduled_finish = models.DateTimeField(null=True, blank=True, editable=False)
    scheduled_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return f"{self.key} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("web:project_overview", args=[self.key])

    @property
    def schedule_zone(self) -> zoneinfo.ZoneInfo:
        """The zone the plan's working hours are read in: the calendar's, else the project's.

        Task dates are shown in it on the project's pages (a 09:00-18:00 working day stays
        09:00-18:00 whatever zone the viewer is in); an unknown name falls back to UTC.
        """
        calendar = self.calendar
        name = (calendar.timezone if calendar is not None else "") or self.time_zone or "UTC"
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


# ============================================================================ lifecycle
# Intake, business case, feasibility, stage gates, closing and handoff (issue 5). Child rows
# that are only ever replaced as a whole with their parent (cash-flow lines, feasibility
# scores) carry no version of their own: the parent's version guards them.

STAGE_ORDER = [s.value for s in Stage]


def next_stage(stage: str) -> str | None:
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[index + 1] if index + 1 < len(STAGE_ORDER) else None


def previous_stage(stage: str) -> str | None:
    index = STAGE_ORDER.index(stage)
    return STAGE_ORDER[index - 1] if index > 0 else None


class Urgency(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class RequestStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    INFO_REQUESTED = "info_requested", "More information requested"
    ACCEPTED = "accepted", "Accepted into initiation"
    MERGED = "merged", "Merged"
    REJECTED = "rejected", "Rejected"


OPEN_REQUEST_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.INFO_REQUESTED)


class ProjectRequest(VersionedModel):
    """An idea for a project, submitted by anyone and triaged by portfolio managers."""

    title = models.CharField(max_length=200)
    problem = models.TextField()
    goal = models.TextField(blank=True)
    category = models.CharField(max_length=32, choices=Category.choices, default=Category.OTHER)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="project_requests"
    )
    business_unit = models.CharField(max_length=120, blank=True)
    desired_date = models.DateField(null=True, blank=True)
    currency = models.CharField(max_length=3, default="USD")
    rough_cost = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    rough_benefit = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.MEDIUM)
    status = models.CharField(
        max_length=16, choices=RequestStatus.choices, default=RequestStatus.SUBMITTED
    )
    # The triage conversation: the last question, reason or note, newest decision wins.
    triage_note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="merged_requests"
    )
    project = models.OneToOneField(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="origin_request"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"REQ-{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("portfolio:request_detail", args=[self.pk])


class RequestComment(models.Model):
    """One message in a request's triage conversation (questions and answers)."""

    request = models.ForeignKey(ProjectRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"comment on {self.request}"


class Periodicity(models.TextChoices):
    MONTH = "month", "Month"
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


PERIODS_PER_YEAR = {Periodicity.MONTH: 12, Periodicity.QUARTER: 4, Periodicity.YEAR: 1}


class BusinessCase(VersionedModel):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="business_case")
    periodicity = models.CharField(
        max_length=8, choices=Periodicity.choices, default=Periodicity.YEAR
    )
    # Yearly rate in percent (8.00 = 8 % a year); converted to the period's rate for the maths.
    discount_rate = models.DecimalField(max_digits=6, decimal_places=2, default=8)
    # 1 (weak) .. 5 (core to the strategy); ranks candidates on the portfolio page.
    strategic_fit = models.PositiveSmallIntegerField(null=True, blank=True)
    summary = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"business case of {self.project.key}"


class FlowKind(models.TextChoices):
    ONE_OFF_COST = "one_off_cost", "One-off cost"
    RUNNING_COST = "running_cost", "Running cost"
    BENEFIT = "benefit", "Benefit"


class FlowCategory(models.TextChoices):
    HARDWARE = "hardware", "Hardware"
    LICENCES = "licences", "Licences"
    SERVICES = "services", "External services"
    INTERNAL_LABOUR = "internal_labour", "Internal labour"
    OPERATIONS = "operations", "Operations and support"
    SAVINGS = "savings", "Savings"
    REVENUE = "revenue", "Revenue"
    AVOIDED_COST = "avoided_cost", "Avoided cost"
    OTHER = "other", "Other"


class Scenario(models.TextChoices):
    PLANNED = "planned", "Planned"
    REALIZED = "realized", "Realized"


class CashFlowLine(models.Model):
    """One amount of the case: positive money, its sign comes from ``kind``."""

    business_case = models.ForeignKey(BusinessCase, on_delete=models.CASCADE, related_name="lines")
    scenario = models.CharField(max_length=8, choices=Scenario.choices, default=Scenario.PLANNED)
    kind = models.CharField(max_length=16, choices=FlowKind.choices)
    category = models.CharField(
        max_length=16, choices=FlowCategory.choices, default=FlowCategory.OTHER
    )
    period = models.PositiveSmallIntegerField()  # 0 = now (not discounted), 1 = end of first period
    amount = models.DecimalField(max_digits=16, decimal_places=2)
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["scenario", "period", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.amount} in period {self.period}"


class Dimension(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    OPERATIONAL = "operational", "Operational"
    FINANCIAL = "financial", "Financial"
    SCHEDULE = "schedule", "Schedule"
    LEGAL = "legal", "Legal and compliance"
    SECURITY = "security", "Security"


class Recommendation(models.TextChoices):
    UNDECIDED = "undecided", "Not yet recommended"
    PROCEED = "proceed", "Proceed"
    PROCEED_WITH_CONDITIONS = "conditions", "Proceed with conditions"
    DO_NOT_PROCEED = "do_not_proceed", "Do not proceed"


class Feasibility(VersionedModel):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="feasibility")
    recommendation = models.CharField(
        max_length=16, choices=Recommendation.choices, default=Recommendation.UNDECIDED
    )
    summary = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "feasibility studies"

    def __str__(self) -> str:
        return f"feasibility of {self.project.key}"


class FeasibilityScore(models.Model):
    feasibility = models.ForeignKey(Feasibility, on_delete=models.CASCADE, related_name="scores")
    dimension = models.CharField(max_length=16, choices=Dimension.choices)
    score = models.PositiveSmallIntegerField()  # 1 (not feasible) .. 5 (no concern)
    weight = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    notes = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)  # links (URLs)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["feasibility", "dimension"], name="feasibility_one_score_per_dimension"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.score}"


class GateStatus(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"


class GateDecision(models.TextChoices):
    GO = "go", "Go"
    NO_GO = "no_go", "No-go (cancel the project)"
    HOLD = "hold", "Hold"
    RECYCLE = "recycle", "Recycle (back to the earlier stage)"


class GateReview(VersionedModel):
    """The review of one stage transition; the only way a project's stage changes."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="gates")
    from_stage = models.CharField(max_length=16, choices=Stage.choices)
    to_stage = models.CharField(max_length=16, choices=Stage.choices)
    status = models.CharField(max_length=8, choices=GateStatus.choices, default=GateStatus.OPEN)
    decision = models.CharField(max_length=8, choices=GateDecision.choices, blank=True)
    decision_comment = models.TextField(blank=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project"],
                condition=models.Q(status="open"),
                name="gate_one_open_review_per_project",
            )
        ]

    def __str__(self) -> str:
        return f"{self.project.key} gate {self.from_stage} → {self.to_stage}"


class GateChecklistItem(VersionedModel):
    gate = models.ForeignKey(GateReview, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(max_length=200)
    done = models.BooleanField(default=False)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    done_at = models.DateTimeField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.text


class ApprovalState(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class GateApproval(VersionedModel):
    """One required approval: a named user, or any one member of a team."""

    gate = models.ForeignKey(GateReview, on_delete=models.CASCADE, related_name="approvals")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    role = models.CharField(max_length=60, blank=True)  # why they approve: "sponsor", "security"
    state = models.CharField(
        max_length=8, choices=ApprovalState.choices, default=ApprovalState.PENDING
    )
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) | models.Q(team__isnull=False),
                name="gate_approval_names_user_or_team",
            )
        ]

    def __str__(self) -> str:
        who = self.user.username if self.user else self.team.name if self.team else "?"
        return f"{who} on {self.gate}"


class Closure(VersionedModel):
    """The closing of a project: who accepts it, and their sign-off."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="closure")
    acceptors = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    acceptance_comment = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"closure of {self.project.key}"


class AcceptanceDecision(models.Model):
    """Each sign-off or rejection, kept as history (a rejection also creates a task)."""

    closure = models.ForeignKey(Closure, on_delete=models.CASCADE, related_name="decisions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted = models.BooleanField()
    comment = models.TextField(blank=True)
    task = models.ForeignKey(
        "planning.Task", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{'accepted' if self.accepted else 'rejected'} {self.closure}"


class Lesson(VersionedModel):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="lessons")
    category = models.CharField(max_length=32, choices=Category.choices)
    title = models.CharField(max_length=200)
    went_well = models.TextField(blank=True)
    went_badly = models.TextField(blank=True)
    recommendations = models.TextField(blank=True)
    tags = models.JSONField(default=list, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


class Handoff(VersionedModel):
    """The handover of what a project built to an operations team; archives the project."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="handoff")
    operations_team = models.ForeignKey(
        "accounts.Team", on_delete=models.PROTECT, related_name="handoffs"
    )
    # The help-desk queue that takes the service's tickets: its id when the help-desk app is
    # installed, and its name always (readable after the queue is renamed or removed).
    queue_id = models.PositiveIntegerField(null=True, blank=True)
    queue_name = models.CharField(max_length=120, blank=True)
    hypercare_until = models.DateField(null=True, blank=True)
    # What was created and moved, as recorded at the time: [{"id", "name"}, ...].
    services = models.JSONField(default=list, blank=True)
    assets = models.JSONField(default=list, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    handed_over_at = models.DateTimeField()
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"handoff of {self.project.key} to {self.operations_team}"


class Notification(models.Model):
    """An in-app notice for one person (gate approvals, triage answers).

    Kept deliberately small: the notifications issue may replace it with its own model;
    everything here goes through ``itpm.portfolio.notify.notify``.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.text
