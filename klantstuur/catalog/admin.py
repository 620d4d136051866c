from django.contrib import admin

from .models import CatalogItem, Station


@admin.register(Station)
class StationAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "business")
    list_filter = ("business",)


@admin.register(CatalogItem)
class CatalogItemAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "business",
        "price_cents",
        "station",
        "course",
        "prep_minutes",
        "modifiers",
        "allergens",
        "active",
    )
    list_filter = ("business", "station", "active")
    search_fields = ("name", "sku")
    list_select_related = ("business", "station")
