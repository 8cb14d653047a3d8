"""Pages of one's own account: log-in, password reset, e-mail verification."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.http import require_http_methods, require_POST

from itpm.accounts import services
from itpm.accounts.forms import LockoutAuthenticationForm, VerifiedPasswordResetForm
from itpm.accounts.permissions import request_user


class LoginView(auth_views.LoginView):
    authentication_form = LockoutAuthenticationForm


class PasswordResetView(auth_views.PasswordResetView):
    form_class = VerifiedPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/password_reset_email.txt"
    subject_template_name = "accounts/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
@require_http_methods(["GET"])
def account_email(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/email.html", {"account": request_user(request)})


@login_required
@require_POST
def account_email_send(request: HttpRequest) -> HttpResponse:
    user = request_user(request)
    if not user.email:
        messages.error(request, "Your account has no e-mail address; ask an admin to add one.")
    else:
        link = request.build_absolute_uri(
            reverse("email_confirm", args=[services.email_verification_token(user=user)])
        )
        services.email_verification_send(user=user, link=link)
        messages.success(request, f"A confirmation link was sent to {user.email}.")
    return redirect("account_email")


@require_http_methods(["GET"])
def account_email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    user = services.email_verify(token=token)
    return render(request, "accounts/email_confirmed.html", {"verified": user}, status=200)
