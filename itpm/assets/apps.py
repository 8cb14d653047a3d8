from django.apps import AppConfig


class AssetsConfig(AppConfig):
    name = "itpm.assets"
    label = "assets"
    verbose_name = "Assets and services"
