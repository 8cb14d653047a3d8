"""Webhook use cases: subscriptions, publishing audit events, delivering with retries."""

from __future__ import annotations

import datetime as dt
import json
import random
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q

from itpm.accounts.models import Role
from itpm.accounts.permissions import is_admin, require_role
from itpm.core.errors import Conflict, Forbidden, Invalid
from itpm.core.models import AuditEvent
from itpm.core.services import apply_changes, audit, check_version, save_versioned
from itpm.portfolio.models import Project
from itpm.webhooks import events, sender, signing, ssrf
from itpm.webhooks.models import Delivery, DeliveryAttempt, DeliveryStatus, Subscription

# Waits after the 1st, 2nd, ... failed attempt (seconds); after the last one it gives up.
# The Standard Webhooks / Svix schedule: seven attempts over about 17.5 hours.
RETRY_DELAYS = [5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600]
JITTER = 0.1  # each wait is stretched or shrunk by up to 10 %, so retries do not bunch up
# A delivery still "sending" after this long belongs to a worker that died; send it again.
STALE_SENDING = dt.timedelta(minutes=10)
# After a rotation the old secret signs too for this long, so receivers can switch over.
ROTATION_GRACE = dt.timedelta(hours=24)


def _now() -> dt.datetime:
    from django.utils import timezone

    return timezone.now()


def retry_delay(failed_attempts: int, *, rng: random.Random | None = None) -> dt.timedelta | None:
    """How long to wait after ``failed_attempts`` failures, or None to give up."""
    if failed_attempts < 1 or failed_attempts > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[failed_attempts - 1]
    factor = (rng or random).uniform(1 - JITTER, 1 + JITTER)  # noqa: S311 - jitter, not a secret
    return dt.timedelta(seconds=base * factor)


# ---------------------------------------------------------------------------- permission
def _require_manage(actor: Any, project: Project | None, *, write: bool = True) -> None:
    """Project webhooks are for its managers and owners; site-wide ones for site admins."""
    if project is None:
        if not is_admin(actor):
            raise Forbidden("site-wide webhooks are for site admins")
        return
    require_role(actor, project, Role.MANAGER, write=write)


def _clean_event_types(event_types: list[str]) -> list[str]:
    if not event_types:
        raise Invalid.field("event_types", "choose at least one event type (or '*')")
    cleaned = list(dict.fromkeys(t.strip() for t in event_types if t.strip()))
    for pattern in cleaned:
        problem = events.pattern_problem(pattern)
        if problem:
            raise Invalid.field("event_types", problem)
    return cleaned


def _clean_url(url: str) -> str:
    try:
        ssrf.check_url(url)
    except ssrf.UnsafeTarget as exc:
        raise Invalid.field("url", str(exc)) from None
    return url


# ---------------------------------------------------------------------------- subscriptions
def subscription_create(
    *,
    actor: Any,
    project: Project | None,
    url: str,
    event_types: list[str],
    description: str = "",
    active: bool = True,
) -> Subscription:
    """A new subscription with a fresh secret (the caller shows it once)."""
    _require_manage(actor, project)
    cleaned_types = _clean_event_types(event_types)
    _clean_url(url)
    with transaction.atomic():
        subscription = Subscription.objects.create(
            project=project,
            url=url,
            description=description,
            event_types=cleaned_types,
            secret=signing.secret_generate(),
            active=active,
            created_by=actor,
        )
        audit(
            actor=actor,
            action="webhook.create",
            obj=subscription,
            project=project,
            changes={"url": [None, url], "event_types": [None, cleaned_types]},
        )
    return subscription


def subscription_update(
    *, actor: Any, subscription: Subscription, version: int | None, data: dict[str, Any]
) -> Subscription:
    """Change URL, event types, description or the active flag (enabling clears the failures)."""
    _require_manage(actor, subscription.project)
    data = dict(data)
    if "event_types" in data:
        data["event_types"] = _clean_event_types(data["event_types"])
    if "url" in data and data["url"] != subscription.url:
        _clean_url(data["url"])
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        check_version(locked, version)
        changes = apply_changes(locked, data)
        if changes.get("active") == [False, True]:
            locked.consecutive_failures = 0
            locked.disabled_reason = ""
            locked.disabled_at = None
            changes["consecutive_failures"] = [subscription.consecutive_failures, 0]
        elif changes.get("active") == [True, False]:
            locked.disabled_reason = "disabled by hand"
            locked.disabled_at = _now()
            _cancel_pending(locked, "the subscription was disabled")
        if not changes:
            return locked
        save_versioned(locked, [*changes, "disabled_reason", "disabled_at"])
        audit(
            actor=actor,
            action="webhook.update",
            obj=locked,
            project=locked.project,
            changes=changes,
        )
    return locked


def subscription_rotate_secret(
    *, actor: Any, subscription: Subscription, version: int | None
) -> Subscription:
    """A new secret (the caller shows it once); the old one also signs for ROTATION_GRACE."""
    _require_manage(actor, subscription.project)
    with transaction.atomic():
        locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
        check_version(locked, version)
        locked.previous_secret = locked.secret
        locked.previous_secret_until = _now() + ROTATION_GRACE
        locked.secret = signing.secret_generate()
        save_versioned(locked, ["secret", "previous_secret", "previous_secret_until"])
        # The secret itself never goes into the audit trail.
        audit(
            actor=actor,
            action="webhook.rotate_secret",
            obj=locked,
            project=locked.project,
            changes={"secret": ["(old)", "(new)"]},
        )
    return locked


def subscription_delete(*, actor: Any, subscription: Subscription) -> None:
    _require_manage(actor, subscription.project)
    with transaction.atomic():
        audit(
            actor=actor,
            action="webhook.delete",
            obj=subscription,
            project=subscription.project,
            changes={"url": [subscription.url, None]},
        )
        subscription.delete()


def delivery_redeliver(*, actor: Any, delivery: Delivery) -> Delivery:
    """Send a delivered or failed message again, as a new delivery with the same webhook-id."""
    subscription = delivery.subscription
    _require_manage(actor, subscription.project)
    if not subscription.active:
        raise Conflict("the subscription is disabled; enable it before redelivering")
    with transaction.atomic():
        again = Delivery.objects.create(
            subscription=subscription,
            message_id=delivery.message_id,
            event_type=delivery.event_type,
            audit_event_id=delivery.audit_event_id,
            payload=delivery.payload,
            next_attempt_at=_now(),
            redelivery_of=delivery,
        )
        audit(
            actor=actor,
            action="webhook.redeliver",
            obj=subscription,
            project=subscription.project,
            changes={"delivery": [delivery.pk, again.pk]},
        )
        _enqueue_on_commit(again.pk)
    return again


# ---------------------------------------------------------------------------- publishing
def audit_listener(event: AuditEvent) -> None:
    """Called by ``core.services.audit`` inside the writer's transaction.

    It costs one indexed query when nothing subscribes; otherwise it schedules the
    publishing for after the commit, so a rolled-back change sends nothing and the
    writer's transaction does not wait for it.
    """
    if events.event_type(event.action) is None:
        return
    if not Subscription.objects.filter(active=True).exists():
        return
    event_id = event.pk
    # Robust: the change is committed by then, so a failure here is logged and never becomes
    # the writer's error (deliveries recorded but not queued are sent by the sweep).
    transaction.on_commit(lambda: event_publish(event_id=event_id), robust=True)


def _payload(event: AuditEvent, event_type: str) -> str:
    data = {
        "event_id": event.pk,
        "action": event.action,
        "project": event.project.key if event.project else None,
        "object": {"type": event.object_type, "id": event.object_id, "repr": event.object_repr},
        "actor": event.actor.username if event.actor else None,
        "changes": event.changes,
    }
    timestamp = event.created_at.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    body = {"type": event_type, "timestamp": timestamp, "data": data}
    return json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)


def event_publish(*, event_id: int) -> list[Delivery]:
    """Create a delivery of the audit event for every matching active subscription."""
    event = AuditEvent.objects.select_related("project", "actor").filter(pk=event_id).first()
    if event is None:
        return []
    event_type = events.event_type(event.action)
    if event_type is None:
        return []
    scope = Q(project__isnull=True)
    if event.project_id is not None:
        scope |= Q(project_id=event.project_id)
    candidates = Subscription.objects.filter(scope, active=True)
    matching = [s for s in candidates if events.matches(s.event_types, event_type)]
    if not matching:
        return []
    body = _payload(event, event_type)
    now = _now()
    with transaction.atomic():
        deliveries = [
            Delivery.objects.create(
                subscription=subscription,
                message_id=signing.message_id_generate(),
                event_type=event_type,
                audit_event=event,
                payload=body,
                next_attempt_at=now,
            )
            for subscription in matching
        ]
        for delivery in deliveries:
            _enqueue_on_commit(delivery.pk)
    return deliveries


def _enqueue_on_commit(delivery_id: int, run_after: dt.datetime | None = None) -> None:
    from itpm.webhooks.tasks import deliver_job

    def enqueue() -> None:
        if run_after is None:
            deliver_job.enqueue(delivery_id)
        elif deliver_job.get_backend().supports_defer:
            deliver_job.using(run_after=run_after).enqueue(delivery_id)
        # A backend without deferred jobs (tests' immediate one): the sweep sends it when due.

    transaction.on_commit(enqueue, robust=True)


# ---------------------------------------------------------------------------- delivering
def _cancel_pending(subscription: Subscription, reason: str) -> None:
    Delivery.objects.filter(subscription=subscription, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.CANCELLED, last_error=reason[:500]
    )


def _claim(delivery_id: int, now: dt.datetime) -> bool:
    """Mark the delivery as being sent, if it is due; the conditional UPDATE lets one worker win.

    This commits before the request goes out, so a job that runs again (a retry of the job,
    a second worker, the sweep) finds it sending or delivered and leaves it alone.
    """
    due = Q(status=DeliveryStatus.PENDING) & (
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    stale = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_SENDING)
    claimed = (
        Delivery.objects.filter(due | stale)
        .filter(pk=delivery_id)
        .update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    )
    return claimed == 1


def delivery_attempt(*, delivery_id: int) -> str:
    """Send one delivery now if it is due; record the attempt; schedule a retry on failure.

    Returns what happened ("skipped", "succeeded", "retry", "failed", "cancelled").
    """
    now = _now()
    if not _claim(delivery_id, now):
        return "skipped"
    delivery = Delivery.objects.select_related("subscription").get(pk=delivery_id)
    subscription = delivery.subscription
    if not subscription.active:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.CANCELLED, last_error="the subscription is disabled"
        )
        return "cancelled"
    timestamp = int(now.timestamp())
    rotating = subscription.previous_secret_until and subscription.previous_secret_until > now
    headers = signing.headers(
        secret=subscription.secret,
        message_id=delivery.message_id,
        timestamp=timestamp,
        body=delivery.payload,
        old_secrets=(subscription.previous_secret,) if rotating else (),
    )
    attempt = DeliveryAttempt.objects.create(
        delivery=delivery,
        number=delivery.attempts,
        url=subscription.url,
        request_headers=headers,
        started_at=now,
    )
    result = sender.send(
        subscription.url, delivery.payload, headers, timeout=settings.WEBHOOK_TIMEOUT_SECONDS
    )
    error = result.error or ("" if result.ok else f"HTTP {result.status}")
    DeliveryAttempt.objects.filter(pk=attempt.pk).update(
        finished_at=_now(),
        response_status=result.status,
        response_headers=result.headers,
        response_body=result.body,
        duration_ms=result.duration_ms,
        error=result.error[:500],
    )
    if result.ok:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.SUCCEEDED, delivered_at=_now(), last_error=""
        )
        Subscription.objects.filter(pk=subscription.pk).update(consecutive_failures=0)
        return "succeeded"
    return _record_failure(delivery, subscription, error)


def _record_failure(delivery: Delivery, subscription: Subscription, error: str) -> str:
    Subscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1
    )
    failures = Subscription.objects.values_list("consecutive_failures", flat=True).get(
        pk=subscription.pk
    )
    if failures >= settings.WEBHOOK_MAX_FAILURES:
        _disable(subscription, failures, error)
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=error[:500]
        )
        return "failed"
    wait = retry_delay(delivery.attempts)
    if wait is None:
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.FAILED, last_error=error[:500]
        )
        return "failed"
    run_after = _now() + wait
    with transaction.atomic():
        Delivery.objects.filter(pk=delivery.pk).update(
            status=DeliveryStatus.PENDING, next_attempt_at=run_after, last_error=error[:500]
        )
        _enqueue_on_commit(delivery.pk, run_after)
    return "retry"


def _disable(subscription: Subscription, failures: int, error: str) -> None:
    reason = f"disabled after {failures} failed deliveries in a row; last: {error}"[:500]
    with transaction.atomic():
        updated = Subscription.objects.filter(pk=subscription.pk, active=True).update(
            active=False, disabled_reason=reason, disabled_at=_now(), version=F("version") + 1
        )
        if updated:
            _cancel_pending(subscription, "the subscription was disabled after failures")
            audit(
                actor=None,
                action="webhook.auto_disable",
                obj=subscription,
                project=subscription.project,
                changes={"active": [True, False], "reason": [None, reason]},
            )


def delivery_sweep(*, limit: int = 500) -> int:
    """Queue deliveries that are due but have no job any more; returns how many."""
    now = _now()
    overdue = Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now - dt.timedelta(minutes=1))
    stale = Q(status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_SENDING)
    ids = list(
        Delivery.objects.filter(overdue | stale).order_by("id").values_list("pk", flat=True)[:limit]
    )
    from itpm.webhooks.tasks import deliver_job

    for delivery_id in ids:
        deliver_job.enqueue(delivery_id)
    return len(ids)
