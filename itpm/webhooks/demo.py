"""Demo data of webhooks: PORTAL has a subscription to its task and risk events whose
receiver started failing; itpm disabled it after the failures, and its delivery log shows
the delivered messages, the failed attempts and the reason. Nothing is sent: the demo's
subscription is disabled and its history is written as it would have been recorded."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

from itpm.accounts.models import User
from itpm.core.models import AuditEvent
from itpm.portfolio.models import Project
from itpm.webhooks import services, signing
from itpm.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription


def load_webhooks_demo(users: dict[str, User]) -> None:
    project = Project.objects.filter(key="PORTAL").first() or Project.objects.first()
    if project is None:
        return
    subscription = services.subscription_create(
        actor=users["admin"],
        project=project,
        url="https://chat.example.com/hooks/itpm-portal",
        event_types=["task.created", "task.updated", "risk.*", "project.stage_changed"],
        description="Team chat: plan and risk changes",
        active=False,
    )
    events = list(
        AuditEvent.objects.filter(project=project, action__in=["task.update", "task.create"])
        .select_related("project", "actor")
        .order_by("-created_at", "-id")[:6]
    )
    failures = settings.WEBHOOK_MAX_FAILURES
    # The history happened over the last days: three deliveries, then the receiver went down.
    start = timezone.now() - dt.timedelta(days=3)
    for n, event in enumerate(reversed(events)):
        ok = n < 3
        event_type = "task.created" if event.action == "task.create" else "task.updated"
        delivery = Delivery.objects.create(
            subscription=subscription,
            message_id=signing.message_id_generate(),
            event_type=event_type,
            audit_event=event,
            payload=services._payload(event, event_type),
            status=DeliveryStatus.SUCCEEDED if ok else DeliveryStatus.FAILED,
            attempts=1 if ok else 7,
            last_error="" if ok else "HTTP 503",
        )
        started = start + dt.timedelta(hours=3 * n)
        Delivery.objects.filter(pk=delivery.pk).update(
            created_at=started, delivered_at=started if ok else None
        )
        for number in range(1, delivery.attempts + 1):
            timestamp = int(started.timestamp())
            DeliveryAttempt.objects.create(
                delivery=delivery,
                number=number,
                url=subscription.url,
                request_headers=signing.headers(
                    secret=subscription.secret,
                    message_id=delivery.message_id,
                    timestamp=timestamp,
                    body=delivery.payload,
                ),
                started_at=started,
                finished_at=started + dt.timedelta(milliseconds=180 if ok else 95),
                response_status=200 if ok else 503,
                response_headers={"content-type": "text/plain"},
                response_body="ok" if ok else "upstream chat service unavailable",
                duration_ms=180 if ok else 95,
            )
            if number <= len(services.RETRY_DELAYS):
                started += dt.timedelta(seconds=services.RETRY_DELAYS[number - 1])
    Subscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=failures,
        disabled_at=timezone.now(),
        disabled_reason=f"disabled after {failures} failed deliveries in a row; last: HTTP 503",
    )
