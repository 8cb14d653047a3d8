"""The portal guard: an outside requester sees the requester portal and nothing else.

Outside requesters (``RequesterProfile.portal_only``) hold no project role, so every
permission-scoped query already returns nothing for them; this guard is the second wall.
Every page and API route outside the portal answers 404 (the landing pages send them to
the portal), whether they come with a session or a bearer token.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render

from itpm.helpdesk.models import is_portal_only

_ALLOWED_PREFIXES = (
    "/portal/",
    "/api/v1/portal/",
    "/api/v1/auth/",  # their own API tokens
    "/login/",
    "/logout/",
    "/static/",
)
_PUBLIC_DOCUMENTS = ("/api/v1/openapi.json", "/api/v1/docs", "/api/openapi.json", "/api/docs")
_TO_PORTAL = ("/", "/projects/")


def _bearer_user(request: HttpRequest) -> object | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    from itpm.accounts.services import token_authenticate_request

    return token_authenticate_request(request, header[7:].strip())


class PortalOnlyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(_ALLOWED_PREFIXES) or path in _PUBLIC_DOCUMENTS:
            return self.get_response(request)
        user = _bearer_user(request) if path.startswith("/api/") else None
        if user is None:
            user = getattr(request, "user", None)
        if not is_portal_only(user):
            return self.get_response(request)
        if path.startswith("/api/"):
            return JsonResponse({"detail": "not found", "errors": []}, status=404)
        if path in _TO_PORTAL and request.method == "GET":
            return HttpResponseRedirect("/portal/")
        return render(request, "helpdesk/portal/not_found.html", status=404)
