from __future__ import annotations

from typing import Any

from django import template

from itpm.accounts.permissions import project_role
from itpm.web.project_tabs import tab_bar

register = template.Library()


@register.inclusion_tag("web/_project_tabs.html", takes_context=True)
def project_tabs(context: Any) -> dict[str, Any]:
    request = context.get("request")
    project = context["project"]
    role = project_role(getattr(request, "user", None), project)
    return {"entries": tab_bar(project.key, context.get("tab") or "",
                               request.path if request else "", role=role)}  # fmt: skip
