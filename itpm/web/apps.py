from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "itpm.web"
    label = "web"
    verbose_name = "Web pages"
