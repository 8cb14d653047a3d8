"""Notifications and task comments in a real browser: the bell's count, marking a notice
read with htmx, and a comment with an @mention posted on the task page with htmx."""

from __future__ import annotations

from typing import Any

import pytest

from itpm.collab.models import TaskComment
from itpm.notifications.models import Notification
from itpm.notifications.services import notification_send
from tests.web.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bell_and_marking_a_notice_read(page: Any, people: Any, project: Any) -> None:
    for text in ("Approve the gate", "Review CR-4"):
        notification_send(recipients=[people["member"]], kind="approval", text=text,
                          url="/projects/APL/", project=project)  # fmt: skip
    page.set_default_timeout(30_000)
    log_in(page, "mia")
    page.goto("/projects/")
    assert page.inner_text(".bell-count") == "2"
    page.click("a.bell")
    page.wait_for_selector("text=Review CR-4")
    page.click("li.notice.unread >> nth=0 >> button[title='Mark read']")
    page.wait_for_selector("li.notice:not(.unread)")
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    page.click("text=Mark all read")
    page.wait_for_selector("text=1 notification marked read.")
    assert page.query_selector(".bell-count") is None


def test_a_comment_with_a_mention_is_posted_with_htmx(page: Any, people: Any, tasks: Any) -> None:
    page.set_default_timeout(30_000)
    log_in(page, "mia")
    page.goto(f"/tasks/{tasks['design'].pk}/discussion/")
    page.fill("#new-comment", "Ready for review, **@vic**?")
    page.click("text=Add comment")
    page.wait_for_selector(".comment-body strong")
    assert TaskComment.objects.get().author == people["member"]
    assert Notification.objects.get(recipient=people["viewer"]).kind == "mention"
    # The page was not reloaded: htmx swapped the thread in place.
    assert page.url.endswith(f"/tasks/{tasks['design'].pk}/discussion/")
