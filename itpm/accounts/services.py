"""Use cases of users, teams, memberships and API tokens."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from itpm.accounts.models import ROLE_RANK, ApiToken, Membership, Role, Team, TeamKind, User
from itpm.accounts.permissions import is_admin, require_role
from itpm.core.errors import Conflict, FieldError, Forbidden, Invalid, NotFound
from itpm.core.services import audit
from itpm.portfolio.models import Project


def user_create(
    *,
    actor: Any,
    username: str,
    password: str,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    admin: bool = False,
    check_password: bool = True,
) -> User:
    """Create a user. Only site admins may, except from the CLI (actor None)."""
    if actor is not None and not is_admin(actor):
        raise Forbidden("only site admins may create users")
    username = username.strip()
    if not username:
        raise Invalid.field("username", "must not be empty")
    if User.objects.filter(username__iexact=username).exists():
        raise Conflict(f"username {username!r} is taken", [FieldError("username", "taken")])
    candidate = User(username=username, email=email, first_name=first_name, last_name=last_name)
    if check_password:
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise Invalid.field("password", " ".join(exc.messages)) from None
    with transaction.atomic():
        user = User.objects.create_user(
            username=username,
            password=password,
            email=email,
            first_name=first_name,
            last_name=last_name,
            is_staff=admin,
            is_superuser=admin,
        )
        audit(actor=actor, action="user.create", obj=user, changes={"admin": [None, admin]})
    return user


def team_create(
    *, actor: Any, name: str, kind: str = TeamKind.DELIVERY, description: str = "",
    members: list[User] | None = None,
) -> Team:  # fmt: skip
    if not is_admin(actor):
        raise Forbidden("only site admins may create teams")
    name = name.strip()
    if not name:
        raise Invalid.field("name", "must not be empty")
    if kind not in TeamKind.values:
        raise Invalid.field("kind", f"must be one of {', '.join(TeamKind.values)}")
    with transaction.atomic():
        try:
            with transaction.atomic():
                team = Team.objects.create(name=name, kind=kind, description=description)
        except IntegrityError:
            raise Conflict(f"a team named {name!r} exists") from None
        if members:
            team.members.set(members)
        audit(
            actor=actor,
            action="team.create",
            obj=team,
            changes={"members": [[], [u.username for u in members or []]]},
        )
    return team


def membership_set(*, actor: Any, project: Project, user: User, role: str) -> Membership:
    """Add ``user`` to the project or change their role.

    Managers may grant up to manager; only owners grant or take away ownership; the last
    owner cannot be demoted (a project always has someone who can hand it over).
    """
    if role not in Role.values:
        raise Invalid.field("role", f"must be one of {', '.join(Role.values)}")
    actor_role = require_role(actor, project, Role.MANAGER)
    new_role = Role(role)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(project=project, user=user).first()
        )
        old_role = Role(membership.role) if membership else None
        touches_owner = new_role == Role.OWNER or old_role == Role.OWNER
        if touches_owner and actor_role != Role.OWNER:
            raise Forbidden("only an owner may grant or take away the owner role")
        if ROLE_RANK[new_role] > ROLE_RANK[actor_role]:
            raise Forbidden("you cannot grant a role above your own")
        if old_role == Role.OWNER and new_role != Role.OWNER:
            _refuse_last_owner(project, user)
        if membership is None:
            membership = Membership.objects.create(project=project, user=user, role=new_role)
            audit(
                actor=actor,
                action="member.add",
                obj=membership,
                project=project,
                changes={"user": [None, user.username], "role": [None, new_role.value]},
            )
        elif old_role != new_role:
            membership.role = new_role
            membership.version += 1
            membership.save(update_fields=["role", "version", "updated_at"])
            audit(
                actor=actor,
                action="member.update",
                obj=membership,
                project=project,
                changes={"role": [old_role.value if old_role else None, new_role.value]},
            )
    return membership


def membership_remove(*, actor: Any, project: Project, user: User) -> None:
    actor_role = require_role(actor, project, Role.MANAGER)
    with transaction.atomic():
        membership = (
            Membership.objects.select_for_update().filter(project=project, user=user).first()
        )
        if membership is None:
            raise NotFound(f"{user.username} is not a member of {project.key}")
        if membership.role == Role.OWNER:
            if actor_role != Role.OWNER:
                raise Forbidden("only an owner may remove an owner")
            _refuse_last_owner(project, user)
        audit(
            actor=actor,
            action="member.remove",
            obj=membership,
            project=project,
            changes={"user": [user.username, None], "role": [membership.role, None]},
        )
        membership.delete()


def _refuse_last_owner(project: Project, leaving: User) -> None:
    others = Membership.objects.filter(project=project, role=Role.OWNER).exclude(user=leaving)
    if not others.exists():
        raise Conflict(f"{leaving.username} is the last owner of {project.key}; name another first")


def token_create(*, user: User, name: str = "API token") -> tuple[ApiToken, str]:
    """Return the token row and its secret; the secret is never stored nor shown again."""
    key = ApiToken.new_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100] or "API token",
            key_hash=ApiToken.hash_key(key),
            key_prefix=key[:12],
        )
        audit(actor=user, action="token.create", obj=token)
    return token, key


def token_revoke(*, actor: User, token: ApiToken) -> None:
    if token.user_id != actor.pk and not is_admin(actor):
        raise NotFound("token not found")
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit(actor=actor, action="token.revoke", obj=token)


def token_authenticate(key: str) -> User | None:
    """The active user behind a bearer token, or None. Constant-time by hash lookup."""
    if not key.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # Write last use at most once a minute: a busy script should not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
