"""Portal isolation: an outside requester tries every ticket id, every API list and search,
and the main pages. Nothing leaks; what is not theirs is a 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from itpm.accounts.permissions import visible_projects
from itpm.api import api as ninja_api
from itpm.helpdesk.selectors import visible_tickets
from itpm.helpdesk.services import ticket_attachment_add, ticket_comment_add, ticket_create
from tests.conftest import api_client
from tests.test_permission_matrix import url_conf_templates


@pytest.fixture
def tickets(desk: dict[str, Any], project: Any, people: dict[str, Any]) -> dict[str, Any]:
    own = ticket_create(actor=desk["requester"], queue=desk["queue"], title="My VPN is down")
    ticket_comment_add(actor=desk["agent"], ticket=own, body="Restart the client, please")
    ticket_comment_add(actor=desk["agent"], ticket=own, body="SECRET-NOTE vendor contract",
                       public=False)  # fmt: skip
    internal_file = ticket_attachment_add(
        actor=desk["agent"], ticket=own, public=False,
        upload=SimpleUploadedFile("secret.txt", b"internal"),
    )  # fmt: skip
    public_file = ticket_attachment_add(
        actor=desk["requester"],
        ticket=own,
        upload=SimpleUploadedFile("shot.png", b"\x89PNG\r\n\x1a\n"),
    )
    other = ticket_create(actor=desk["stranger"], queue=desk["queue"], title="STRANGER-TICKET")
    staff = ticket_create(actor=people["member"], queue=desk["netq"], title="STAFF-TICKET",
                          project=project)  # fmt: skip
    return {"own": own, "other": other, "staff": staff, "internal_file": internal_file,
            "public_file": public_file}  # fmt: skip


def _requester_page_client(desk: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(desk["requester"])
    return client


def test_the_requester_sees_only_their_own_ticket_by_id(
    desk: dict[str, Any], tickets: dict[str, Any]
) -> None:
    api = api_client(desk["requester"])
    pages = _requester_page_client(desk)
    highest = max(t.pk for t in (tickets["own"], tickets["other"], tickets["staff"])) + 3
    for ticket_id in range(1, highest):
        mine = ticket_id == tickets["own"].pk
        expected = 200 if mine else 404
        assert api.get(f"/api/v1/portal/tickets/{ticket_id}").status_code == expected
        assert api.get(f"/api/v1/portal/tickets/{ticket_id}/comments").status_code == expected
        assert api.get(f"/api/v1/portal/tickets/{ticket_id}/attachments").status_code == expected
        upload = api.post(f"/api/v1/portal/tickets/{ticket_id}/attachments",
                          {"file": SimpleUploadedFile("log.txt", b"boot log")})  # fmt: skip
        assert upload.status_code == (201 if mine else 404)
        assert pages.get(f"/portal/tickets/{ticket_id}/").status_code == expected
        reply = pages.post(f"/portal/tickets/{ticket_id}/reply/", {"body": "hi"})
        assert reply.status_code == (302 if mine else 404)
        # The agents' API and pages are walled off, even for their own ticket.
        assert api.get(f"/api/v1/tickets/{ticket_id}").status_code == 404
        assert pages.get(f"/helpdesk/tickets/{ticket_id}/").status_code == 404


def test_internal_notes_and_files_never_reach_the_requester(
    desk: dict[str, Any], tickets: dict[str, Any]
) -> None:
    api = api_client(desk["requester"])
    own = tickets["own"]
    body = api.get(f"/api/v1/portal/tickets/{own.pk}/comments").content.decode()
    assert "Restart the client" in body and "SECRET-NOTE" not in body
    pages = _requester_page_client(desk)
    page = pages.get(f"/portal/tickets/{own.pk}/").content.decode()
    assert "Restart the client" in page and "SECRET-NOTE" not in page
    assert "secret.txt" not in page and "shot.png" in page
    assert pages.get(f"/portal/attachments/{tickets['internal_file'].pk}/").status_code == 404
    download = pages.get(f"/portal/attachments/{tickets['public_file'].pk}/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert pages.get(f"/helpdesk/attachments/{tickets['public_file'].pk}/").status_code == 404
    files = api.get(f"/api/v1/portal/tickets/{own.pk}/attachments").json()
    assert [f["name"] for f in files] == ["shot.png"]
    assert files[0]["download_url"] == f"/portal/attachments/{tickets['public_file'].pk}/"
    assert "uploaded_by" not in files[0] and "public" not in files[0]


@pytest.mark.parametrize("search", ["", "STRANGER", "STAFF", "ticket", "SDESK", "NETOPS", "1"])
def test_lists_and_searches_show_only_their_own(
    desk: dict[str, Any], tickets: dict[str, Any], search: str
) -> None:
    api = api_client(desk["requester"])
    listing = api.get("/api/v1/portal/tickets", {"search": search}).json()
    assert {item["id"] for item in listing["items"]} <= {tickets["own"].pk}
    page = _requester_page_client(desk).get("/portal/", {"q": search}).content.decode()
    assert "STRANGER-TICKET" not in page and "STAFF-TICKET" not in page


def test_every_main_api_list_is_closed_to_the_requester(desk: dict[str, Any]) -> None:
    api = api_client(desk["requester"])
    paths = ninja_api.get_openapi_schema(path_prefix="/api/v1/")["paths"]
    checked = 0
    for path, operations in paths.items():
        if "get" not in operations or "{" in path:
            continue
        response = api.get(path)
        if path.startswith(("/api/v1/portal/", "/api/v1/auth/")):
            assert response.status_code == 200, path
            continue
        checked += 1
        assert response.status_code == 404, f"{path}: {response.status_code}"
        assert b"STAFF-TICKET" not in response.content
    assert checked >= 10  # users, teams, projects, queues, tickets, assets, services, ...


def test_every_main_page_is_closed_to_the_requester(
    desk: dict[str, Any], tickets: dict[str, Any], project: Any
) -> None:
    pages = _requester_page_client(desk)
    values = {"key": project.key, "ticket_id": str(tickets["staff"].pk)}
    for template in sorted(url_conf_templates()):
        if template.startswith(("/portal/", "/api/", "/login/", "/logout/")):
            continue
        url = re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), "1"), template)
        response = pages.get(url)
        if template in ("/", "/projects/"):
            assert response.status_code == 302 and response["Location"] == "/portal/", template
        else:
            assert response.status_code == 404, f"{url}: {response.status_code}"
            assert b"STAFF-TICKET" not in response.content


def test_no_project_or_person_is_visible_to_the_requester(
    desk: dict[str, Any], tickets: dict[str, Any]
) -> None:
    requester = desk["requester"]
    assert not visible_projects(requester).exists()
    assert list(visible_tickets(requester)) == [tickets["own"]]


def test_the_requester_submits_and_follows_a_request_in_the_portal(desk: dict[str, Any]) -> None:
    pages = _requester_page_client(desk)
    response = pages.post("/portal/new/", {
        "queue": "SDESK", "category": "Hardware", "title": "Keyboard for new starter",
        "description": "UK layout", "ticket_type": "service_request", "urgency": "low",
    })  # fmt: skip
    assert response.status_code == 302
    ticket_id = int(response["Location"].rstrip("/").rsplit("/", 1)[1])
    page = pages.get(f"/portal/tickets/{ticket_id}/").content.decode()
    assert "Keyboard for new starter" in page
    listing = pages.get("/portal/").content.decode()
    assert "Keyboard for new starter" in listing


def test_an_upload_of_a_forbidden_type_or_name_is_refused(
    desk: dict[str, Any], tickets: dict[str, Any], settings: Any
) -> None:
    api = api_client(desk["agent"])
    url = f"/api/v1/tickets/{tickets['own'].pk}/attachments"
    bad = api.post(url, {"file": SimpleUploadedFile("run.exe", b"MZ")})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "file"
    settings.ITPM_MAX_UPLOAD_MB = 0
    big = api.post(url, {"file": SimpleUploadedFile("a.txt", b"x" * 10)})
    assert big.status_code == 413 and "MB" in big.json()["detail"]
    settings.ITPM_MAX_UPLOAD_MB = 10
    sneaky = api.post(url, {"file": SimpleUploadedFile("../../etc/passwd.txt", b"x")})
    assert sneaky.status_code == 201
    assert sneaky.json()["name"] == "passwd.txt"
    from itpm.helpdesk.models import TicketAttachment

    stored = TicketAttachment.objects.get(pk=sneaky.json()["id"]).file.name
    assert ".." not in stored and stored.startswith(f"helpdesk/{tickets['own'].pk}/")


def test_a_portal_topic_routes_the_request_to_the_queue_that_handles_it(
    desk: dict[str, Any],
) -> None:
    pages = _requester_page_client(desk)
    form = pages.get("/portal/new/", {"category": "Hardware"}).content.decode()
    assert 'value="SDESK" selected' in form
    response = pages.post("/portal/new/", {
        "queue": "NETOPS", "category": "Hardware", "title": "Docking station",
        "ticket_type": "service_request", "urgency": "low",
    })  # fmt: skip
    assert response.status_code == 302
    from itpm.helpdesk.models import Ticket

    assert Ticket.objects.get(title="Docking station").queue == desk["queue"]


def test_a_file_sent_through_the_portal_api_reaches_the_agents(
    desk: dict[str, Any], tickets: dict[str, Any]
) -> None:
    own = tickets["own"]
    api = api_client(desk["requester"])
    sent = api.post(f"/api/v1/portal/tickets/{own.pk}/attachments",
                    {"file": SimpleUploadedFile("error.png", b"\x89PNG\r\n\x1a\n")})  # fmt: skip
    assert sent.status_code == 201, sent.content
    assert sent.json()["name"] == "error.png" and sent.json()["content_type"] == "image/png"
    agents = api_client(desk["agent"]).get(f"/api/v1/tickets/{own.pk}/attachments").json()
    by_name = {f["name"]: f for f in agents}
    assert by_name["error.png"]["public"] is True
    assert by_name["error.png"]["uploaded_by"] == "rita"
    # The same checks as every upload: a forbidden type is refused, naming the field.
    bad = api.post(f"/api/v1/portal/tickets/{own.pk}/attachments",
                   {"file": SimpleUploadedFile("run.exe", b"MZ")})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "file"


def test_a_page_that_is_not_theirs_stays_inside_the_portal(
    desk: dict[str, Any], tickets: dict[str, Any]
) -> None:
    """The main app's 404 carries its navigation; a requester gets the portal's own page."""
    pages = _requester_page_client(desk)
    for url in (
        f"/portal/tickets/{tickets['other'].pk}/",
        f"/portal/tickets/{tickets['staff'].pk}/",
        f"/portal/attachments/{tickets['internal_file'].pk}/",
        f"/helpdesk/tickets/{tickets['own'].pk}/",
        "/resources/",
    ):
        response = pages.get(url)
        assert response.status_code == 404, url
        page = response.content.decode()
        assert "IT service portal" in page, url
        assert 'href="/projects/"' not in page and "Resources" not in page, url
        assert "STRANGER-TICKET" not in page and "STAFF-TICKET" not in page, url
    reply = pages.post(f"/portal/tickets/{tickets['other'].pk}/reply/", {"body": "hi"})
    assert reply.status_code == 404 and "IT service portal" in reply.content.decode()


def test_the_portal_api_takes_urgency_but_leaves_impact_and_type_to_the_desk(
    desk: dict[str, Any],
) -> None:
    """As on the portal page: an outside requester cannot grade their own request P1."""
    api = api_client(desk["requester"])
    body = {"queue": "SDESK", "title": "Printer offline", "urgency": "high"}
    raised = api.post("/api/v1/portal/tickets", {**body, "ticket_type": "incident"},
                      "application/json")  # fmt: skip
    assert raised.status_code == 201 and raised.json()["priority"] == "P3"  # low x high
    graded = api.post("/api/v1/portal/tickets", {**body, "impact": "high"}, "application/json")
    assert graded.status_code == 422 and graded.json()["errors"][0]["field"] == "impact"
    change = api.post("/api/v1/portal/tickets", {**body, "ticket_type": "change"},
                      "application/json")  # fmt: skip
    assert change.status_code == 422 and change.json()["errors"][0]["field"] == "ticket_type"


def test_mail_to_the_requester_points_to_the_portal_not_the_main_app(
    desk: dict[str, Any], settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.core import mail

    from itpm.notifications.services import notification_send

    # Every main page is a 404 for an outside requester, the preferences page too: their
    # mail's last line names the portal; an agent's names the preferences page.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        notification_send(recipients=[desk["requester"], desk["agent"]], kind="ticket",
                          text="T-1 has a reply", url="/portal/tickets/1/")  # fmt: skip
    by_address = {m.to[0]: m.body for m in mail.outbox}
    assert "/portal/\n" in by_address["rita@example.com"]
    assert "/notifications/settings/" not in by_address["rita@example.com"]
    assert "/notifications/settings/" in by_address["agnes@example.com"]
