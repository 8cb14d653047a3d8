"""The REST API's shell: authentication, error format, pagination and version helpers.

Each domain app declares its own Router; ``itpm.api`` mounts them under ``/api/v1``.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.conf import settings
from django.db import DataError, IntegrityError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, SessionAuth
from pydantic import ConfigDict

from itpm.core.errors import Invalid, ServiceError

T = TypeVar("T")


class BearerAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from itpm.accounts.services import token_authenticate_request

        user = token_authenticate_request(request, token)
        if user is not None:
            request.user = user
        return user


class StrictSchema(Schema):
    """Input schemas refuse unknown fields, so nothing outside the allow-list is applied."""

    model_config = ConfigDict(extra="forbid")


class ErrorItem(Schema):
    field: str
    message: str


class ErrorOut(Schema):
    detail: str
    errors: list[ErrorItem] = []


class Page(Schema, Generic[T]):
    count: int
    limit: int
    offset: int
    items: list[T]


# Beyond this no list has rows, and SQLite cannot take larger integers in LIMIT/OFFSET.
MAX_OFFSET = 1_000_000_000


def paginate(queryset: QuerySet[Any], limit: int, offset: int) -> dict[str, Any]:
    """One page of a list; bad paging is a 422 naming the parameter."""
    maximum = settings.API_MAX_PAGE_SIZE
    if not 1 <= limit <= maximum:
        raise Invalid.field("limit", f"must be from 1 to {maximum}")
    if not 0 <= offset <= MAX_OFFSET:
        raise Invalid.field("offset", f"must be from 0 to {MAX_OFFSET}")
    return {
        "count": queryset.count(),
        "limit": limit,
        "offset": offset,
        "items": list(queryset[offset : offset + limit]),
    }


def expected_version(request: HttpRequest, body_version: int | None) -> int:
    """The version a PATCH was prepared against: the body's, else the If-Match ETag's."""
    if body_version is not None:
        return body_version
    header = request.headers.get("If-Match", "").strip()
    if header:
        tag = header.removeprefix("W/").strip('"')
        if tag.isdigit():
            return int(tag)
        raise Invalid.field("If-Match", 'expected an ETag such as "3" from a GET of this object')
    raise Invalid.field("version", "required: send the version you read (or an If-Match header)")


def with_etag(response: HttpResponse, version: int) -> HttpResponse:
    response["ETag"] = f'"{version}"'
    return response


def _error(
    api: NinjaAPI, request: HttpRequest, status: int, detail: str, errors: list[Any]
) -> HttpResponse:
    return api.create_response(request, {"detail": detail, "errors": errors}, status=status)


def _field_path(loc: Any) -> str:
    # Drop the request part ("body", "query", "path") and the schema's parameter name,
    # so a field is named as the client wrote it: "duration_hours", "tasks.0.name".
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie", "form"):
        parts = parts[1:]
    if len(parts) > 1 and parts[0] in ("payload", "data", "filters", "body"):
        parts = parts[1:]
    return ".".join(parts) or "body"


_COMMON_ERRORS = {
    "400": "The body is not valid JSON.",
    "401": "No valid token or session.",
    "422": "Invalid input; `errors` names the fields.",
    "413": "The request body (an upload) is larger than allowed.",
    "429": "Too many writes (ITPM_API_WRITES_PER_MINUTE); `Retry-After` says when to retry.",
}


def document_common_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the error answers that the shared handlers give to every operation that can get them.

    Handlers declare their own outcomes (403, 404, 409); a malformed body (400), a missing
    token (401) and input the schemas refuse (422) can happen anywhere, so they are added
    here once instead of on every route, which is how the document and the API drifted apart.
    """
    error_ref = {"$ref": "#/components/schemas/ErrorOut"}
    schema.setdefault("components", {}).setdefault("schemas", {}).setdefault(
        "ErrorOut", ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    )
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            codes = []
            if operation.get("requestBody"):
                codes += ["400", "422", "413"]
            if method.upper() in ("POST", "PUT", "PATCH", "DELETE"):
                codes.append("429")  # the per-user write limit (itpm/core/security.py)
            if operation.get("parameters"):
                codes.append("422")
            if operation.get("security"):
                codes.append("401")
            responses = operation.setdefault("responses", {})
            for code in codes:
                responses.setdefault(
                    code,
                    {
                        "description": _COMMON_ERRORS[code],
                        "content": {"application/json": {"schema": error_ref}},
                    },
                )
    return schema


def install_error_handlers(api: NinjaAPI) -> None:
    """Answer every error as ``{"detail", "errors"}`` and say so in the OpenAPI document."""
    build_schema = api.get_openapi_schema

    def get_openapi_schema(**kwargs: Any) -> Any:
        return document_common_errors(build_schema(**kwargs))

    api.get_openapi_schema = get_openapi_schema  # type: ignore[method-assign]

    @api.exception_handler(ServiceError)
    def service_error(request: HttpRequest, exc: ServiceError) -> HttpResponse:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        response = _error(api, request, exc.status, exc.detail, errors)
        # A refusal that ends by itself (a login lockout) says when to try again.
        retry_after = getattr(exc, "retry_after", None)
        if retry_after:
            response["Retry-After"] = str(retry_after)
        return response

    @api.exception_handler(ValidationError)
    def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = []
        for item in exc.errors:
            message = str(item.get("msg", "invalid"))
            if item.get("type") == "extra_forbidden":
                message = "unknown or read-only field"
            errors.append({"field": _field_path(item.get("loc", ())), "message": message})
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors) or "invalid input"
        return _error(api, request, 422, detail, errors)

    @api.exception_handler(AuthenticationError)
    def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = _error(api, request, 401, "authentication required", [])
        response["WWW-Authenticate"] = 'Bearer realm="itpm"'
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return _error(api, request, exc.status_code, str(exc.message), [])

    # Safety nets: a number or date beyond what the database or the calendar can hold (for
    # example an id or position of 10**20, or the year 9000) is bad input, not a server error.
    # The use case's transaction has rolled back by the time this runs.
    @api.exception_handler(OverflowError)
    def overflow(request: HttpRequest, exc: OverflowError) -> HttpResponse:
        return _error(api, request, 422, "a number or date is out of the supported range", [])

    @api.exception_handler(DataError)
    def data_error(request: HttpRequest, exc: DataError) -> HttpResponse:
        return _error(api, request, 422, "a value is out of the supported range", [])

    @api.exception_handler(IntegrityError)
    def integrity_error(request: HttpRequest, exc: IntegrityError) -> HttpResponse:
        return _error(
            api, request, 422, "a value is out of range or conflicts with existing data", []
        )

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return _error(api, request, 404, "not found", [])


def session_or_token() -> list[Any]:
    # Session cookies need the CSRF token (SessionAuth checks it); bearer tokens do not.
    return [BearerAuth(), SessionAuth()]
