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
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone

from itpm.accounts.models import User
from itpm.core.errors import Invalid, NotFound
from itpm.core.mail import stable_message_id
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
# A claim older than this belongs to a worker that died: sending takes at most the SMTP
# timeout (``ITPM_SMTP_TIMEOUT``, 20 s by default), so a live worker is long done by then.
EMAIL_CLAIM_LEASE = dt.timedelta(minutes=10)


def notification_message_id(notice: Notification) -> str:
    """The notice mail's ``Message-ID``: the same on every send of this notice."""
    return stable_message_id(
        kind="notification", key=str(notice.pk),
        seed=f"{notice.recipient_id}:{notice.created.isoformat()}",
    )  # fmt: skip


def digest_message_id(user: User, local_date: dt.date) -> str:
    """The daily digest's ``Message-ID``: one per person and local date."""
    return stable_message_id(kind="digest", key=f"{user.pk}.{local_date.isoformat()}")


def _claim_email(pk: int, now: dt.datetime) -> Notification | None:
    """Record, committed before any SMTP, that this worker is mailing the notice.

    A compare-and-set on the claim lets one worker win. A notice claimed less than
    ``EMAIL_CLAIM_LEASE`` ago is being mailed by someone else and is skipped. A claim older
    than that was left by a worker killed while sending: the mail is sent again (with the
    same Message-ID) and a warning says it may have gone out already.
    """
    row = (
        Notification.objects.filter(pk=pk, email_mode=EmailMode.NOW, emailed_at__isnull=True)
        .select_related("recipient")
        .first()
    )
    if row is None or not row.recipient.email:
        return None
    earlier = row.email_claimed_at
    if earlier is not None and earlier > now - EMAIL_CLAIM_LEASE:
        return None
    won = Notification.objects.filter(
        pk=pk, emailed_at__isnull=True, email_claimed_at=earlier
    ).update(email_claimed_at=now)
    if won != 1:
        return None
    if earlier is not None:
        log.warning(
            "mail of notification %s may have been sent already: an attempt at %s did not "
            "finish; sending again with the same Message-ID %s",
            pk, earlier.isoformat(), notification_message_id(row),
        )  # fmt: skip
    row.email_claimed_at = now
    return row


def _mark_emailed(pk: int, now: dt.datetime) -> None:
    Notification.objects.filter(pk=pk).update(emailed_at=now)


def _preferences_line(user: User) -> str:
    """The mail's last line: where its reader chooses what they are told about. An outside
    requester has no preferences page (every main page is closed to them): their portal."""
    from django.apps import apps

    if apps.is_installed("itpm.helpdesk"):
        from itpm.helpdesk.models import is_portal_only

        if is_portal_only(user):
            return f"\nYour requests: {absolute_url('/portal/')}\n"
    return f"\nChoose what you are told about: {absolute_url('/notifications/settings/')}\n"


def notification_emails_send(*, ids: list[int]) -> int:
    """Mail each notice of ``ids`` that is due to go out at once and has not; idempotent.

    Each notice is first claimed (committed), then mailed, then marked mailed. A second run
    or a second worker finds it claimed or marked and skips it. A mail server that fails
    releases the claim and the others go on; the periodic ``pending_emails_job`` sends it
    later. A worker killed between the mail server's acceptance and the mark sends it again
    on the rerun: that cannot be avoided (SMTP has no two-phase commit), so every send of a
    notice carries the same ``Message-ID``, which mail servers and clients deduplicate, and
    the rerun logs a warning.
    """
    sent = 0
    for pk in ids:
        now = _now()
        row = None
        try:
            with transaction.atomic():
                row = _claim_email(pk, now)
            if row is None:
                continue
            body = f"{row.text}\n\n{absolute_url(row.url)}\n" if row.url else f"{row.text}\n"
            body += _preferences_line(row.recipient)
            message = EmailMessage(
                f"[itpm] {row.text[:120]}", body, settings.DEFAULT_FROM_EMAIL,
                [row.recipient.email], headers={"Message-ID": notification_message_id(row)},
            )  # fmt: skip
        except Exception:  # noqa: BLE001 - one bad row must not stop the rest
            log.exception("mail of notification %s could not be prepared", pk)
            continue
        try:
            message.send()
        except Exception:  # noqa: BLE001 - one bad address or a down server must not stop the rest
            log.exception("mail of notification %s failed; it is retried later", pk)
            # Not accepted by the mail server: release the claim so the retry job may send it.
            Notification.objects.filter(
                pk=pk, emailed_at__isnull=True, email_claimed_at=now
            ).update(email_claimed_at=None)
            continue
        _mark_emailed(row.pk, _now())
        sent += 1
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
    holding every notice collected for the digest before that day's digest hour; later ones
    wait for the next digest. The cut-off makes a rerun of the day's digest (a worker killed
    after the mail server accepted it and before the commit) the same mail with the same
    ``Message-ID``, which mail servers and clients deduplicate. Returns the number of mails.
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
        cutoff = local.replace(hour=settings.ITPM_DIGEST_HOUR, minute=0, second=0, microsecond=0)
        with transaction.atomic():
            prefs = NotificationSettings.objects.select_for_update().filter(user=user).first()
            if prefs is None:
                prefs = settings_for(user)
            if prefs.digest_sent_on is not None and prefs.digest_sent_on >= local.date():
                continue
            rows = list(
                Notification.objects.select_for_update(skip_locked=True)
                .filter(recipient=user, email_mode=EmailMode.DIGEST, emailed_at__isnull=True,
                        created__lt=cutoff)
                .order_by("created", "id")
            )  # fmt: skip
            if not rows or not user.email:
                continue
            lines = [f"- {n.text}" + (f"\n  {absolute_url(n.url)}" if n.url else "") for n in rows]
            EmailMessage(
                f"[itpm] Your daily digest: {len(rows)} notification{'s' * (len(rows) != 1)}",
                "What happened since your last digest:\n\n" + "\n".join(lines) + "\n",
                settings.DEFAULT_FROM_EMAIL,
                [user.email],
                headers={"Message-ID": digest_message_id(user, local.date())},
            ).send()
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
