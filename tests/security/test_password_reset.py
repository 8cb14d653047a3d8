"""Password reset goes only to the account's own verified address and tells nobody which
addresses have accounts; e-mail verification by a signed link."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from itpm.accounts.models import User
from itpm.accounts.services import email_verification_token
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def _verify(user: User) -> None:
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])


def _ask(email: str) -> Any:
    return Client().post("/login/reset/", {"email": email})


def test_the_link_goes_to_the_verified_address_and_resets_the_password(
    people: dict[str, User],
) -> None:
    _verify(people["owner"])
    answer = _ask("olivia@example.com")
    assert answer.status_code == 302 and answer["Location"] == "/login/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["olivia@example.com"]
    link = re.search(r"http://testserver(/login/reset/\S+/)", mail.outbox[0].body)
    assert link is not None
    client = Client()
    form = client.get(link.group(1), follow=True)
    assert "Choose a new password" in form.content.decode()
    new = "a-brand-new-passphrase-77"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    assert Client().login(username="olivia", password=new)
    # The link works once.
    assert "invalid" in Client().get(link.group(1), follow=True).content.decode()


def test_unknown_and_unverified_addresses_get_the_same_answer_and_no_mail(
    people: dict[str, User],
) -> None:
    _verify(people["owner"])
    known = _ask("olivia@example.com")
    unknown = _ask("nobody@example.com")
    unverified = _ask("manny@example.com")  # an account, but the address is not verified
    assert len(mail.outbox) == 1
    assert known.status_code == unknown.status_code == unverified.status_code == 302
    assert known["Location"] == unknown["Location"] == unverified["Location"]
    page = Client().get("/login/reset/sent/").content.decode()
    assert "If the address belongs to an account" in page


def test_changing_the_address_clears_its_verification(people: dict[str, User]) -> None:
    owner = people["owner"]
    _verify(owner)
    owner = User.objects.get(pk=owner.pk)
    owner.email = "attacker@example.net"
    owner.save()
    assert User.objects.get(pk=owner.pk).email_verified_at is None
    _ask("attacker@example.net")
    assert mail.outbox == []


def test_a_signed_link_verifies_the_address(people: dict[str, User]) -> None:
    client = Client()
    client.force_login(people["manager"])
    page = client.get("/login/email/").content.decode()
    assert "not verified" in page
    assert client.post("/login/email/send/").status_code == 302
    assert mail.outbox[0].to == ["manny@example.com"]
    link = re.search(r"http://testserver(/login/email/\S+/)", mail.outbox[0].body)
    assert link is not None
    confirmed = Client().get(link.group(1)).content.decode()
    assert "Address confirmed" in confirmed
    assert User.objects.get(pk=people["manager"].pk).email_verified_at is not None


def test_a_link_for_an_old_address_or_a_forged_one_verifies_nothing(
    people: dict[str, User],
) -> None:
    manager = User.objects.get(pk=people["manager"].pk)
    token = email_verification_token(user=manager)
    manager.email = "new@example.com"
    manager.save()
    assert "Link not valid" in Client().get(f"/login/email/{token}/").content.decode()
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert "Link not valid" in Client().get(f"/login/email/{forged}/").content.decode()
    assert User.objects.get(pk=manager.pk).email_verified_at is None
    assert Client().login(username="manny", password=PASSWORD)


def test_the_demo_people_can_reset_their_passwords(people: dict[str, User]) -> None:
    from itpm.accounts.demo import load_accounts_demo

    load_accounts_demo({"pm": people["manager"]})
    _ask("manny@example.com")
    _ask("olivia@example.com")  # not a demo person here: not verified
    assert [m.to for m in mail.outbox] == [["manny@example.com"]]


@pytest.fixture
def reset_limits(settings: Any) -> Any:
    settings.ITPM_PASSWORD_RESETS_PER_ADDRESS = 3
    settings.ITPM_PASSWORD_RESETS_PER_IP = 10
    settings.ITPM_PASSWORD_RESET_LIMIT_SECONDS = 3600
    return settings


def _ask_from(email: str, ip: str) -> Any:
    return Client(REMOTE_ADDR=ip).post("/login/reset/", {"email": email})


def _same_answer(one: Any, other: Any) -> bool:
    return (one.status_code, one.get("Location"), one.content) == (
        other.status_code,
        other.get("Location"),
        other.content,
    )


def test_reset_requests_for_one_address_are_limited_and_the_page_does_not_change(
    people: dict[str, User], reset_limits: Any, caplog: Any
) -> None:
    _verify(people["owner"])
    _verify(people["manager"])
    # From different clients, so only the per-address limit is in play.
    under = [_ask_from("olivia@example.com", f"10.0.0.{n}") for n in range(1, 4)]
    assert [m.to for m in mail.outbox] == [["olivia@example.com"]] * 3
    with caplog.at_level("WARNING", logger="itpm.security"):
        over = _ask_from("olivia@example.com", "10.0.0.4")
    assert len(mail.outbox) == 3  # no fourth link
    assert "password reset refused (no mail sent): address limit" in caplog.text
    assert "olivia@example.com" in caplog.text
    assert all(_same_answer(over, answer) for answer in under)
    assert over.status_code == 302 and over["Location"] == "/login/reset/sent/"
    # Someone else's address is not affected, from the same client.
    other = _ask_from("manny@example.com", "10.0.0.4")
    assert [m.to for m in mail.outbox][-1] == ["manny@example.com"]
    assert _same_answer(other, over)
    # The address in another case is the same address.
    _ask_from("OLIVIA@example.com", "10.0.0.5")
    assert len(mail.outbox) == 4


def test_reset_requests_from_one_client_are_limited(
    people: dict[str, User], reset_limits: Any, caplog: Any
) -> None:
    reset_limits.ITPM_PASSWORD_RESETS_PER_IP = 5
    _verify(people["owner"])
    # Four unknown addresses and one real one: five requests, within the client's limit.
    for n in range(4):
        _ask_from(f"guess{n}@example.com", "203.0.113.7")
    _ask_from("olivia@example.com", "203.0.113.7")
    assert len(mail.outbox) == 1
    with caplog.at_level("WARNING", logger="itpm.security"):
        refused = _ask_from("olivia@example.com", "203.0.113.7")
    assert len(mail.outbox) == 1
    assert "client limit" in caplog.text and "203.0.113.7" in caplog.text
    assert _same_answer(refused, _ask_from("nobody@example.com", "198.51.100.1"))
    # Another client asking for the same address still gets the mail through.
    _ask_from("olivia@example.com", "198.51.100.1")
    assert [m.to for m in mail.outbox] == [["olivia@example.com"]] * 2


def test_the_reset_limits_can_be_turned_off(people: dict[str, User], reset_limits: Any) -> None:
    reset_limits.ITPM_PASSWORD_RESETS_PER_ADDRESS = 0
    reset_limits.ITPM_PASSWORD_RESETS_PER_IP = 0
    _verify(people["owner"])
    for _ in range(12):
        _ask("olivia@example.com")
    assert len(mail.outbox) == 12
