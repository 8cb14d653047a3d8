from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "itpm.tracking"
    label = "tracking"
    verbose_name = "Tracking: budgets, costs, procurement, time, earned value, status reports"
