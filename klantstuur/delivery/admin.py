from django.contrib import admin

from .models import DeliverySettings, DeliveryWindow, PickupPoint


@admin.register(DeliverySettings)
class DeliverySettingsAdmin(admin.ModelAdmin):
    list_display = ("business", "horizon_days")


@admin.register(DeliveryWindow)
class DeliveryWindowAdmin(admin.ModelAdmin):
    list_display = ("business", "starts", "ends", "capacity", "cutoff_minutes", "active")
    list_filter = ("business", "active")


@admin.register(PickupPoint)
class PickupPointAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "business", "postcode", "capacity", "active")
    list_filter = ("business", "active")
