"""Log-in and password-reset forms with itpm's protections."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest

from itpm.accounts.models import User
from itpm.core.security import login_lockout, password_reset_allowed


class LockoutAuthenticationForm(AuthenticationForm):
    """Django's log-in form that says plainly when log-in is locked, and for how long."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "locked": "%(message)s",
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        lockout = login_lockout(username=username, request=self.request)
        if lockout is not None:
            raise forms.ValidationError(
                self.error_messages["locked"], code="locked", params={"message": lockout.message}
            )
        try:
            return super().clean()
        except forms.ValidationError:
            # The failure just counted may be the one that locks: say so now, not next time.
            lockout = login_lockout(username=username, request=self.request)
            if lockout is not None:
                raise forms.ValidationError(
                    self.error_messages["locked"],
                    code="locked",
                    params={"message": lockout.message},
                ) from None
            raise


class VerifiedPasswordResetForm(PasswordResetForm):
    """Sends the reset link only to an account's own, verified address.

    The page answers the same for an unknown address, an unverified one and a known one, so
    it tells nobody which addresses have accounts.
    """

    def get_users(self, email: str) -> Iterator[Any]:
        for user in super().get_users(email):
            if isinstance(user, User) and user.email_verified_at is not None:
                yield user

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Over the per-address or per-client limit: no mail, and the view answers exactly as
        # for any other request, so the limit tells nobody whether the address has an account.
        request: HttpRequest | None = kwargs.get("request")
        if not password_reset_allowed(email=self.cleaned_data["email"], request=request):
            return
        super().save(*args, **kwargs)
