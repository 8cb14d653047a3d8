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


def _message_id(message: Any) -> str:
    """The Message-ID header as it goes on the wire."""
    return str(message.message()["Message-ID"])


class _AcceptThenDieBackend(locmem.EmailBackend):
    """The mail server accepts the message, then the worker is killed before it commits."""

    die = True

    def send_messages(self, messages: Any) -> int:
        count = int(super().send_messages(messages))
        if _AcceptThenDieBackend.die:
            raise SystemExit("worker killed")
        return count


def test_a_rerun_after_a_crash_between_send_and_commit_sends_the_same_message_id(
    people: Any, settings: Any, caplog: Any, monkeypatch: Any
) -> None:
    from itpm.notifications import services

    settings.EMAIL_BACKEND = f"{__name__}._AcceptThenDieBackend"
    _AcceptThenDieBackend.die = True
    notices = notification_send(recipients=[people["member"]], kind="approval", text="Approve")
    ids = [n.pk for n in notices]
    with pytest.raises(SystemExit):
        notification_emails_send(ids=ids)
    assert len(mail.outbox) == 1
    notice = Notification.objects.get(pk=ids[0])
    assert notice.emailed_at is None and notice.email_claimed_at is not None
    # Another worker within the lease leaves the claimed notice alone.
    _AcceptThenDieBackend.die = False
    assert notification_emails_send(ids=ids) == 0
    assert notification_emails_retry(now=timezone.now() + dt.timedelta(minutes=6)) == 0
    # After the lease the rerun sends again, with the same Message-ID, and says so.
    later = timezone.now() + services.EMAIL_CLAIM_LEASE + dt.timedelta(seconds=1)
    monkeypatch.setattr(services, "_now", lambda: later)
    with caplog.at_level("WARNING", logger="itpm.notifications.services"):
        assert notification_emails_send(ids=ids) == 1
    assert "may have been sent already" in caplog.text
    first, rerun = mail.outbox
    assert _message_id(first) == _message_id(rerun) == services.notification_message_id(notice)
    assert _message_id(first).startswith(f"<itpm.notification.{notice.pk}.")
    assert _message_id(first).endswith("@127.0.0.1>")
    assert first.body == rerun.body
    assert notification_emails_send(ids=ids) == 0  # marked now: never a third time
    assert len(mail.outbox) == 2


def test_a_normal_send_logs_no_warning_and_each_notice_has_its_own_message_id(
    people: Any, settings: Any, caplog: Any
) -> None:
    settings.TASKS = IMMEDIATE
    notices = notification_send(recipients=[people["member"], people["viewer"]],
                                kind="mention", text="Hi")  # fmt: skip
    more = notification_send(recipients=[people["member"]], kind="mention", text="Hi again")
    with caplog.at_level("WARNING", logger="itpm.notifications.services"):
        assert notification_emails_send(ids=[n.pk for n in [*notices, *more]]) == 3
    assert "may have been sent already" not in caplog.text
    ids = [_message_id(m) for m in mail.outbox]
    assert len(set(ids)) == 3 and all(i.startswith("<itpm.notification.") for i in ids)


def test_a_rerun_of_the_digest_after_a_crash_is_the_same_mail_with_the_same_message_id(
    people: Any, settings: Any
) -> None:
    settings.ITPM_DIGEST_HOUR = 7
    settings.EMAIL_BACKEND = f"{__name__}._AcceptThenDieBackend"
    member = people["member"]
    notification_settings_update(actor=member, version=None, daily_digest=True)
    notification_send(recipients=[member], kind="mention", text="First")
    morning = dt.datetime(2027, 3, 1, 7, 5, tzinfo=dt.UTC)
    _AcceptThenDieBackend.die = True
    with pytest.raises(SystemExit):
        notification_digest_send(now=morning)
    # Written after the day's digest hour: it waits for tomorrow's digest, so the rerun of
    # today's is the same mail as the one that may have gone out.
    late = notification_send(recipients=[member], kind="mention", text="Late")[0]
    Notification.objects.filter(pk=late.pk).update(created=morning - dt.timedelta(minutes=1))
    _AcceptThenDieBackend.die = False
    assert notification_digest_send(now=morning + dt.timedelta(minutes=50)) == 1
    first, rerun = mail.outbox
    assert _message_id(first) == _message_id(rerun)
    assert _message_id(first).startswith(f"<itpm.digest.{member.pk}.2027-03-01.")
    assert first.body == rerun.body and "Late" not in rerun.body
    assert notification_digest_send(now=morning + dt.timedelta(days=1)) == 1
    tomorrow = mail.outbox[2]
    assert "- Late" in tomorrow.body and _message_id(tomorrow) != _message_id(first)
