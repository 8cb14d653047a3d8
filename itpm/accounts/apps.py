from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "itpm.accounts"
    label = "accounts"
    verbose_name = "Accounts, teams and roles"
