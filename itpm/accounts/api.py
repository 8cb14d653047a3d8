"""API: tokens, users, teams."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import authenticate
from django.http import HttpRequest
from ninja import Field, Router, Schema

from itpm.accounts import services
from itpm.accounts.models import ApiToken, Team, TeamKind, User
from itpm.accounts.permissions import is_admin, request_user
from itpm.accounts.selectors import users_by_username
from itpm.core.api import ErrorOut, Page, StrictSchema, paginate
from itpm.core.errors import NotFound, ServiceError
from itpm.core.security import login_lockout

router = Router(tags=["accounts"])


class TokenIn(StrictSchema):
    username: str = Field(examples=["pm"])
    password: str = Field(examples=["demo-pass-123"])
    name: str = Field("API token", max_length=100, examples=["CI script"])


class TokenOut(Schema):
    token: str = Field(description="Shown once; store it. Send as 'Authorization: Bearer <token>'.")
    id: int
    name: str


class Unauthorized(ServiceError):
    status = 401


class TooManyAttempts(ServiceError):
    """Log-in is locked for this username or address (the login lockout)."""

    status = 429

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


@router.post(
    "/auth/token", auth=None, response={201: TokenOut, 401: ErrorOut, 422: ErrorOut, 429: ErrorOut}
)
def token_create(request: HttpRequest, payload: TokenIn) -> tuple[int, dict[str, object]]:
    """Exchange a username and password for a personal API token."""
    lockout = login_lockout(username=payload.username, request=request)
    if lockout is not None:
        raise TooManyAttempts(lockout.message, retry_after=lockout.retry_after)
    user = authenticate(request, username=payload.username, password=payload.password)
    if user is None or not user.is_active:
        raise Unauthorized("wrong username or password")
    token, key = services.token_create(user=user, name=payload.name)
    return 201, {"token": key, "id": token.pk, "name": token.name}


class TokenInfo(Schema):
    id: int
    name: str
    key_prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None
    expires_at: dt.datetime | None = Field(None, description="The token stops working then.")


@router.get("/auth/tokens", response=list[TokenInfo])
def token_list(request: HttpRequest) -> list[ApiToken]:
    """Your own API tokens (never their secrets)."""
    return list(ApiToken.objects.filter(user=request_user(request)))


@router.delete("/auth/tokens/{token_id}", response={204: None, 404: ErrorOut})
def token_revoke(request: HttpRequest, token_id: int) -> tuple[int, None]:
    token = ApiToken.objects.filter(pk=token_id, user=request_user(request)).first()
    if token is None:
        raise NotFound("token not found")
    services.token_revoke(actor=request_user(request), token=token)
    return 204, None


class UserOut(Schema):
    id: int
    username: str
    first_name: str
    last_name: str
    email: str | None = None
    is_admin: bool = Field(validation_alias="is_staff")


class UserIn(StrictSchema):
    username: str = Field(min_length=1, max_length=150, examples=["alex"])
    password: str = Field(min_length=1, examples=["a-long-passphrase-42"])
    email: str = Field("", max_length=254, examples=["alex@example.com"])
    first_name: str = Field("", max_length=150)
    last_name: str = Field("", max_length=150)
    admin: bool = False


def _user_out(user: User, viewer: User) -> dict[str, object]:
    # E-mail addresses are personal data: only admins and the person see them.
    show_email = is_admin(viewer) or viewer.pk == user.pk
    return {
        "id": user.pk,
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email if show_email else None,
        "is_staff": user.is_staff,
    }


@router.get("/users", response=Page[UserOut])
def user_list(
    request: HttpRequest, search: str | None = None, limit: int = 50, offset: int = 0
) -> dict[str, object]:
    """Active users (to find people to add to a project)."""
    users = User.objects.filter(is_active=True).order_by("username")
    if search:
        users = users.filter(username__icontains=search)
    page = paginate(users, limit, offset)
    page["items"] = [_user_out(u, request_user(request)) for u in page["items"]]
    return page


@router.post("/users", response={201: UserOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def user_create(request: HttpRequest, payload: UserIn) -> tuple[int, dict[str, object]]:
    """Create a user (site admins only)."""
    user = services.user_create(actor=request_user(request), **payload.model_dump())
    return 201, _user_out(user, request_user(request))


class TeamOut(Schema):
    id: int
    version: int
    name: str
    kind: str
    description: str
    members: list[str]


class TeamIn(StrictSchema):
    name: str = Field(min_length=1, max_length=120, examples=["Security & compliance"])
    kind: TeamKind = Field(TeamKind.DELIVERY, examples=["security_compliance"])
    description: str = ""
    members: list[str] = Field([], examples=[["sam", "dana"]])


def _team_out(team: Team) -> dict[str, object]:
    return {
        "id": team.pk,
        "version": team.version,
        "name": team.name,
        "kind": team.kind,
        "description": team.description,
        "members": sorted(u.username for u in team.members.all()),
    }


@router.get("/teams", response=Page[TeamOut])
def team_list(
    request: HttpRequest, kind: TeamKind | None = None, limit: int = 50, offset: int = 0
) -> dict[str, object]:
    teams = Team.objects.prefetch_related("members").order_by("name")
    if kind:
        teams = teams.filter(kind=kind)
    page = paginate(teams, limit, offset)
    page["items"] = [_team_out(t) for t in page["items"]]
    return page


@router.post("/teams", response={201: TeamOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut})
def team_create(request: HttpRequest, payload: TeamIn) -> tuple[int, dict[str, object]]:
    """Create a team (site admins only)."""
    members = users_by_username(payload.members, field="members")
    team = services.team_create(
        actor=request_user(request),
        name=payload.name,
        kind=payload.kind,
        description=payload.description,
        members=members,
    )
    return 201, _team_out(team)
