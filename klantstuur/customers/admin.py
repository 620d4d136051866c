from django.contrib import admin

from .models import Customer


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "email", "business", "language", "created_at")
    list_filter = ("business",)
    search_fields = ("name", "email")
    raw_id_fields = ("user",)
    list_select_related = ("business",)
