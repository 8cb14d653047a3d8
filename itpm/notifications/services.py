"""Notification use cases: send (in-app rows + queued e-mail), read, preferences, digest,
and the secret calendar-feed token.

``notification_send`` is the one way a notice is made. It writes the in-app rows in the
caller's transaction and queues the e-mail job when that transaction commits, so a change
that rolls back notifies nobody.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import zoneinfo
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from itpm.accounts.models import User
from itpm.core.errors import Invalid, NotFound
from itpm.core.services import audit, check_version, save_versioned
from itpm.notifications.models import (
    Channel,
    EmailMode,
    Kind,
    Notification,
    NotificationSettings,
)

log = logging.getLogger(__name__)


def _now() -> dt.datetime:
    return timezone.now()


def settings_for(user: User) -> NotificationSettings:
    """The person's settings row, made on first write."""
    found, _ = NotificationSettings.objects.get_or_create(user=user)
    return found


def settings_get(user: User) -> NotificationSettings:
    """The person's settings for reading: the defaults (unsaved) if they never chose."""
    return NotificationSettings.objects.filter(user=user).first() or NotificationSettings(user=user)


def absolute_url(url: str) -> str:
    if not url or url.startswith(("http://", "https://")):
        return url
    return settings.ITPM_BASE_URL.rstrip("/") + "/" + url.lstrip("/")


# ---------------------------------------------------------------------------- send
def notification_send(
    *,
    recipients: Iterable[User | None],
    kind: str,
    text: str,
    url: str = "",
    project: Any = None,
    actor: User | None = None,
    dedupe_key: str = "",
    email: bool = True,
) -> list[Notification]:
    """Notify each distinct active recipient as their preferences for ``kind`` say.

    A recipient who already has a notice with the same ``dedupe_key`` gets nothing new (the
    SLA sweep and mention scans may run more than once). ``email=False`` keeps it in-app.
    Returns the notices written.
    """
    if kind not in Kind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    people = {u.pk: u for u in recipients if u is not None and u.is_active}
    if not people:
        return []
    chosen = {s.user_id: s for s in NotificationSettings.objects.filter(user_id__in=list(people))}
    written: list[Notification] = []
    for user in people.values():
        prefs = chosen.get(user.pk) or NotificationSettings(user=user)
        in_app = prefs.wants(kind, Channel.IN_APP)
        mail = bool(email and user.email and prefs.wants(kind, Channel.EMAIL))
        if not in_app and not mail:
            continue
        row = Notification(
            recipient=user, kind=kind, text=text[:300], url=url[:300], project=project,
            actor=actor if getattr(actor, "pk", None) else None, dedupe_key=dedupe_key[:120],
            in_app=in_app,
            email_mode=(EmailMode.DIGEST if prefs.daily_digest else EmailMode.NOW)
            if mail else EmailMode.NONE,
        )  # fmt: skip
        if dedupe_key:
            if Notification.objects.filter(recipient=user, dedupe_key=row.dedupe_key).exists():
                continue
            try:
                with transaction.atomic():  # a savepoint: a concurrent twin loses quietly
                    row.save()
            except IntegrityError:
                continue
        else:
            row.save()
        written.append(row)
    now_ids = [n.pk for n in written if n.email_mode == EmailMode.NOW]
    if now_ids:
        from itpm.notifications.tasks import send_notification_emails_job

        transaction.on_commit(lambda: send_notification_emails_job.enqueue(now_ids))
    return written


# ---------------------------------------------------------------------------- e-mail
def notification_emails_send(*, ids: list[int]) -> int:
    """Mail each notice of ``ids`` that is due to go out at once and has not; idempotent.

    Each notice is claimed under a row lock and marked in the same transaction as its mail is
    handed to the backend: a second run (or a second worker) finds it marked and skips it.
    A mail server that fails rolls that notice's mark back and the others go on; the
    periodic ``pending_emails_job`` sends it later.
    """
    sent = 0
    for pk in ids:
        try:
            with transaction.atomic():
                row = (
                    Notification.objects.select_for_update(skip_locked=True)
                    .filter(pk=pk, email_mode=EmailMode.NOW, emailed_at__isnull=True)
                    .select_related("recipient")
                    .first()
                )
                if row is None or not row.recipient.email:
                    continue
                body = f"{row.text}\n\n{absolute_url(row.url)}\n" if row.url else f"{row.text}\n"
                body += (
                    "\nChoose what you are told about: "
                    f"{absolute_url('/notifications/settings/')}\n"
                )
                send_mail(f"[itpm] {row.text[:120]}", body, settings.DEFAULT_FROM_EMAIL,
                          [row.recipient.email])  # fmt: skip
                Notification.objects.filter(pk=row.pk).update(emailed_at=_now())
                sent += 1
        except Exception:  # noqa: BLE001 - one bad address or a down server must not stop the rest
            log.exception("mail of notification %s failed; it is retried later", pk)
    return sent


def notification_emails_retry(*, now: dt.datetime | None = None) -> int:
    """Send what an earlier job did not (mail server down, job lost): notices due at once,
    unsent, written between two days and five minutes ago."""
    now = now or _now()
    ids = list(
        Notification.objects.filter(
            email_mode=EmailMode.NOW, emailed_at__isnull=True,
            created__lte=now - dt.timedelta(minutes=5), created__gte=now - dt.timedelta(days=2),
        ).values_list("pk", flat=True)[:5000]
    )  # fmt: skip
    return notification_emails_send(ids=ids)


def _local(user: User, now: dt.datetime) -> dt.datetime:
    try:
        zone = zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return now.astimezone(zone)


def notification_digest_send(*, now: dt.datetime | None = None) -> int:
    """Send each person's daily digest once their local clock passes ``ITPM_DIGEST_HOUR``.

    One mail a day at most (``digest_sent_on`` is the person's local date of the last one),
    holding every notice collected for the digest since. Returns the number of mails.
    """
    now = now or _now()
    mails = 0
    waiting = (
        Notification.objects.filter(email_mode=EmailMode.DIGEST, emailed_at__isnull=True)
        .values_list("recipient_id", flat=True)
        .distinct()
    )
    for user in User.objects.filter(pk__in=list(waiting), is_active=True):
        local = _local(user, now)
        if local.hour < settings.ITPM_DIGEST_HOUR:
            continue
        with transaction.atomic():
            prefs = NotificationSettings.objects.select_for_update().filter(user=user).first()
            if prefs is None:
                prefs = settings_for(user)
            if prefs.digest_sent_on is not None and prefs.digest_sent_on >= local.date():
                continue
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(recipient=user, email_mode=EmailMode.DIGEST, emailed_at__isnull=True)
                .order_by("created", "id")
            )
            if not rows or not user.email:
                continue
            lines = [f"- {n.text}" + (f"\n  {absolute_url(n.url)}" if n.url else "") for n in rows]
            send_mail(
                f"[itpm] Your daily digest: {len(rows)} notification{'s' * (len(rows) != 1)}",
                "What happened since your last digest:\n\n" + "\n".join(lines) + "\n",
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
            )
            Notification.objects.filter(pk__in=[n.pk for n in rows]).update(emailed_at=now)
            NotificationSettings.objects.filter(pk=prefs.pk).update(digest_sent_on=local.date())
            mails += 1
    return mails


# ---------------------------------------------------------------------------- reading
def _own(actor: User, notification_id: int) -> Notification:
    found = None
    if 0 < notification_id < 2**63:
        found = Notification.objects.filter(pk=notification_id, recipient=actor).first()
    if found is None:
        raise NotFound(f"notification {notification_id} not found")
    return found


def notification_mark_read(*, actor: User, notification_id: int, read: bool = True) -> Notification:
    """Mark one of the actor's own notices read (or unread again)."""
    with transaction.atomic():
        notice = _own(actor, notification_id)
        notice.read_at = (notice.read_at or _now()) if read else None
        Notification.objects.filter(pk=notice.pk).update(read_at=notice.read_at)
    return notice


def notification_mark_all_read(*, actor: User) -> int:
    with transaction.atomic():
        return Notification.objects.filter(
            recipient=actor, in_app=True, read_at__isnull=True
        ).update(read_at=_now())


# ---------------------------------------------------------------------------- preferences
def notification_settings_update(
    *,
    actor: User,
    version: int | None,
    preferences: dict[str, dict[str, bool]] | None = None,
    daily_digest: bool | None = None,
) -> NotificationSettings:
    """Change the actor's own choices; kinds and channels not named keep their value."""
    clean: dict[str, dict[str, bool]] = {}
    for kind, channels in (preferences or {}).items():
        if kind not in Kind.values:
            raise Invalid.field(f"preferences.{kind}", f"one of {', '.join(Kind.values)}")
        if not isinstance(channels, dict):
            raise Invalid.field(f"preferences.{kind}", 'an object such as {"email": false}')
        for channel, on in channels.items():
            if channel not in Channel.values:
                raise Invalid.field(f"preferences.{kind}.{channel}", "in_app or email")
            if not isinstance(on, bool):
                raise Invalid.field(f"preferences.{kind}.{channel}", "true or false")
        clean[kind] = dict(channels)
    with transaction.atomic():
        prefs = settings_for(actor)
        prefs = NotificationSettings.objects.select_for_update().get(pk=prefs.pk)
        check_version(prefs, version)
        before = {"preferences": dict(prefs.preferences), "daily_digest": prefs.daily_digest}
        merged = {k: dict(v) for k, v in (prefs.preferences or {}).items()}
        for kind, channels in clean.items():
            merged.setdefault(kind, {}).update(channels)
        changed: list[str] = []
        if merged != prefs.preferences:
            prefs.preferences = merged
            changed.append("preferences")
        if daily_digest is not None and daily_digest != prefs.daily_digest:
            prefs.daily_digest = daily_digest
            changed.append("daily_digest")
        if changed:
            save_versioned(prefs, changed)
            audit(actor=actor, action="notification_settings.update", obj=prefs,
                  changes={n: [before[n], getattr(prefs, n)] for n in changed})  # fmt: skip
    return prefs


# ---------------------------------------------------------------------------- calendar feed
def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_token_renew(*, actor: User) -> str:
    """Make a new secret feed token for the actor (the old URL stops working at once).

    Returns the secret; only its hash is stored, so this is the one time it can be shown.
    """
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        prefs = settings_for(actor)
        prefs = NotificationSettings.objects.select_for_update().get(pk=prefs.pk)
        had = bool(prefs.feed_token_hash)
        prefs.feed_token_hash, prefs.feed_token_created = _hash(token), _now()
        save_versioned(prefs, ["feed_token_hash", "feed_token_created"])
        audit(actor=actor, action="calendar_feed.renew", obj=prefs,
              changes={"feed_token": ["revoked" if had else None, "new"]})  # fmt: skip
    return token


def calendar_token_revoke(*, actor: User) -> None:
    with transaction.atomic():
        prefs = settings_for(actor)
        if prefs.feed_token_hash:
            prefs.feed_token_hash, prefs.feed_token_created = "", None
            save_versioned(prefs, ["feed_token_hash", "feed_token_created"])
            audit(actor=actor, action="calendar_feed.revoke", obj=prefs,
                  changes={"feed_token": ["set", None]})  # fmt: skip


def calendar_feed_user(token: str) -> User | None:
    """The active person a feed token belongs to, or None (unknown or revoked)."""
    if not token or len(token) > 200:
        return None
    prefs = (
        NotificationSettings.objects.filter(feed_token_hash=_hash(token))
        .select_related("user")
        .first()
    )
    if prefs is None or not prefs.user.is_active:
        return None
    return prefs.user
