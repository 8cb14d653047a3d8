"""API: my notifications (list, mark read), my preferences, my calendar-feed URL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema

from itpm.accounts.permissions import request_user
from itpm.core.api import ErrorOut, Page, StrictSchema, expected_version, paginate, with_etag
from itpm.notifications import selectors, services
from itpm.notifications.models import Kind, Notification, NotificationSettings

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int = Field(examples=[42])
    kind: str = Field(examples=["mention"])
    text: str = Field(examples=["Olivia mentioned you in APL task 1.1 Design"])
    url: str = Field(examples=["/tasks/7/discussion/"])
    project: str | None = Field(None, validation_alias="project.key", examples=["APL"])
    actor: str | None = Field(None, validation_alias="actor.username", examples=["olivia"])
    created: dt.datetime
    read_at: dt.datetime | None = None


class NotificationReadIn(StrictSchema):
    read: bool = Field(True, description="false marks it unread again", examples=[True])


class NotificationsMarkedOut(Schema):
    marked: int = Field(examples=[3])


class NotificationsReadAllIn(StrictSchema):
    pass


class ChannelChoice(StrictSchema):
    in_app: bool | None = Field(None, examples=[True])
    email: bool | None = Field(None, examples=[False])


class NotificationSettingsOut(Schema):
    version: int = Field(examples=[2])
    daily_digest: bool = Field(examples=[False])
    preferences: dict[str, dict[str, bool]] = Field(
        description="Per kind, whether it comes in the app and by e-mail (defaults filled in).",
        examples=[{"mention": {"in_app": True, "email": True}}],
    )
    calendar_feed: bool = Field(
        description="Whether a secret calendar-feed URL exists", examples=[True]
    )

    @staticmethod
    def resolve_preferences(obj: NotificationSettings) -> dict[str, dict[str, bool]]:
        return {k: {"in_app": obj.wants(k, "in_app"), "email": obj.wants(k, "email")}
                for k in Kind.values}  # fmt: skip

    @staticmethod
    def resolve_calendar_feed(obj: NotificationSettings) -> bool:
        return bool(obj.feed_token_hash)


class NotificationSettingsPatch(StrictSchema):
    version: int | None = Field(None, examples=[1])
    daily_digest: bool | None = Field(None, examples=[True])
    preferences: dict[Kind, ChannelChoice] | None = Field(
        None, examples=[{"status_report": {"email": True}, "ticket": {"in_app": False}}]
    )


class CalendarTokenIn(StrictSchema):
    pass


class CalendarFeedOut(Schema):
    my_feed: str = Field(
        description="Your tasks and milestones; shown only now (only a hash is kept).",
        examples=["https://itpm.example.com/calendar/3q2…/my.ics"],
    )
    project_feed: str = Field(
        description="A project's milestones: replace {key} with the project key.",
        examples=["https://itpm.example.com/calendar/3q2…/projects/{key}/milestones.ics"],
    )


def feed_urls(token: str) -> dict[str, str]:
    base = services.absolute_url(f"/calendar/{token}/")
    return {"my_feed": base + "my.ics", "project_feed": base + "projects/{key}/milestones.ics"}


@router.get("/notifications", response={200: Page[NotificationOut]})
def notification_list(
    request: HttpRequest, unread: bool | None = None, limit: int = 50, offset: int = 0
) -> dict[str, Any]:
    """Your notifications, newest first (``unread=true`` for the unread ones only)."""
    return paginate(selectors.notification_list(request_user(request), unread=unread),
                    limit, offset)  # fmt: skip


@router.post("/notifications/read-all", response={200: NotificationsMarkedOut, 404: ErrorOut})
def notification_read_all(request: HttpRequest, payload: NotificationsReadAllIn) -> dict[str, int]:
    """Mark every notification of yours read."""
    return {"marked": services.notification_mark_all_read(actor=request_user(request))}


@router.post(
    "/notifications/{notification_id}/read", response={200: NotificationOut, 404: ErrorOut}
)
def notification_read(
    request: HttpRequest, notification_id: int, payload: NotificationReadIn
) -> Notification:
    """Mark one of your notifications read (or unread with ``read: false``)."""
    return services.notification_mark_read(actor=request_user(request),
                                           notification_id=notification_id, read=payload.read)  # fmt: skip


@router.get("/notifications/settings", response={200: NotificationSettingsOut})
def notification_settings_get(request: HttpRequest, response: HttpResponse) -> NotificationSettings:
    """Your preferences: per kind × channel (in-app, e-mail) and the daily digest."""
    found = services.settings_get(request_user(request))
    with_etag(response, found.version)
    return found


@router.patch(
    "/notifications/settings",
    response={200: NotificationSettingsOut, 409: ErrorOut, 422: ErrorOut},
)
def notification_settings_update(
    request: HttpRequest, payload: NotificationSettingsPatch, response: HttpResponse
) -> NotificationSettings:
    data = payload.model_dump(exclude_unset=True)
    version = expected_version(request, data.pop("version", None))
    preferences = None
    if payload.preferences is not None:
        preferences = {
            str(getattr(kind, "value", kind)): {
                c: v for c, v in choice.model_dump().items() if v is not None
            }
            for kind, choice in payload.preferences.items()
        }
    found = services.notification_settings_update(
        actor=request_user(request), version=version, preferences=preferences,
        daily_digest=payload.daily_digest,
    )  # fmt: skip
    with_etag(response, found.version)
    return found


@router.post("/notifications/calendar-token", response={201: CalendarFeedOut})
def calendar_token_renew(request: HttpRequest, payload: CalendarTokenIn) -> tuple[int, Any]:
    """Make a new secret calendar-feed URL; the previous one stops working."""
    token = services.calendar_token_renew(actor=request_user(request))
    return 201, feed_urls(token)


@router.delete("/notifications/calendar-token", response={204: None})
def calendar_token_revoke(request: HttpRequest) -> tuple[int, None]:
    """Revoke your calendar-feed URL (it answers 404 from now on)."""
    services.calendar_token_revoke(actor=request_user(request))
    return 204, None
