"""The webhooks API and pages: who may do what, validation, secrets shown once."""

from __future__ import annotations

import json
from typing import Any

import pytest

from itpm.webhooks.models import Delivery, DeliveryAttempt, Subscription

PUBLIC_URL = "https://93.184.216.34/itpm"
BODY = {"url": PUBLIC_URL, "event_types": ["task.created", "risk.*"], "description": "Chat"}


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json")


def _patch(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.patch(url, json.dumps(body), content_type="application/json")


@pytest.mark.parametrize(
    ("actor", "status"),
    [("manager", 201), ("owner", 201), ("admin", 201), ("member", 403), ("viewer", 403),
     ("outsider", 404)],
)  # fmt: skip
def test_who_may_create_a_project_webhook(api: Any, project: Any, actor: str, status: int) -> None:
    response = _post(api(actor), "/api/v1/projects/APL/webhooks", BODY)
    assert response.status_code == status, response.content
    assert Subscription.objects.count() == (1 if status == 201 else 0)
    if status == 201:
        assert response.json()["secret"].startswith("whsec_")
        assert response.json()["project"] == "APL"


@pytest.mark.parametrize(("actor", "status"), [("admin", 201), ("owner", 403), ("manager", 403)])
def test_only_site_admins_make_site_wide_webhooks(
    api: Any, project: Any, actor: str, status: int
) -> None:
    response = _post(api(actor), "/api/v1/webhooks", {**BODY, "event_types": ["*"]})
    assert response.status_code == status, response.content
    assert api(None).get("/api/v1/webhooks").status_code == 401


def test_the_secret_is_shown_only_on_create_and_rotate(api: Any, project: Any) -> None:
    created = _post(api("manager"), "/api/v1/projects/APL/webhooks", BODY).json()
    ident = created["id"]
    fetched = api("manager").get(f"/api/v1/webhooks/{ident}")
    assert fetched.status_code == 200 and "secret" not in fetched.json()
    assert fetched["ETag"] == '"1"'
    listed = api("manager").get("/api/v1/projects/APL/webhooks").json()
    assert listed["count"] == 1 and "secret" not in listed["items"][0]
    rotated = _post(api("manager"), f"/api/v1/webhooks/{ident}/rotate-secret", {"version": 1})
    assert rotated.status_code == 200
    assert rotated.json()["secret"] not in (created["secret"], None)
    assert rotated.json()["version"] == 2
    assert rotated.json()["previous_secret_until"] is not None  # the old one signs a day more
    stale = _post(api("manager"), f"/api/v1/webhooks/{ident}/rotate-secret", {"version": 1})
    assert stale.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**BODY, "url": "http://169.254.169.254/latest"}, "url"),
        ({**BODY, "url": "http://2130706433/"}, "url"),
        ({**BODY, "url": "ftp://93.184.216.34/"}, "url"),
        ({**BODY, "event_types": ["task.exploded"]}, "event_types"),
        ({**BODY, "event_types": ["user.*"]}, "event_types"),  # accounts are never sent
        ({**BODY, "event_types": []}, "event_types"),
        ({**BODY, "secret": "whsec_mine"}, "secret"),  # read-only: refused, not ignored
        ({**BODY, "consecutive_failures": 0}, "consecutive_failures"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    api: Any, project: Any, body: dict[str, Any], field: str
) -> None:
    response = _post(api("manager"), "/api/v1/projects/APL/webhooks", body)
    assert response.status_code == 422, response.content
    assert field in [e["field"] for e in response.json()["errors"]]
    assert not Subscription.objects.exists()


def test_an_update_to_a_private_url_is_refused(api: Any, project: Any) -> None:
    ident = _post(api("manager"), "/api/v1/projects/APL/webhooks", BODY).json()["id"]
    response = _patch(
        api("manager"), f"/api/v1/webhooks/{ident}", {"version": 1, "url": "http://[::1]/"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "url"
    assert Subscription.objects.get(pk=ident).url == PUBLIC_URL
    ok = _patch(api("manager"), f"/api/v1/webhooks/{ident}", {"version": 1, "active": False})
    assert ok.status_code == 200 and ok.json()["active"] is False
    assert ok.json()["disabled_reason"] == "disabled by hand"


def test_members_and_outsiders_cannot_see_a_projects_webhooks_or_deliveries(
    api: Any, project: Any
) -> None:
    ident = _post(api("manager"), "/api/v1/projects/APL/webhooks", BODY).json()["id"]
    subscription = Subscription.objects.get(pk=ident)
    delivery = Delivery.objects.create(
        subscription=subscription, message_id="msg_1", event_type="task.created", payload="{}"
    )
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, url=PUBLIC_URL, started_at=subscription.created_at,
        request_headers={"webhook-id": "msg_1"}, response_status=500, response_body="boom",
    )  # fmt: skip
    for actor, status in (("viewer", 403), ("member", 403), ("outsider", 404)):
        client = api(actor)
        assert client.get(f"/api/v1/webhooks/{ident}").status_code == status
        assert client.get(f"/api/v1/webhooks/{ident}/deliveries").status_code == status
        assert client.get(f"/api/v1/webhook-deliveries/{delivery.pk}").status_code == status
        assert client.post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver").status_code in (
            status,
        )
    detail = api("manager").get(f"/api/v1/webhook-deliveries/{delivery.pk}").json()
    assert detail["attempt_log"][0]["response_body"] == "boom"
    assert detail["attempt_log"][0]["request_headers"] == {"webhook-id": "msg_1"}
    log = api("manager").get(f"/api/v1/webhooks/{ident}/deliveries?status=pending").json()
    assert [d["id"] for d in log["items"]] == [delivery.pk]
    bad = api("manager").get(f"/api/v1/webhooks/{ident}/deliveries?status=nope")
    assert bad.status_code == 422
    redelivered = api("manager").post(f"/api/v1/webhook-deliveries/{delivery.pk}/redeliver")
    assert redelivered.status_code == 202
    assert redelivered.json()["message_id"] == "msg_1"
    assert redelivered.json()["redelivery_of"] == delivery.pk


def test_a_site_wide_webhook_does_not_exist_for_non_admins(api: Any, project: Any) -> None:
    ident = _post(api("admin"), "/api/v1/webhooks", {**BODY, "event_types": ["*"]}).json()["id"]
    assert api("owner").get(f"/api/v1/webhooks/{ident}").status_code == 404
    assert api("admin").get(f"/api/v1/webhooks/{ident}").json()["project"] is None
    assert api("admin").delete(f"/api/v1/webhooks/{ident}").status_code == 204


def test_the_event_type_catalogue(api: Any, project: Any) -> None:
    body = api("viewer").get("/api/v1/webhooks/event-types").json()
    for wanted in ("task.created", "task.updated", "task.deleted", "dependency.created",
                   "project.stage_changed", "ticket.created", "ticket.updated", "risk.created",
                   "change_request.approved"):  # fmt: skip
        assert wanted in body["event_types"]
    assert "risk.*" in body["families"]
    assert not any(t.startswith(("user.", "token.", "webhook.")) for t in body["event_types"])


# ---------------------------------------------------------------------------- pages
def test_the_pages_create_show_the_secret_once_and_log_deliveries(
    client: Any, people: Any, project: Any
) -> None:
    client.force_login(people["manager"])
    assert client.get("/projects/APL/webhooks/").status_code == 200
    bad = client.post("/projects/APL/webhooks/", {"url": "http://127.1/", "event_types": "*"})
    assert bad.status_code == 422 and "non-standard form" in bad.content.decode()
    response = client.post(
        "/projects/APL/webhooks/", {"url": PUBLIC_URL, "event_types": "task.created, risk.*"}
    )
    subscription = Subscription.objects.get()
    assert response.status_code == 302
    assert subscription.event_types == ["task.created", "risk.*"]
    first = client.get(response["Location"]).content.decode()
    assert subscription.secret in first
    assert subscription.secret not in client.get(response["Location"]).content.decode()
    rotate = client.post(f"/webhooks/{subscription.pk}/rotate/", {"version": "1"})
    assert rotate.status_code == 302
    subscription.refresh_from_db()
    assert subscription.secret in client.get(rotate["Location"]).content.decode()
    client.post(f"/webhooks/{subscription.pk}/disable/", {"version": str(subscription.version)})
    subscription.refresh_from_db()
    assert not subscription.active
    delivery = Delivery.objects.create(
        subscription=subscription, message_id="msg_2", event_type="task.created",
        payload='{"type":"task.created"}',
    )  # fmt: skip
    DeliveryAttempt.objects.create(
        delivery=delivery, number=1, url=PUBLIC_URL, started_at=subscription.created_at,
        request_headers={"webhook-signature": "v1,abc"}, response_status=502,
        response_body="Bad gateway", duration_ms=12,
    )  # fmt: skip
    page = client.get(f"/webhooks/deliveries/{delivery.pk}/").content.decode()
    assert "v1,abc" in page and "Bad gateway" in page and "HTTP 502" in page
    # Redelivering to a disabled subscription is refused with the reason shown.
    again = client.post(f"/webhooks/deliveries/{delivery.pk}/redeliver/", follow=True)
    assert "enable it before redelivering" in again.content.decode()
    for actor in ("member", "viewer"):
        client.force_login(people[actor])
        assert client.get("/projects/APL/webhooks/").status_code == 403
        assert client.get(f"/webhooks/{subscription.pk}/").status_code == 403
    client.force_login(people["outsider"])
    assert client.get(f"/webhooks/deliveries/{delivery.pk}/").status_code == 404
    assert client.get("/webhooks/").status_code == 403
