"""The Gantt page. The chart itself is drawn by planning/gantt.js from the schedule API."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

# The project page frame (tabs, role, can_edit) is shared by every project page.
from itpm.web.views import _context, _project


@login_required
def project_gantt(request: HttpRequest, key: str) -> HttpResponse:
    project = _project(request, key)
    return render(request, "planning/gantt.html", _context(request, project, "gantt"))
