"""Setting up a business in the Django admin: the business, its staff, their authority."""

from django.contrib import admin

from .models import Business, StaffMember


class StaffInline(admin.TabularInline):
    model = StaffMember
    extra = 0
    fields = ("name", "user", "role", "authority_cents", "on_duty")
    raw_id_fields = ("user",)


@admin.register(Business)
class BusinessAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "time_zone", "language")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [StaffInline]


@admin.register(StaffMember)
class StaffMemberAdmin(admin.ModelAdmin):
    list_display = ("name", "business", "role", "authority_cents", "on_duty")
    list_filter = ("business", "role", "on_duty")
    search_fields = ("name", "user__email")
    raw_id_fields = ("user",)
    list_select_related = ("business",)
    # Kept by the needs' own steps (needs.load); an edit here would only make it wrong.
    readonly_fields = ("active_needs",)
