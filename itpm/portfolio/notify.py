"""In-app notifications and e-mail for the lifecycle (gate approvals, triage answers).

One function, ``notify``, so that the notifications issue can re-point every caller at once.
The in-app row is written in the caller's transaction; the e-mail goes out from a background
job queued when that transaction commits (nothing is mailed for a change that rolled back).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django_tasks import task

from itpm.accounts.models import User
from itpm.portfolio.models import Notification


@task()
def send_notification_email(recipients: list[str], subject: str, body: str) -> int:
    """Background job: one plain-text mail to every recipient (addresses, not user ids)."""
    return send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)


def notify(*, users: Iterable[User], text: str, url: str = "", email: bool = True) -> int:
    """Notify each distinct active user in-app and (if they have an address) by e-mail."""
    people = {user.pk: user for user in users if user is not None and user.is_active}
    if not people:
        return 0
    Notification.objects.bulk_create(
        Notification(recipient=user, text=text[:300], url=url[:300]) for user in people.values()
    )
    addresses = sorted(user.email for user in people.values() if user.email)
    if email and addresses:
        body = f"{text}\n\n{url}\n" if url else f"{text}\n"
        transaction.on_commit(
            lambda: send_notification_email.enqueue(addresses, f"[itpm] {text[:120]}", body)
        )
    return len(people)
