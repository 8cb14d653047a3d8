"""Login lockout, API write limits, session expiry and API token expiry."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from itpm.accounts.models import ApiToken, User
from itpm.accounts.services import token_create
from itpm.core import security
from itpm.core.models import AuditEvent
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_username_with_a_clear_message(
    people: dict[str, User], limits: Any, caplog: Any
) -> None:
    client = Client()
    with caplog.at_level(logging.INFO, logger="itpm.security"):
        for _ in range(4):
            page = _login(client, "olivia", "wrong-guess")
            assert "Please enter a correct username and password" in page.content.decode()
        fifth = _login(client, "olivia", "wrong-guess")
    assert "log-in is locked for 15 more minutes" in fifth.content.decode()
    # The right password does not help while the lockout lasts.
    locked = _login(client, "olivia", PASSWORD)
    assert locked.status_code == 200 and "_auth_user_id" not in client.session
    assert "Too many failed log-in attempts" in locked.content.decode()
    # Logged by username and address, never with the password.
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "'olivia'" in logged and "wrong-guess" not in logged
    # Another person can still log in.
    assert _login(Client(), "manny", PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_lockout_time(
    people: dict[str, User], limits: Any, monkeypatch: Any
) -> None:
    client = Client()
    for _ in range(5):
        _login(client, "olivia", "wrong-guess")
    assert security.login_lockout(username="olivia", request=None) is not None
    start = security._now()
    monkeypatch.setattr(security, "_now", lambda: start + 901)
    assert _login(client, "olivia", PASSWORD).status_code == 302


def test_one_address_guessing_many_usernames_is_locked(
    people: dict[str, User], limits: Any
) -> None:
    limits.ITPM_LOGIN_MAX_FAILURES_PER_IP = 6
    client = Client(REMOTE_ADDR="203.0.113.9")
    for name in ("a", "b", "c", "d", "e", "f"):
        _login(client, name, "guess")
    page = _login(client, "manny", PASSWORD)
    assert "Too many failed log-in attempts" in page.content.decode()
    # Someone at another address is not affected.
    assert _login(Client(REMOTE_ADDR="198.51.100.7"), "manny", PASSWORD).status_code == 302


def test_a_success_before_the_limit_clears_the_username_count(
    people: dict[str, User], limits: Any
) -> None:
    client = Client()
    for _ in range(4):
        _login(client, "olivia", "wrong")
    assert _login(client, "olivia", PASSWORD).status_code == 302
    for _ in range(4):
        _login(Client(), "olivia", "wrong")
    assert security.login_lockout(username="olivia", request=None) is None


def test_the_api_token_endpoint_obeys_the_lockout(people: dict[str, User], limits: Any) -> None:
    client = Client()
    for _ in range(5):
        wrong = client.post(
            "/api/v1/auth/token",
            {"username": "olivia", "password": "nope"},
            content_type="application/json",
        )
        assert wrong.status_code == 401
    locked = client.post(
        "/api/v1/auth/token",
        {"username": "olivia", "password": PASSWORD},
        content_type="application/json",
    )
    assert locked.status_code == 429
    assert 0 < int(locked["Retry-After"]) <= 900
    assert "locked" in locked.json()["detail"]


def test_api_writes_over_the_limit_get_429_with_retry_after(
    people: dict[str, User], project: Any, api: Any, limits: Any
) -> None:
    client = api("owner")
    statuses = [
        client.post(
            "/api/v1/projects/APL/tasks",
            {"name": f"Task {i}", "duration_hours": 8},
            content_type="application/json",
        ).status_code
        for i in range(12)
    ]
    assert statuses[:10] == [201] * 10
    assert statuses[10:] == [429, 429]
    refused = client.post(
        "/api/v1/projects/APL/tasks", {"name": "x"}, content_type="application/json"
    )
    assert refused.json()["detail"].startswith("too many writes")
    assert 1 <= int(refused["Retry-After"]) <= 60
    # Reads go on, and another user has a budget of their own.
    assert client.get("/api/v1/projects/APL/tasks").status_code == 200
    other = api("manager").post(
        "/api/v1/projects/APL/tasks", {"name": "Mine", "duration_hours": 8},
        content_type="application/json",
    )  # fmt: skip
    assert other.status_code == 201


def test_the_write_limit_counts_per_user_across_tokens(
    people: dict[str, User], project: Any, limits: Any
) -> None:
    limits.ITPM_API_WRITES_PER_MINUTE = 3
    clients = []
    for _ in range(2):
        _, key = token_create(user=people["owner"])
        clients.append(Client(headers={"Authorization": f"Bearer {key}"}))
    body = {"name": "T", "duration_hours": 8}
    codes = [
        clients[i % 2]
        .post("/api/v1/projects/APL/tasks", body, content_type="application/json")
        .status_code
        for i in range(5)
    ]
    assert codes == [201, 201, 201, 429, 429]


def test_an_idle_session_expires(people: dict[str, User], settings: Any, monkeypatch: Any) -> None:
    settings.ITPM_SESSION_IDLE_SECONDS = 600
    client = Client()
    client.force_login(people["owner"])
    assert client.get("/projects/").status_code == 200
    start = security._now()
    monkeypatch.setattr(security, "_now", lambda: start + 300)
    assert client.get("/projects/").status_code == 200  # active: still in
    monkeypatch.setattr(security, "_now", lambda: start + 300 + 601)
    gone = client.get("/projects/")
    assert gone.status_code == 302 and gone["Location"].startswith("/login/")


def test_an_active_session_still_ends_at_its_absolute_age(
    people: dict[str, User], settings: Any, monkeypatch: Any
) -> None:
    settings.ITPM_SESSION_IDLE_SECONDS = 600
    settings.SESSION_COOKIE_AGE = 3600
    client = Client()
    assert _login(client, "olivia", PASSWORD).status_code == 302
    start = security._now()
    for minutes in range(5, 60, 5):  # a click every five minutes
        monkeypatch.setattr(security, "_now", lambda m=minutes: start + m * 60)
        assert client.get("/projects/").status_code == 200
    monkeypatch.setattr(security, "_now", lambda: start + 3601)
    assert client.get("/projects/").status_code == 302


def test_api_tokens_are_stored_hashed_expire_and_can_be_revoked(
    people: dict[str, User], settings: Any
) -> None:
    settings.ITPM_API_TOKEN_DAYS = 30
    token, key = token_create(user=people["owner"])
    assert key not in {token.key_hash, token.key_prefix}
    assert token.key_hash == ApiToken.hash_key(key) and len(token.key_hash) == 64
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    assert client.get("/api/v1/auth/tokens").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(1))
    assert client.get("/api/v1/auth/tokens").status_code == 401
    # Revocation: the owner revokes a token through the API; it stops working at once.
    spare, spare_key = token_create(user=people["owner"])
    spare_client = Client(headers={"Authorization": f"Bearer {spare_key}"})
    assert spare_client.delete(f"/api/v1/auth/tokens/{spare.pk}").status_code == 204
    assert spare_client.get("/api/v1/auth/tokens").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoke", object_id=str(spare.pk)).exists()


def test_someone_elses_token_cannot_be_revoked(people: dict[str, User], api: Any) -> None:
    token, _ = token_create(user=people["owner"])
    assert api("manager").delete(f"/api/v1/auth/tokens/{token.pk}").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
