from __future__ import annotations

from typing import Any

from django import template

from itpm.notifications.selectors import unread_count

register = template.Library()


@register.inclusion_tag("notifications/_bell.html", takes_context=True)
def notification_bell(context: dict[str, Any]) -> dict[str, Any]:
    """The top bar's bell with the number of unread notifications."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"count": unread_count(user)}
