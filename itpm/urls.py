from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import include, path
from django.views import defaults
from django.views.generic import RedirectView

from itpm.api import api


def handler404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """API clients get the API's JSON error for an unknown address; people get the page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "not found", "errors": []}, status=404)
    return defaults.page_not_found(request, exception or Http404())


def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 when this process can reach the database."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return JsonResponse({"status": "database unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


def openapi_json(request: HttpRequest) -> JsonResponse:
    """The OpenAPI document at its documented short address (same as /api/v1/openapi.json)."""
    return JsonResponse(api.get_openapi_schema(path_prefix="/api/v1/"))


urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/openapi.json", openapi_json, name="openapi"),
    path("api/docs", RedirectView.as_view(url="/api/v1/docs"), name="api_docs"),
    path("", RedirectView.as_view(pattern_name="web:project_list"), name="home"),
    # Log-in (with the lockout), password reset and e-mail verification.
    path("", include("itpm.accounts.urls")),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("", include("itpm.interop.urls")),
    path("", include("itpm.planning.gantt_urls")),
    path("", include("itpm.planning.urls")),
    path("", include("itpm.helpdesk.urls")),
    path("", include("itpm.assets.urls")),
    path("", include("itpm.portfolio.urls")),
    path("", include("itpm.planning.execution_urls")),
    path("", include("itpm.control.urls")),
    path("", include("itpm.tracking.urls")),
    path("", include("itpm.notifications.urls")),
    path("", include("itpm.collab.urls")),
    path("", include("itpm.webhooks.urls")),
    path("", include("itpm.documents.urls")),
    path("", include("itpm.web.urls")),
]
