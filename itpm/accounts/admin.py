from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from itpm.accounts.models import Team, User

admin.site.register(User, UserAdmin)


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin[Team]):
    list_display = ["name", "kind"]
    filter_horizontal = ["members"]
