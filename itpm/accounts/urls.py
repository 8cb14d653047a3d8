"""Log-in, password reset and e-mail verification. Everything lives under /login/, the part of
the site outside requesters may also reach (the portal guard lets /login/ through)."""

from __future__ import annotations

from django.urls import path

from itpm.accounts import views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("login/reset/sent/", views.PasswordResetDoneView.as_view(), name="password_reset_done"),
    path(
        "login/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "login/reset/done/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("login/email/", views.account_email, name="account_email"),
    path("login/email/send/", views.account_email_send, name="account_email_send"),
    path("login/email/<token>/", views.account_email_confirm, name="email_confirm"),
]
