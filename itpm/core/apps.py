from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "itpm.core"
    label = "core"
    verbose_name = "Core: audit and shared rules"
