from django.contrib import admin

from .models import DeliverySettings, DeliveryWindow, PickupPoint, ReturnReason


@admin.register(DeliverySettings)
class DeliverySettingsAdmin(admin.ModelAdmin):
    list_display = ("business", "horizon_days", "carrier_name", "carrier_allows_redirect")


@admin.register(DeliveryWindow)
class DeliveryWindowAdmin(admin.ModelAdmin):
    list_display = ("business", "starts", "ends", "capacity", "cutoff_minutes", "active")
    list_filter = ("business", "active")


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "business", "postcode", "capacity", "active")
    list_filter = ("business", "active")


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    """The reasons a customer may choose for a return, in both languages."""

    list_display = ("label_nl", "label_en", "code", "business", "position", "active")
    list_filter = ("business", "active")
