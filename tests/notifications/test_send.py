"""notification_send: preferences per kind and channel, dedupe, idempotent e-mail, digest."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends import locmem
from django.utils import timezone

from itpm.notifications.models import EmailMode, Notification
from itpm.notifications.services import (
    notification_digest_send,
    notification_emails_retry,
    notification_emails_send,
    notification_send,
    notification_settings_update,
    settings_for,
)
from itpm.portfolio.notify import notify

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def jobs(settings: Any, django_capture_on_commit_callbacks: Any) -> Any:
    settings.TASKS = IMMEDIATE
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_notice_is_written_in_app_and_mailed_by_the_job(people: Any, jobs: Any) -> None:
    with jobs():
        notification_send(recipients=[people["member"], people["member"], None],
                          kind="approval", text="Approve CR-1", url="/x/")  # fmt: skip
    notice = Notification.objects.get(recipient=people["member"])
    assert notice.in_app and notice.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["mia@example.com"]]
    assert mail.outbox[0].subject == "[itpm] Approve CR-1"
    assert "http://127.0.0.1:8000/x/" in mail.outbox[0].body


def test_the_same_dedupe_key_notifies_once(people: Any, jobs: Any) -> None:
    for _ in range(3):
        with jobs():
            notification_send(recipients=[people["member"], people["viewer"]], kind="sla",
                              text="T-1 breached", dedupe_key="sla:1:response:breach:1")  # fmt: skip
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2
    # A different key is a different notice.
    notification_send(recipients=[people["member"]], kind="sla", text="T-1 warning",
                      dedupe_key="sla:1:response:warning:1")  # fmt: skip
    assert Notification.objects.filter(recipient=people["member"]).count() == 2


def test_the_email_job_run_twice_sends_once(people: Any, settings: Any) -> None:
    settings.TASKS = IMMEDIATE
    notices = notification_send(recipients=[people["member"]], kind="mention", text="Hi")
    ids = [n.pk for n in notices]
    assert notification_emails_send(ids=ids) == 1
    assert notification_emails_send(ids=ids) == 0
    assert len(mail.outbox) == 1


def test_preferences_turn_a_channel_off(people: Any, jobs: Any) -> None:
    member = people["member"]
    notification_settings_update(actor=member, version=None,
                                 preferences={"mention": {"email": False},
                                              "ticket": {"in_app": False}})  # fmt: skip
    with jobs():
        notification_send(recipients=[member], kind="mention", text="in app only")
        notification_send(recipients=[member], kind="ticket", text="mail only")
    assert mail.outbox[0].subject == "[itpm] mail only" and len(mail.outbox) == 1
    shown = Notification.objects.filter(recipient=member, in_app=True)
    assert [n.text for n in shown] == ["in app only"]
    # Both off: nothing at all.
    notification_settings_update(actor=member, version=None,
                                 preferences={"ticket": {"email": False}})  # fmt: skip
    assert notification_send(recipients=[member], kind="ticket", text="none") == []


def test_status_reports_are_not_mailed_by_default(people: Any, jobs: Any) -> None:
    with jobs():
        notification_send(recipients=[people["member"]], kind="status_report", text="Published")
    assert mail.outbox == [] and Notification.objects.count() == 1


def test_an_unknown_kind_is_a_programming_error(people: Any) -> None:
    with pytest.raises(ValueError, match="unknown notification kind"):
        notification_send(recipients=[people["member"]], kind="gossip", text="x")


def test_the_daily_digest_batches_mail_once_a_day(people: Any, jobs: Any, settings: Any) -> None:
    settings.ITPM_DIGEST_HOUR = 7
    member = people["member"]
    notification_settings_update(actor=member, version=None, daily_digest=True)
    with jobs():
        notification_send(recipients=[member], kind="mention", text="First", url="/a/")
        notification_send(recipients=[member], kind="approval", text="Second")
    assert mail.outbox == []  # nothing at once
    assert set(Notification.objects.values_list("email_mode", flat=True)) == {EmailMode.DIGEST}
    early = dt.datetime(2027, 3, 1, 6, 30, tzinfo=dt.UTC)
    assert notification_digest_send(now=early) == 0  # before the digest hour
    morning = dt.datetime(2027, 3, 1, 7, 5, tzinfo=dt.UTC)
    assert notification_digest_send(now=morning) == 1
    assert len(mail.outbox) == 1
    digest = mail.outbox[0]
    assert "2 notifications" in digest.subject
    assert "- First" in digest.body and "- Second" in digest.body and "/a/" in digest.body
    # Run again the same day, even with something new: nothing more until tomorrow.
    notification_send(recipients=[member], kind="mention", text="Third")
    assert notification_digest_send(now=morning + dt.timedelta(hours=3)) == 0
    assert len(mail.outbox) == 1
    assert notification_digest_send(now=morning + dt.timedelta(days=1)) == 1
    assert "- Third" in mail.outbox[1].body and "First" not in mail.outbox[1].body
    assert settings_for(member).digest_sent_on == dt.date(2027, 3, 2)


def test_the_digest_hour_is_in_the_persons_time_zone(people: Any, settings: Any) -> None:
    settings.ITPM_DIGEST_HOUR = 7
    member = people["member"]
    member.time_zone = "America/New_York"  # UTC-5 in March before DST
    member.save()
    notification_settings_update(actor=member, version=None, daily_digest=True)
    notification_send(recipients=[member], kind="mention", text="Hello")
    assert notification_digest_send(now=dt.datetime(2027, 3, 1, 8, tzinfo=dt.UTC)) == 0
    assert notification_digest_send(now=dt.datetime(2027, 3, 1, 12, tzinfo=dt.UTC)) == 1


def test_the_old_notify_shim_goes_through_the_new_service(people: Any, jobs: Any) -> None:
    with jobs():
        count = notify(users=[people["viewer"]], text="Triage answer", url="/requests/1/")
    assert count == 1
    notice = people["viewer"].inbox.get()
    assert notice.kind == "request" and notice.url == "/requests/1/"
    assert len(mail.outbox) == 1


def test_inactive_people_and_people_without_address_get_no_mail(people: Any, jobs: Any) -> None:
    people["viewer"].is_active = False
    people["viewer"].save()
    people["member"].email = ""
    people["member"].save()
    with jobs():
        notification_send(recipients=[people["viewer"], people["member"]], kind="mention", text="x")
    assert list(Notification.objects.values_list("recipient__username", flat=True)) == ["mia"]
    assert mail.outbox == []


class _FlakyBackend(locmem.EmailBackend):
    """Refuses every mail while ``down`` is set, like an SMTP server that is away."""

    down = True

    def send_messages(self, messages: Any) -> int:
        if _FlakyBackend.down:
            raise ConnectionRefusedError("smtp down")
        return int(super().send_messages(messages))


def test_mail_that_failed_is_sent_by_the_retry_job_once(people: Any, settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}._FlakyBackend"
    _FlakyBackend.down = True
    notices = notification_send(recipients=[people["member"], people["viewer"]],
                                kind="approval", text="Approve")  # fmt: skip
    assert notification_emails_send(ids=[n.pk for n in notices]) == 0  # no exception escapes
    assert Notification.objects.filter(emailed_at__isnull=True).count() == 2
    later = timezone.now() + dt.timedelta(minutes=10)
    _FlakyBackend.down = False
    assert notification_emails_retry(now=timezone.now()) == 0  # too recent: its job may run
    assert notification_emails_retry(now=later) == 2
    assert notification_emails_retry(now=later) == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["mia@example.com", "vic@example.com"]
