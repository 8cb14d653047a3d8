from __future__ import annotations

from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "itpm.documents"
    label = "documents"
    verbose_name = "Documents (attachments) and custom fields"
