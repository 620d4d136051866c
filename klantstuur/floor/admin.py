from django.contrib import admin

from .models import Section, Table


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ("name", "business", "host")
    list_filter = ("business",)


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ("number", "business", "section", "seats")
    list_filter = ("business", "section")
    exclude = ("qr_token",)
