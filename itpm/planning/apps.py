from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "itpm.planning"
    label = "planning"
    verbose_name = "Planning: WBS and dependencies"
