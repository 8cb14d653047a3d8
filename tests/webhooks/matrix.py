"""Objects, path parameters and expectations of the webhook routes for the permission matrix
and the mass-assignment sweep.

``build_webhooks`` runs inside ``tests.world.build_world`` (last, so no change of the world
is published): per site, APL ("own", by its owner) and ZED ("foreign", by zoe), a project
subscription with one failed delivery and its attempt. Project webhooks are for managers
and owners; site-wide ones for site admins.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from itpm.webhooks.models import Delivery, DeliveryAttempt, Subscription

# Literal public addresses: no DNS lookups in the matrix.
URL = "https://93.184.216.34/itpm"
OBJECTS: dict[str, dict[str, Any]] = {}
SCOPED = ("{subscription_id}", "{delivery_id}")


def build_webhooks(world: Any) -> None:
    OBJECTS.clear()
    for target in ("own", "foreign"):
        owner = world.users["zoe"] if target == "foreign" else world.users["owner"]
        subscription = Subscription.objects.create(
            project=world.sites[target].project, url=URL, event_types=["task.*"],
            secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", created_by=owner,
        )  # fmt: skip
        delivery = Delivery.objects.create(
            subscription=subscription, message_id=f"msg_matrix_{target}",
            event_type="task.updated", payload='{"type":"task.updated"}', status="failed",
            attempts=1, last_error="HTTP 500",
        )  # fmt: skip
        DeliveryAttempt.objects.create(
            delivery=delivery, number=1, url=URL, started_at=timezone.now(),
            request_headers={"webhook-id": delivery.message_id}, response_status=500,
        )  # fmt: skip
        OBJECTS[target] = {"subscription": subscription, "delivery": delivery}


def destroy_webhooks() -> None:
    Subscription.objects.all().delete()


def _get(case: Any, name: str) -> Any:
    return OBJECTS["foreign" if case.target == "foreign" else "own"][name]


WEBHOOK_PARAMS: dict[str, Any] = {
    "subscription_id": lambda c, o: _get(c, "subscription").pk,
    "delivery_id": lambda c, o: _get(c, "delivery").pk,
}


def versioned(c: Any, **extra: Any) -> dict[str, Any]:
    subscription = Subscription.objects.get(pk=_get(c, "subscription").pk)
    return {"version": subscription.version, **extra}


def new_body(c: Any) -> dict[str, Any]:
    return {"url": URL, "event_types": ["task.created", "risk.*"], "description": "Matrix"}


def new_form(c: Any) -> dict[str, Any]:
    return {"url": URL, "event_types": "task.created risk.*", "description": "Matrix"}


def edit_form(c: Any) -> dict[str, Any]:
    return {**new_form(c), "description": "Edited", "version": str(versioned(c)["version"])}


def routes(
    V1: str, MANAGE: Any, ADMIN_ONLY: Any, ANY_AUTHENTICATED: Any, PAGE: dict[str, Any]
) -> dict[tuple[str, str], Any]:  # noqa: N803 - the matrix's own names
    """The table entries (built here so the matrix file only merges them)."""
    S = f"{V1}/webhooks/{{subscription_id}}"  # noqa: N806
    D = f"{V1}/webhook-deliveries/{{delivery_id}}"  # noqa: N806
    return {
        ("GET", f"{V1}/webhooks/event-types"): ANY_AUTHENTICATED(),
        ("GET", f"{V1}/webhooks"): ADMIN_ONLY(200),
        ("POST", f"{V1}/webhooks"): ADMIN_ONLY(201, body=new_body),
        ("GET", f"{V1}/projects/{{key}}/webhooks"): MANAGE(200),
        ("POST", f"{V1}/projects/{{key}}/webhooks"): MANAGE(201, body=new_body),
        ("GET", S): MANAGE(200),
        ("PATCH", S): MANAGE(200, body=lambda c: versioned(c, description="Edited")),
        ("DELETE", S): MANAGE(204),
        ("POST", f"{S}/rotate-secret"): MANAGE(200, body=lambda c: versioned(c)),
        ("GET", f"{S}/deliveries"): MANAGE(200),
        ("GET", D): MANAGE(200),
        ("POST", f"{D}/redeliver"): MANAGE(202),
        ("GET", "/projects/{key}/webhooks/"): MANAGE(200, **PAGE),
        ("POST", "/projects/{key}/webhooks/"): MANAGE(302, body=new_form, **PAGE),
        ("GET", "/webhooks/"): ADMIN_ONLY(200, **PAGE),
        ("POST", "/webhooks/"): ADMIN_ONLY(302, body=new_form, **PAGE),
        ("GET", "/webhooks/{subscription_id}/"): MANAGE(200, **PAGE),
        ("POST", "/webhooks/{subscription_id}/"): MANAGE(302, body=edit_form, **PAGE),
        ("POST", "/webhooks/{subscription_id}/{action}/"): MANAGE(
            302, body=lambda c: versioned(c), params={"action": "disable"}, **PAGE
        ),
        ("GET", "/webhooks/deliveries/{delivery_id}/"): MANAGE(200, **PAGE),
        ("POST", "/webhooks/deliveries/{delivery_id}/redeliver/"): MANAGE(302, **PAGE),
    }


def writes(V1: str) -> dict[tuple[str, str], Any]:  # noqa: N803 - the matrix's own name
    """The model each webhook body writes to (for the mass-assignment sweep)."""
    S = f"{V1}/webhooks/{{subscription_id}}"  # noqa: N806
    return {
        ("POST", f"{V1}/webhooks"): Subscription,
        ("POST", f"{V1}/projects/{{key}}/webhooks"): Subscription,
        ("PATCH", S): Subscription,
        ("POST", f"{S}/rotate-secret"): Subscription,
    }
