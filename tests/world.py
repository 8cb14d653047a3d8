"""A small, fixed world for the permission matrix and the mass-assignment tests.

It is built once per test module (committed), and each test runs inside pytest-django's
transaction that is rolled back, so a test that deletes or archives something never
affects the next one. ``destroy_world`` removes it again when the module is done.

- ``APL`` (own project): owner, manager, member, viewer and ``extra`` (a member), with a
  small WBS: 1 Build (summary: 1.1 Design, 1.2 Code, Design → Code), 2 Test, 3 Launch (milestone).
- ``ZED`` (foreign project): owned by ``zoe``, who is no actor; ``extra`` is a member.
  Same WBS. No APL person but the site admin has a role there.
- ``OTH``: the outsider's own project; the outsider has no role on APL or ZED.
- ``newbie``: a user with no role anywhere (to be added as a member).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.sessions.models import Session
from django.db import connection

from itpm.accounts.models import ApiToken, Membership, Role, Team, User
from itpm.accounts.services import membership_set, token_create
from itpm.core.models import AuditEvent
from itpm.planning.models import Cycle, Dependency, Label, Task
from itpm.planning.services import dependency_create, task_create
from itpm.portfolio.models import Project
from itpm.portfolio.services import project_create

PASSWORD = "correct-horse-battery-staple"
ACTORS = ("anonymous", "outsider", "viewer", "member", "manager", "owner", "admin", "requester")
USERNAMES = {
    "admin": "admin",
    "owner": "olivia",
    "manager": "manny",
    "member": "mia",
    "viewer": "vic",
    "outsider": "oscar",
    "requester": "rita",  # an outside requester: the portal only
}


@dataclass
class Site:
    """The objects of one project that path parameters and bodies refer to."""

    project: Project
    tasks: dict[str, Task]
    dependency: Dependency
    # Ids of further objects that path parameters name ({calendar_id}, {baseline_id}, ...).
    extra: dict[str, int] = field(default_factory=dict)


@dataclass
class World:
    users: dict[str, User]
    sites: dict[str, Site]  # "own" (APL) and "foreign" (ZED)
    tokens: dict[str, str] = field(default_factory=dict)  # actor -> bearer secret
    spare_tokens: dict[str, int] = field(default_factory=dict)  # actor -> a token id to revoke
    extra: dict[str, int] = field(default_factory=dict)  # ids of objects outside projects
    helpdesk: dict[str, Any] = field(default_factory=dict)  # help-desk objects by name
    baseline: dict[str, tuple[int, str]] = field(default_factory=dict)  # db_state() when built


def _user(username: str, **extra: Any) -> User:
    # The MD5 hasher keeps the build fast; the conftest fixture makes tests accept it.
    user = User(username=username, email=f"{username}@example.com", **extra)
    hasher = MD5PasswordHasher()
    user.password = hasher.encode(PASSWORD, hasher.salt())
    user.save()
    return user


def _wbs(project: Project, actor: User) -> Site:
    build = task_create(actor=actor, project=project, name="Build", duration_hours=0)
    design = task_create(
        actor=actor, project=project, name="Design", parent=build, duration_hours=16
    )
    code = task_create(actor=actor, project=project, name="Code", parent=build, duration_hours=40)
    test = task_create(actor=actor, project=project, name="Test", duration_hours=24)
    launch = task_create(actor=actor, project=project, name="Launch", milestone=True)
    link = dependency_create(actor=actor, project=project, predecessor=design, successor=code)
    tasks = {"build": build, "design": design, "code": code, "test": test, "launch": launch}
    return Site(project=project, tasks=tasks, dependency=link)


def build_world() -> World:
    users = {actor: _user(name) for actor, name in USERNAMES.items() if actor != "admin"}
    users["admin"] = _user("admin", is_staff=True, is_superuser=True)
    for name in ("zoe", "extra", "newbie"):
        users[name] = _user(name)
    owner = users["owner"]
    apl = project_create(
        actor=owner, key="APL", name="Apollo ERP upgrade", start_date=dt.date(2027, 1, 4)
    )
    for actor in ("manager", "member", "viewer"):
        membership_set(actor=owner, project=apl, user=users[actor], role=Role(actor))
    membership_set(actor=owner, project=apl, user=users["extra"], role=Role.MEMBER)
    zed = project_create(actor=users["zoe"], key="ZED", name="Zed secret rollout")
    membership_set(actor=users["zoe"], project=zed, user=users["extra"], role=Role.MEMBER)
    project_create(actor=users["outsider"], key="OTH", name="Oscar's other project")
    world = World(users=users, sites={"own": _wbs(apl, owner), "foreign": _wbs(zed, users["zoe"])})
    for site in world.sites.values():
        # A planned sprint and a label for the cycle and board routes ({cycle_id}, labels).
        Cycle.objects.create(
            project=site.project, name="Matrix sprint", start=dt.date(2027, 1, 4),
            finish=dt.date(2027, 1, 15), capacity_hours=40,
        )  # fmt: skip
        Label.objects.create(project=site.project, name="matrix")
        # A coarse planning package to break down (rolling wave).
        package = task_create(
            actor=site.project.memberships.get(role=Role.OWNER).user, project=site.project,
            name="Rollout wave 2", duration_hours=80,
        )  # fmt: skip
        Task.objects.filter(pk=package.pk).update(planning_package=True)
        site.tasks["package"] = package
    for actor in ACTORS[1:]:
        world.tokens[actor] = token_create(user=users[actor], name="matrix")[1]
        world.spare_tokens[actor] = token_create(user=users[actor], name="spare")[0].pk
    world.spare_tokens["zoe"] = token_create(user=users["zoe"], name="spare")[0].pk
    world.helpdesk = _build_helpdesk(users)
    _lifecycle(world)
    from tests.tracking.matrix import build_tracking

    build_tracking(world)
    from tests.world_resources import build_resource_world

    build_resource_world(world)
    from tests.control.matrix import build_control

    build_control(world)
    from tests.notifications.matrix import build_notifications

    build_notifications(world)
    from tests.documents.matrix import build_documents

    build_documents(world)
    from tests.webhooks.matrix import build_webhooks

    build_webhooks(world)
    world.baseline = db_state()
    return world


def destroy_world() -> None:
    from tests.world_resources import destroy_resource_world

    destroy_resource_world()
    AuditEvent.objects.all().delete()
    from tests.control.matrix import destroy_control

    destroy_control()
    from tests.notifications.matrix import destroy_notifications

    destroy_notifications()
    from tests.webhooks.matrix import destroy_webhooks

    destroy_webhooks()
    from tests.documents.matrix import destroy_documents

    destroy_documents()
    ApiToken.objects.all().delete()
    Dependency.objects.all().delete()
    Task.objects.all().delete()
    from tests.tracking.matrix import destroy_tracking

    destroy_tracking()
    Membership.objects.all().delete()
    _destroy_lifecycle()
    Project.objects.all().delete()
    _destroy_helpdesk()
    Team.objects.all().delete()
    User.objects.all().delete()
    Session.objects.all().delete()


# Columns that a read may touch without changing any data a user owns: a token's last use
# and a login's timestamp.
_VOLATILE = {"apitoken": {"last_used_at"}, "user": {"last_login"}}


def _state_models() -> list[type[Any]]:
    """Every itpm model (m2m tables included)."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if not model.__module__.startswith("itpm") and not model._meta.auto_created:
            continue
        if model._meta.auto_created and not model._meta.app_config.name.startswith("itpm"):
            continue
        found.append(model)
    return found


def _state_sql() -> str:
    """One query that reads every row of every itpm table as a line of text.

    Each row becomes its columns' SQL literals (``quote``), joined by commas, labelled with its
    model; the volatile columns are left out. One round trip instead of one ORM query per model
    (about a hundred): the matrix runs this after every request, and compiling and running a
    hundred ORM queries cost ten times the request itself."""
    vendor = connection.vendor
    if vendor in _STATE_SQL:
        return _STATE_SQL[vendor]
    if vendor == "sqlite":
        literal = "quote({})".format
    elif vendor == "postgresql":
        literal = "quote_nullable({}::text)".format
    else:
        raise NotImplementedError(f"db_state has no row-as-text query for {vendor}")
    qn = connection.ops.quote_name
    parts = []
    for model in _state_models():
        meta = model._meta
        # Proxy or multi-table models would need a join; none exists (yet): say so if one does.
        assert not meta.proxy and not meta.parents, f"db_state cannot read {meta.label} yet"
        skip = _VOLATILE.get(meta.model_name or "", set())
        row = " || ',' || ".join(
            literal(qn(f.column)) for f in meta.concrete_fields if f.attname not in skip
        )
        parts.append(f"SELECT '{meta.label}', {row} FROM {qn(meta.db_table)}")  # noqa: S608
    _STATE_SQL[vendor] = "\nUNION ALL\n".join(parts)
    return _STATE_SQL[vendor]


_STATE_SQL: dict[str, str] = {}


def db_state() -> dict[str, tuple[int, str]]:
    """Row count and a checksum of every row of every itpm model (m2m tables included)."""
    rows: dict[str, list[str]] = {model._meta.label: [] for model in _state_models()}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Planning a hundred-table UNION costs PostgreSQL ten times running it: plan it once
            # per connection (a prepared statement lives as long as the session).
            cursor.execute("SELECT 1 FROM pg_prepared_statements WHERE name = 'itpm_db_state'")
            if cursor.fetchone() is None:
                cursor.execute(f"PREPARE itpm_db_state AS {_state_sql()}")
            cursor.execute("EXECUTE itpm_db_state")
        else:
            cursor.execute(_state_sql())
        for label, row in cursor.fetchall():
            rows[label].append(row)
    state: dict[str, tuple[int, str]] = {}
    for label, lines in rows.items():
        digest = hashlib.sha256("\n".join(sorted(lines)).encode()).hexdigest()
        state[label] = (len(lines), digest)
    return state


def changed_tables(
    before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]
) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


def _destroy_helpdesk() -> None:
    """Help-desk and inventory rows protect their teams and requesters; remove them first."""
    from itpm.assets.models import Asset, Service
    from itpm.helpdesk.models import Queue, RequesterProfile, SlaPolicy, Ticket

    Ticket.objects.all().delete()
    Asset.objects.all().delete()
    Service.objects.all().delete()
    Queue.objects.all().delete()
    SlaPolicy.objects.all().delete()
    RequesterProfile.objects.all().delete()


def _lifecycle(world: World) -> None:
    """An open gate review per project (manager, owner and admin approve APL's; only the
    admin ZED's) and one project request per person, for the lifecycle routes."""
    from itpm.portfolio.models import (
        BusinessCase,
        GateApproval,
        GateChecklistItem,
        GateReview,
        ProjectRequest,
    )

    for target, site in world.sites.items():
        gate = GateReview.objects.create(
            project=site.project, from_stage="initiation", to_stage="planning"
        )
        GateChecklistItem.objects.create(gate=gate, text="Business case written", order=1)
        approvers = ["admin"] if target == "foreign" else ["manager", "owner", "admin"]
        for actor in approvers:
            GateApproval.objects.create(gate=gate, user=world.users[actor], role=actor)
    for user in world.users.values():
        ProjectRequest.objects.create(requester=user, title="Matrix request", problem="p")
    for site in world.sites.values():
        BusinessCase.objects.create(project=site.project)
    Team.objects.create(name="Matrix ops", kind="operations")


def _destroy_lifecycle() -> None:
    from itpm.portfolio.models import Notification, ProjectRequest

    ProjectRequest.objects.all().delete()
    Notification.objects.all().delete()


def _build_helpdesk(users: dict[str, User]) -> dict[str, Any]:
    """The outside requester, and a queue of the "Matrix desk" team (whose only member is the
    ``member`` actor: the agent) with a ticket the requester raised (a reply, an internal
    note, a file), and an asset and a service of the same team."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from itpm.assets.models import Asset, Service
    from itpm.helpdesk.models import (
        Queue,
        RequesterProfile,
        SlaPolicy,
        Ticket,
        TicketAttachment,
        TicketComment,
    )

    RequesterProfile.objects.create(user=users["requester"], organization="Acme")
    team = Team.objects.create(name="Matrix desk", kind="operations")
    team.members.set([users["member"]])
    policy = SlaPolicy.objects.create(name="Matrix SLA")
    queue = Queue.objects.create(key="MDESK", name="Matrix desk", team=team, sla_policy=policy,
                                 categories=["Access"])  # fmt: skip
    ticket = Ticket.objects.create(queue=queue, title="Printer jam", priority="P3",
                                   requester=users["requester"])  # fmt: skip
    TicketComment.objects.create(ticket=ticket, author=users["member"], body="On it")
    TicketComment.objects.create(ticket=ticket, author=users["member"], public=False,
                                 body="Internal: printer lease ends")  # fmt: skip
    attachment = TicketAttachment(ticket=ticket, name="log.txt", content_type="text/plain",
                                  size=3, public=True)  # fmt: skip
    attachment.file.save("log.txt", SimpleUploadedFile("log.txt", b"log"), save=False)
    attachment.save()
    service = Service.objects.create(name="Matrix service", owner_team=team)
    asset = Asset.objects.create(asset_type="server", name="Matrix server", tag="MX-001",
                                 owner_team=team, service=service)  # fmt: skip
    return {"team": team, "policy": policy, "queue": queue, "ticket": ticket,
            "attachment": attachment, "service": service, "asset": asset}  # fmt: skip
