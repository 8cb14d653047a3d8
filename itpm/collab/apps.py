from __future__ import annotations

from django.apps import AppConfig


class CollabConfig(AppConfig):
    name = "itpm.collab"
    label = "collab"
    verbose_name = "Collaboration: task comments with @mentions"
