"""The help desk's sub-navigation shows only links that answer the reader."""

from __future__ import annotations

from typing import Any

from django import template

from itpm.helpdesk import selectors

register = template.Library()


@register.filter
def works_the_help_desk(user: Any) -> bool:
    """True for agents of some queue and site admins: the people help-desk settings serve
    (anyone else gets 403 there, so they get no link to it)."""
    return selectors.is_any_agent(user)
