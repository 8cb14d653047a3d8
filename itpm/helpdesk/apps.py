from django.apps import AppConfig


class HelpdeskConfig(AppConfig):
    name = "itpm.helpdesk"
    label = "helpdesk"
    verbose_name = "Help desk: queues, tickets, SLA, requester portal"
