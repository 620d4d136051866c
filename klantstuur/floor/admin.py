from django.contrib import admin

from .models import FloorSettings, Payment, Section, Table


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("name", "business", "host")
    list_filter = ("business",)


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ("number", "business", "section", "seats")
    list_filter = ("business", "section")
    exclude = ("qr_token",)


@admin.register(FloorSettings)
class FloorSettingsAdmin(admin.ModelAdmin):
    list_display = ("business", "fire_next_course_when_served")


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Read-only: a payment is changed by a new one, never edited (the journal has it)."""

    list_display = ("party", "amount_cents", "tip_cents", "method", "taken_by", "created_at")
    list_filter = ("method",)
    list_select_related = ("party__table", "taken_by")

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_delete_permission(self, request: object, obj: object = None) -> bool:
        return False
