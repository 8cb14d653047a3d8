"""Delivering: a change becomes a signed POST to a real local server; retries, backoff,
disabling after failures, idempotent re-runs, redirects, the delivery log."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import random
import socket
from typing import Any

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from itpm.core.services import audit
from itpm.planning.services import task_create
from itpm.webhooks import services
from itpm.webhooks.models import Delivery, DeliveryStatus, Subscription
from itpm.webhooks.tasks import deliver_job
from tests.webhooks.conftest import Receiver


def _subscribe(people: Any, project: Any, url: str, types: list[str] | None = None) -> Subscription:
    return services.subscription_create(
        actor=people["manager"], project=project, url=url, event_types=types or ["task.*"]
    )


def _change(people: Any, project: Any, capture: Any, name: str = "Hook me") -> Any:
    with capture(execute=True):
        return task_create(actor=people["owner"], project=project, name=name, duration_hours=8)


def _verify_from_the_spec(secret: str, headers: dict[str, str], body: str) -> bool:
    """Standard Webhooks verification written from the spec, not from itpm's code."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body}".encode()
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        version == "v1" and hmac.compare_digest(sig, expected)
        for version, _, sig in (s.partition(",") for s in headers["webhook-signature"].split())
    )


def test_a_task_change_is_delivered_signed_to_a_real_server(
    people: Any, project: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = _subscribe(people, project, receiver.url())
    task = _change(people, project, django_capture_on_commit_callbacks)

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["webhook-id"].startswith("msg_")
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    # Two independent verifiers: the standardwebhooks package and one written from the spec.
    payload = Webhook(subscription.secret).verify(request.body, request.headers)
    assert _verify_from_the_spec(subscription.secret, request.headers, request.body)
    assert payload["type"] == "task.created"
    assert payload["data"]["project"] == "APL"
    assert payload["data"]["object"] == {"type": "task", "id": str(task.pk), "repr": str(task)}
    assert payload["data"]["actor"] == "olivia"
    assert payload["timestamp"].endswith("Z")
    delivery = Delivery.objects.get(subscription=subscription)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert delivery.message_id == request.headers["webhook-id"]
    attempt = delivery.attempt_log.get()
    assert attempt.response_status == 200 and attempt.response_body == "ok"
    assert attempt.request_headers["webhook-signature"] == request.headers["webhook-signature"]
    assert attempt.duration_ms is not None and attempt.error == ""


def test_a_tampered_body_or_wrong_secret_fails_verification(
    people: Any, project: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = _subscribe(people, project, receiver.url())
    _change(people, project, django_capture_on_commit_callbacks)
    request = receiver.requests[0]
    assert not _verify_from_the_spec(subscription.secret, request.headers, request.body + " ")
    other = services.subscription_create(
        actor=people["manager"], project=project, url=receiver.url(), event_types=["risk.*"]
    )
    assert not _verify_from_the_spec(other.secret, request.headers, request.body)


def test_only_matching_event_types_and_scopes_are_delivered(
    people: Any,
    project: Any,
    foreign_project: Any,
    receiver: Receiver,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _subscribe(people, project, receiver.url("/tasks"), ["task.created"])
    _subscribe(people, project, receiver.url("/risks"), ["risk.*"])
    services.subscription_create(
        actor=people["admin"], project=None, url=receiver.url("/site"), event_types=["*"]
    )
    _change(people, project, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        task_create(actor=people["outsider"], project=foreign_project, name="Elsewhere")
    paths = sorted(r.path for r in receiver.requests)
    assert paths == ["/site", "/site", "/tasks"]


def test_without_active_subscriptions_the_audit_hook_costs_one_query_and_schedules_nothing(
    people: Any,
    project: Any,
    django_capture_on_commit_callbacks: Any,
    django_assert_num_queries: Any,
) -> None:
    Subscription.objects.create(project=project, url="https://93.184.216.34/", secret="x",
                                event_types=["*"], active=False)  # fmt: skip
    event = audit(actor=people["owner"], action="task.update", obj=project, project=project)
    # One EXISTS on the indexed "active" column, and nothing scheduled for the commit.
    with django_capture_on_commit_callbacks() as callbacks, django_assert_num_queries(1):
        services.audit_listener(event)
    assert callbacks == []


def test_a_rolled_back_change_sends_nothing(
    people: Any, project: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    from django.db import transaction

    _subscribe(people, project, receiver.url())
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        task_create(actor=people["owner"], project=project, name="Undone", duration_hours=8)
        raise RuntimeError("roll back")
    assert receiver.requests == []
    assert not Delivery.objects.exists()


def test_re_running_a_delivered_job_does_not_send_again(
    people: Any, project: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = _subscribe(people, project, receiver.url())
    _change(people, project, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(subscription=subscription)
    assert deliver_job.call(delivery.pk) == "skipped"
    assert services.delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.requests) == 1
    assert Delivery.objects.get(pk=delivery.pk).attempts == 1


def test_a_delivery_stuck_sending_after_a_crash_is_sent_again(
    people: Any, project: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = _subscribe(people, project, receiver.url())
    _change(people, project, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(subscription=subscription)
    # A worker claimed it a minute ago and is still sending: nobody else touches it.
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.SENDING, claimed_at=timezone.now() - dt.timedelta(minutes=1)
    )
    assert services.delivery_attempt(delivery_id=delivery.pk) == "skipped"
    # Its worker died long ago: the sweep queues it and it is sent again (at least once).
    Delivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - dt.timedelta(hours=1)
    )
    assert services.delivery_sweep() == 1
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    assert Delivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("failures", "seconds"),
    [(1, 5), (2, 300), (3, 1800), (4, 7200), (5, 18000), (6, 36000), (7, None), (0, None)],
)
def test_the_backoff_schedule(failures: int, seconds: int | None) -> None:
    rng = random.Random(failures)
    delay = services.retry_delay(failures, rng=rng)
    if seconds is None:
        assert delay is None
    else:
        assert delay is not None
        assert seconds * 0.9 <= delay.total_seconds() <= seconds * 1.1
        # Jitter: two draws differ.
        assert delay != services.retry_delay(failures, rng=random.Random(failures + 100))


def test_a_failing_receiver_is_retried_on_the_schedule_then_given_up(
    people: Any,
    project: Any,
    receiver: Receiver,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_MAX_FAILURES = 100
    receiver.answers["/down"] = (503, {"Retry-After": "60"}, b"x" * 10_000)
    subscription = _subscribe(people, project, receiver.url("/down"))
    _change(people, project, django_capture_on_commit_callbacks)
    delivery = Delivery.objects.get(subscription=subscription)
    waits = []
    for _ in range(6):
        delivery.refresh_from_db()
        assert delivery.status == DeliveryStatus.PENDING
        waits.append((delivery.next_attempt_at - timezone.now()).total_seconds())
        # Not due yet: a job run early does nothing.
        assert services.delivery_attempt(delivery_id=delivery.pk) == "skipped"
        Delivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())
        services.delivery_attempt(delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 7
    assert len(receiver.requests) == 7
    for wait, base in zip(waits, services.RETRY_DELAYS, strict=True):
        assert base * 0.85 <= wait <= base * 1.1
    attempts = list(delivery.attempt_log.all())
    assert [a.number for a in attempts] == [1, 2, 3, 4, 5, 6, 7]
    assert all(a.response_status == 503 for a in attempts)
    assert len(attempts[0].response_body) == 4096  # the first 4 KB
    assert attempts[0].response_headers["retry-after"] == "60"
    assert delivery.last_error == "HTTP 503"


def test_a_subscription_is_disabled_after_n_failures_in_a_row_with_the_reason_shown(
    people: Any,
    project: Any,
    receiver: Receiver,
    settings: Any,
    client: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    settings.WEBHOOK_MAX_FAILURES = 3
    receiver.answers["/down"] = (500, {}, b"boom")
    subscription = _subscribe(people, project, receiver.url("/down"))
    # A success in between resets the count.
    for name in ("One", "Two"):
        _change(people, project, django_capture_on_commit_callbacks, name)
    assert Subscription.objects.get(pk=subscription.pk).consecutive_failures == 2
    Subscription.objects.filter(pk=subscription.pk).update(url=receiver.url("/up"))
    _change(people, project, django_capture_on_commit_callbacks, "Three")
    assert Subscription.objects.get(pk=subscription.pk).consecutive_failures == 0
    Subscription.objects.filter(pk=subscription.pk).update(url=receiver.url("/down"))
    for name in ("Four", "Five", "Six"):
        _change(people, project, django_capture_on_commit_callbacks, name)
    subscription.refresh_from_db()
    assert subscription.active is False
    assert "3 failed deliveries in a row" in subscription.disabled_reason
    assert "HTTP 500" in subscription.disabled_reason
    # Pending retries are cancelled; new changes are not delivered.
    assert not Delivery.objects.filter(subscription=subscription, status="pending").exists()
    sent = len(receiver.requests)
    _change(people, project, django_capture_on_commit_callbacks, "Seven")
    assert len(receiver.requests) == sent
    client.force_login(people["manager"])
    page = client.get(f"/webhooks/{subscription.pk}/").content.decode()
    assert "3 failed deliveries in a row" in page
    # Enabling clears the count and the reason.
    services.subscription_update(
        actor=people["manager"], subscription=subscription, version=None, data={"active": True}
    )
    subscription.refresh_from_db()
    assert subscription.active and subscription.consecutive_failures == 0
    assert subscription.disabled_reason == ""


def test_a_redirect_to_a_private_address_is_refused_and_never_connected(
    people: Any,
    project: Any,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """127.0.0.1 is allow-listed for the first hop only; where it redirects is checked again."""
    connected: list[Any] = []
    original = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> Any:
        connected.append(address)
        return original(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    targets = {
        "/to-metadata": "http://169.254.169.254/latest/meta-data/",
        "/to-loopback": f"http://127.0.0.2:{receiver.port}/hook",
        "/to-mapped": f"http://[::ffff:10.0.0.1]:{receiver.port}/hook",
        "/to-decimal": "http://2130706433/",
    }
    for path, location in targets.items():
        receiver.answers[path] = (307, {"Location": location}, b"")
        _subscribe(people, project, receiver.url(path))
    receiver.answers["/to-self"] = (308, {"Location": "/hook"}, b"")
    good = _subscribe(people, project, receiver.url("/to-self"))
    _change(people, project, django_capture_on_commit_callbacks)

    assert {address[0] for address in connected} == {"127.0.0.1"}
    for delivery in Delivery.objects.exclude(subscription=good):
        attempt = delivery.attempt_log.get()
        assert attempt.error.startswith("refused"), attempt.error
        assert delivery.status == DeliveryStatus.PENDING  # to be retried
    assert Delivery.objects.get(subscription=good).status == DeliveryStatus.SUCCEEDED
    assert sorted(r.path for r in receiver.requests).count("/hook") == 1


def test_redeliver_sends_the_same_message_again(
    people: Any, project: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = _subscribe(people, project, receiver.url())
    _change(people, project, django_capture_on_commit_callbacks)
    first = Delivery.objects.get(subscription=subscription)
    with django_capture_on_commit_callbacks(execute=True):
        again = services.delivery_redeliver(actor=people["manager"], delivery=first)
    again.refresh_from_db()
    assert again.status == DeliveryStatus.SUCCEEDED and again.redelivery_of_id == first.pk
    assert len(receiver.requests) == 2
    one, two = receiver.requests
    assert one.headers["webhook-id"] == two.headers["webhook-id"]
    assert one.body == two.body
    assert json.loads(two.body)["type"] == "task.created"
    Webhook(subscription.secret).verify(two.body, two.headers)


def test_after_a_rotation_both_secrets_sign_until_the_grace_period_ends(
    people: Any, project: Any, receiver: Receiver, django_capture_on_commit_callbacks: Any
) -> None:
    subscription = _subscribe(people, project, receiver.url())
    rotated = services.subscription_rotate_secret(
        actor=people["manager"], subscription=subscription, version=subscription.version
    )
    assert rotated.secret != subscription.secret and rotated.secret.startswith("whsec_")
    assert len(base64.b64decode(rotated.secret[6:])) == 32
    _change(people, project, django_capture_on_commit_callbacks)
    during = receiver.requests[0]
    assert len(during.headers["webhook-signature"].split()) == 2
    # A receiver with either secret accepts it: the switch-over loses nothing.
    Webhook(rotated.secret).verify(during.body, during.headers)
    Webhook(subscription.secret).verify(during.body, during.headers)
    assert _verify_from_the_spec(subscription.secret, during.headers, during.body)
    # After the grace period only the new secret signs.
    Subscription.objects.filter(pk=subscription.pk).update(
        previous_secret_until=timezone.now() - dt.timedelta(seconds=1)
    )
    _change(people, project, django_capture_on_commit_callbacks, "After")
    after = receiver.requests[1]
    assert len(after.headers["webhook-signature"].split()) == 1
    Webhook(rotated.secret).verify(after.body, after.headers)
    assert not _verify_from_the_spec(subscription.secret, after.headers, after.body)
