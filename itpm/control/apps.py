from __future__ import annotations

from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "itpm.control"
    label = "control"
    verbose_name = "Control: risks, forecast, issues, change requests, decisions, quality"

    def ready(self) -> None:
        # The closure checklist of the lifecycle (issue 5) asks this app about deliverables
        # and open risks and issues.
        from itpm.control.selectors import register_closure_checks

        register_closure_checks()
