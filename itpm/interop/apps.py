from __future__ import annotations

from django.apps import AppConfig


class InteropConfig(AppConfig):
    name = "itpm.interop"
    label = "interop"
    verbose_name = "Interop: CSV/XLSX, MS Project XML, JSON archive, backup and restore"
