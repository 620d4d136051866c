# Issue #10 "Creation flat": the continuity lookup's own index, and each colleague's
# active load (businesses 0002 adds the column) filled from today's needs.

from django.db import migrations, models
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

ACTIVE = ("open", "awaiting_customer")  # models.ACTIVE_STATUSES when this was written


def fill_active_needs(apps, schema_editor):
    """One UPDATE … SET active_needs = (grouped count), not a query per colleague."""
    Need = apps.get_model("needs", "Need")
    StaffMember = apps.get_model("businesses", "StaffMember")
    load = (
        Need.objects.filter(owner=OuterRef("pk"), status__in=ACTIVE)
        .order_by()
        .values("owner")
        .annotate(n=Count("*"))
        .values("n")
    )
    StaffMember.objects.update(
        active_needs=Coalesce(Subquery(load, output_field=IntegerField()), 0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("businesses", "0002_staffmember_active_needs"),
        ("customers", "0002_customer_erased_at_customer_erasure_requested_at_and_more"),
        ("needs", "0004_journal_queue"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="need",
            index=models.Index(
                fields=["customer", "-created_at", "-id"], name="need_customer_latest"
            ),
        ),
        # The new index serves everything the old one did (same leading columns).
        migrations.RemoveIndex(model_name="need", name="needs_need_custome_24d835_idx"),
        migrations.RunPython(fill_active_needs, migrations.RunPython.noop, elidable=True),
    ]
