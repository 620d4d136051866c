"""Needs are changed through the console, the portal and the API (services, journal);
the admin only looks."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import JournalEvent, Need


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Need)
class NeedAdmin(ReadOnly):
    list_display = ("id", "summary", "business", "customer", "owner", "status", "created_at")
    list_filter = ("business", "status", "kind")
    search_fields = ("summary",)
    list_select_related = ("business", "customer", "owner")


@admin.register(JournalEvent)
class JournalEventAdmin(ReadOnly):
    list_display = ("id", "need_id", "kind", "at", "visible_to_customer")
    list_filter = ("kind", "visible_to_customer")
