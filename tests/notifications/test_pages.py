"""Pages: the bell in the top bar, the notifications page, the preferences page."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client

from itpm.notifications.models import Notification, NotificationSettings
from itpm.notifications.services import notification_send


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_bell_counts_unread_notifications(people: Any, project: Any) -> None:
    client = _client(people["member"])
    assert 'class="bell-count"' not in client.get("/projects/").content.decode()
    for text in ("a", "b", "c"):
        notification_send(recipients=[people["member"]], kind="mention", text=text)
    page = client.get("/projects/").content.decode()
    assert 'aria-label="Notifications: 3 unread"' in page
    assert '<span class="bell-count">3</span>' in page


def test_the_notifications_page_marks_read_one_and_all(people: Any, project: Any) -> None:
    client = _client(people["member"])
    one, _two = (notification_send(recipients=[people["member"]], kind="approval", text=t,
                                   url="/projects/APL/")[0] for t in ("First", "Second"))  # fmt: skip
    page = client.get("/notifications/").content.decode()
    assert "First" in page and "Second" in page and "Unread (2)" in page
    # htmx: the row comes back marked read.
    row = client.post(f"/notifications/{one.pk}/read/", headers={"HX-Request": "true"})
    assert row.status_code == 200 and 'class="notice kind-approval"' in row.content.decode()
    # Following a notice marks it read and goes to its page.
    followed = client.post(f"/notifications/{_two.pk}/read/", {"go": "1"})
    assert followed.status_code == 302 and followed["Location"] == "/projects/APL/"
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    notification_send(recipients=[people["member"]], kind="approval", text="Third")
    assert "Third" in client.get("/notifications/?show=unread").content.decode()
    done = client.post("/notifications/read-all/")
    assert done.status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 0
    # Someone else's notice: 404.
    theirs = notification_send(recipients=[people["viewer"]], kind="approval", text="x")[0]
    assert client.post(f"/notifications/{theirs.pk}/read/").status_code == 404


def test_the_preferences_page_saves_choices(people: Any) -> None:
    client = _client(people["member"])
    page = client.get("/notifications/settings/").content.decode()
    assert "@mentions" in page and "daily digest" in page
    version = re.search(r'name="version" value="(\d+)"', page).group(1)  # type: ignore[union-attr]
    assert not NotificationSettings.objects.exists()  # reading the page wrote nothing
    form = {"version": str(version), "mention__in_app": "on", "approval__in_app": "on",
            "approval__email": "on", "daily_digest": "on"}  # fmt: skip
    assert client.post("/notifications/settings/", form).status_code == 302
    prefs = NotificationSettings.objects.get(user=people["member"])
    assert prefs.daily_digest and not prefs.wants("mention", "email")
    assert prefs.wants("approval", "email") and not prefs.wants("ticket", "in_app")
    # A stale form is refused with a message, nothing changed.
    stale = client.post("/notifications/settings/", {**form, "daily_digest": ""}, follow=True)
    assert "changed by someone else" in stale.content.decode()
    assert NotificationSettings.objects.get(user=people["member"]).daily_digest


def test_revoke_and_make_a_new_feed_url(people: Any, tasks: Any) -> None:
    client = _client(people["member"])
    first = client.post("/notifications/settings/calendar/").content.decode()
    assert "Your new feed addresses" in first
    url = first.split("My tasks and milestones: <code>")[1].split("</code>")[0]
    path = url.removeprefix("http://127.0.0.1:8000")
    assert Client().get(path).status_code == 200
    second = client.post("/notifications/settings/calendar/").content.decode()
    assert "Revoke and make a new URL" in second
    assert Client().get(path).status_code == 404
    assert "not shown again" in client.get("/notifications/settings/").content.decode()


def test_pages_need_a_login(db: Any) -> None:
    for url in ("/notifications/", "/notifications/settings/"):
        answer = Client().get(url)
        assert answer.status_code == 302 and "/login/" in answer["Location"]
