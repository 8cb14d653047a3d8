"""Use cases of users, teams, memberships and API tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
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
    days = settings.ITPM_API_TOKEN_DAYS
    expires_at = timezone.now() + dt.timedelta(days=days) if days > 0 else None
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100] or "API token",
            key_hash=ApiToken.hash_key(key),
            key_prefix=key[:12],
            expires_at=expires_at,
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


def token_authenticate_request(request: Any, key: str) -> User | None:
    """``token_authenticate`` once per request: the portal guard, the idempotency layer and
    the API's auth each need the token's user, and each lookup was a query."""
    cached = getattr(request, "_itpm_bearer", None)
    if cached is not None and cached[0] == key:
        return cached[1]  # type: ignore[no-any-return]
    user = token_authenticate(key)
    request._itpm_bearer = (key, user)
    return user


def token_authenticate(key: str) -> User | None:
    """The active user behind a bearer token, or None. Constant-time by hash lookup."""
    if not key.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    # Write last use at most once a minute: a busy script should not write on every call.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


# E-mail verification: a signed link proves the person reads mail at the address. The token
# names the address, so a link sent before the address changed verifies nothing.
_EMAIL_SALT = "itpm.accounts.email-verify"
EMAIL_VERIFY_MAX_AGE = 60 * 60 * 24


def email_verification_token(*, user: User) -> str:
    return signing.dumps({"user": user.pk, "email": user.email}, salt=_EMAIL_SALT)


def email_verification_send(*, user: User, link: str) -> None:
    send_mail(
        "Confirm your e-mail address for itpm",
        f"Hello {user.display_name},\n\nOpen this link to confirm that {user.email} is yours "
        f"(it works for 24 hours):\n\n{link}\n\nIf you did not ask for this, ignore this mail.\n",
        None,
        [user.email],
    )


def email_verify(*, token: str) -> User | None:
    """Mark the address in a valid link verified; None for a bad, old or outdated link."""
    try:
        data = signing.loads(token, salt=_EMAIL_SALT, max_age=EMAIL_VERIFY_MAX_AGE)
    except signing.BadSignature:
        return None
    with transaction.atomic():
        user = User.objects.select_for_update().filter(pk=data.get("user")).first()
        if user is None or not user.email or user.email != data.get("email"):
            return None
        if user.email_verified_at is None:
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at"])
            audit(actor=user, action="user.email_verified", obj=user)
    return user
