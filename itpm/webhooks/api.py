"""API: webhook subscriptions (per project or site-wide), their delivery log, redelivery."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from pydantic import ConfigDict

from itpm.accounts.permissions import get_visible_project, request_user
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.webhooks import events, selectors, services
from itpm.webhooks.models import Delivery, DeliveryAttempt, Subscription

router = Router(tags=["webhooks"])
WRITE_ERRORS = {403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}
READ_ERRORS = {403: ErrorOut, 404: ErrorOut}

_SUBSCRIPTION_EXAMPLE: dict[str, Any] = {
    "id": 7,
    "version": 1,
    "project": "APL",
    "url": "https://hooks.example.com/itpm",
    "description": "Chat notifications",
    "event_types": ["task.created", "task.updated", "risk.*"],
    "active": True,
    "consecutive_failures": 0,
    "disabled_reason": "",
    "disabled_at": None,
    "previous_secret_until": None,
    "created_at": "2027-01-04T09:00:00Z",
}


class WebhookSubscriptionOut(Schema):
    model_config = ConfigDict(json_schema_extra={"examples": [_SUBSCRIPTION_EXAMPLE]})

    id: int
    version: int
    project: str | None = Field(None, description="Project key; null for a site-wide one.")
    url: str
    description: str
    event_types: list[str]
    active: bool
    consecutive_failures: int
    disabled_reason: str = Field(description="Why it was disabled (empty while active).")
    disabled_at: dt.datetime | None
    previous_secret_until: dt.datetime | None = Field(
        description="After a rotation, the old secret also signs until then."
    )
    created_at: dt.datetime

    @staticmethod
    def resolve_project(subscription: Subscription) -> str | None:
        return subscription.project.key if subscription.project else None


class WebhookSubscriptionCreatedOut(WebhookSubscriptionOut):
    """Only the answers to create and rotate-secret carry the secret: store it then."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {**_SUBSCRIPTION_EXAMPLE, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
            ]
        }
    )

    secret: str = Field(description="The signing secret (whsec_ + base64); shown only now.")


class WebhookSubscriptionIn(StrictSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://hooks.example.com/itpm",
                    "event_types": ["task.created", "task.updated", "risk.*"],
                    "description": "Chat notifications",
                }
            ]
        },
    )

    url: str = Field(min_length=1, max_length=2000)
    event_types: list[str] = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=200)
    active: bool = True


class WebhookSubscriptionPatch(StrictSchema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"version": 1, "active": False}]},
    )

    version: int | None = Field(None, ge=1, le=2**31)
    url: str | None = Field(None, min_length=1, max_length=2000)
    event_types: list[str] | None = Field(None, min_length=1, max_length=200)
    description: str | None = Field(None, max_length=200)
    active: bool | None = None


class WebhookVersionIn(StrictSchema):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"version": 1}]})

    version: int | None = Field(None, ge=1, le=2**31)


class WebhookEventTypesOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "event_types": ["project.stage_changed", "task.created", "task.updated"],
                    "families": ["project.*", "task.*"],
                }
            ]
        }
    )

    event_types: list[str]
    families: list[str] = Field(description="Patterns that match a whole family; '*' is all.")


class WebhookAttemptOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "number": 1,
                    "url": "https://hooks.example.com/itpm",
                    "request_headers": {
                        "webhook-id": "msg_9b2f0c1e5d7a4c1f8e0b6a3d2c1b0a99",
                        "webhook-timestamp": "1799053200",
                        "webhook-signature": "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=",
                    },
                    "started_at": "2027-01-04T09:00:00Z",
                    "finished_at": "2027-01-04T09:00:00.210Z",
                    "response_status": 503,
                    "response_body": "Service Unavailable",
                    "duration_ms": 210,
                    "error": "",
                }
            ]
        }
    )

    number: int
    url: str
    request_headers: dict[str, str]
    started_at: dt.datetime
    finished_at: dt.datetime | None
    response_status: int | None
    response_headers: dict[str, str]
    response_body: str = Field(description="The first 4 KB of the answer.")
    duration_ms: int | None
    error: str


class WebhookDeliveryOut(Schema):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "subscription": 7,
                    "message_id": "msg_9b2f0c1e5d7a4c1f8e0b6a3d2c1b0a99",
                    "event_type": "task.updated",
                    "status": "pending",
                    "attempts": 1,
                    "next_attempt_at": "2027-01-04T09:05:00Z",
                    "delivered_at": None,
                    "last_error": "HTTP 503",
                    "redelivery_of": None,
                    "created_at": "2027-01-04T09:00:00Z",
                }
            ]
        }
    )

    id: int
    subscription: int = Field(validation_alias="subscription_id")
    message_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: dt.datetime | None
    delivered_at: dt.datetime | None
    last_error: str
    redelivery_of: int | None = Field(None, validation_alias="redelivery_of_id")
    created_at: dt.datetime


class WebhookDeliveryDetailOut(WebhookDeliveryOut):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": 41,
                    "subscription": 7,
                    "message_id": "msg_9b2f0c1e5d7a4c1f8e0b6a3d2c1b0a99",
                    "event_type": "task.updated",
                    "status": "succeeded",
                    "attempts": 1,
                    "next_attempt_at": None,
                    "delivered_at": "2027-01-04T09:00:00Z",
                    "last_error": "",
                    "redelivery_of": None,
                    "created_at": "2027-01-04T09:00:00Z",
                    "payload": '{"data":{"action":"task.update"},"timestamp":"2027-01-04T09:00:00Z","type":"task.updated"}',
                    "attempt_log": [],
                }
            ]
        }
    )

    payload: str = Field(description="The exact JSON body that was signed and sent.")
    attempt_log: list[WebhookAttemptOut]

    @staticmethod
    def resolve_attempt_log(delivery: Delivery) -> list[DeliveryAttempt]:
        return list(delivery.attempt_log.all())


def _subscription(request: HttpRequest, subscription_id: int, *, write: bool) -> Subscription:
    return selectors.subscription_get(
        user=request_user(request), subscription_id=subscription_id, write=write
    )


# ---------------------------------------------------------------------------- catalogue
@router.get("/webhooks/event-types", response={200: WebhookEventTypesOut})
def webhook_event_types(request: HttpRequest) -> dict[str, Any]:
    """The event types a subscription can name; ``family.*`` and ``*`` match many."""
    return {"event_types": events.event_types(), "families": [f"{f}.*" for f in events.families()]}


# ---------------------------------------------------------------------------- site-wide
@router.get("/webhooks", response={200: Page[WebhookSubscriptionOut], 403: ErrorOut})
def webhook_site_list(request: HttpRequest, limit: int = 50, offset: int = 0) -> dict[str, Any]:
    """Site-wide subscriptions (every project's events); site admins only."""
    queryset = selectors.subscription_list(user=request_user(request), project=None)
    return paginate(queryset, limit, offset)


@router.post("/webhooks", response={201: WebhookSubscriptionCreatedOut, **WRITE_ERRORS})
def webhook_site_create(
    request: HttpRequest, payload: WebhookSubscriptionIn
) -> tuple[int, Subscription]:
    """A site-wide subscription; the answer holds the secret, shown this once."""
    subscription = services.subscription_create(
        actor=request_user(request), project=None, **payload.dict()
    )
    return 201, subscription


# ---------------------------------------------------------------------------- per project
@router.get(
    "/projects/{key}/webhooks",
    response={200: Page[WebhookSubscriptionOut], **READ_ERRORS},
)
def webhook_project_list(
    request: HttpRequest, key: str, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """The project's subscriptions (managers and owners)."""
    user = request_user(request)
    project = get_visible_project(user, key)
    return paginate(selectors.subscription_list(user=user, project=project), limit, offset)


@router.post(
    "/projects/{key}/webhooks", response={201: WebhookSubscriptionCreatedOut, **WRITE_ERRORS}
)
def webhook_project_create(
    request: HttpRequest, key: str, payload: WebhookSubscriptionIn
) -> tuple[int, Subscription]:
    """A subscription to this project's events; the answer holds the secret, shown this once."""
    user = request_user(request)
    project = get_visible_project(user, key)
    subscription = services.subscription_create(actor=user, project=project, **payload.dict())
    return 201, subscription


# ---------------------------------------------------------------------------- one subscription
@router.get("/webhooks/{subscription_id}", response={200: WebhookSubscriptionOut, **READ_ERRORS})
def webhook_get(request: HttpRequest, subscription_id: int, response: HttpResponse) -> Subscription:
    subscription = _subscription(request, subscription_id, write=False)
    with_etag(response, subscription.version)
    return subscription


@router.patch("/webhooks/{subscription_id}", response={200: WebhookSubscriptionOut, **WRITE_ERRORS})
def webhook_update(
    request: HttpRequest, subscription_id: int, payload: WebhookSubscriptionPatch
) -> Subscription:
    """Change the URL, event types, description, or enable/disable (enabling clears failures)."""
    subscription = _subscription(request, subscription_id, write=True)
    data = payload.dict(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    return services.subscription_update(
        actor=request_user(request),
        subscription=subscription,
        version=version,
        data={k: v for k, v in data.items() if v is not None},
    )


@router.delete("/webhooks/{subscription_id}", response={204: None, **WRITE_ERRORS})
def webhook_delete(request: HttpRequest, subscription_id: int) -> tuple[int, None]:
    subscription = _subscription(request, subscription_id, write=True)
    services.subscription_delete(actor=request_user(request), subscription=subscription)
    return 204, None


@router.post(
    "/webhooks/{subscription_id}/rotate-secret",
    response={200: WebhookSubscriptionCreatedOut, **WRITE_ERRORS},
)
def webhook_rotate_secret(
    request: HttpRequest, subscription_id: int, payload: WebhookVersionIn
) -> Subscription:
    """A new signing secret, shown this once; the old one also signs for 24 hours."""
    subscription = _subscription(request, subscription_id, write=True)
    return services.subscription_rotate_secret(
        actor=request_user(request),
        subscription=subscription,
        version=expected_version(request, payload.version),
    )


@router.get(
    "/webhooks/{subscription_id}/deliveries",
    response={200: Page[WebhookDeliveryOut], **READ_ERRORS},
)
def webhook_delivery_list(
    request: HttpRequest,
    subscription_id: int,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    """The delivery log, newest first; ``status`` filters (pending, succeeded, failed, ...)."""
    subscription = _subscription(request, subscription_id, write=False)
    return paginate(
        selectors.delivery_list(subscription=subscription, status=status), limit, offset
    )


@router.get(
    "/webhook-deliveries/{delivery_id}", response={200: WebhookDeliveryDetailOut, **READ_ERRORS}
)
def webhook_delivery_get(request: HttpRequest, delivery_id: int) -> Delivery:
    """One delivery with its body and every attempt's request headers and response."""
    return selectors.delivery_get(user=request_user(request), delivery_id=delivery_id, write=False)


@router.post(
    "/webhook-deliveries/{delivery_id}/redeliver",
    response={202: WebhookDeliveryOut, **WRITE_ERRORS},
)
def webhook_redeliver(request: HttpRequest, delivery_id: int) -> tuple[int, Delivery]:
    """Send the message again (same ``webhook-id``, fresh timestamp and signature)."""
    user = request_user(request)
    delivery = selectors.delivery_get(user=user, delivery_id=delivery_id, write=True)
    return 202, services.delivery_redeliver(actor=user, delivery=delivery)
