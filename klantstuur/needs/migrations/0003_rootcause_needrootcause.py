# Root causes move from feedback to needs in the models only: the tables stay as they
# are (feedback_rootcause, feedback_needrootcause), so the database is not touched.
# feedback 0002 then points ImprovementItem at needs.RootCause and forgets its copies.

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('businesses', '0001_initial'),
        ('needs', '0002_need_need_owner_list_need_need_active_by_owner'),
        # The tables are created there.
        ('feedback', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='RootCause',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=120)),
                        ('active', models.BooleanField(default=True)),
                        ('business', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='root_causes', to='businesses.business')),
                    ],
                    options={
                        'db_table': 'feedback_rootcause',
                        'ordering': ['name'],
                        'constraints': [models.UniqueConstraint(fields=('business', 'name'), name='root_cause_name_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='NeedRootCause',
                    fields=[
                        ('need', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='+', serialize=False, to='needs.need')),
                        ('set_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('business', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='businesses.business')),
                        ('set_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='businesses.staffmember')),
                        ('root_cause', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='needs', to='needs.rootcause')),
                    ],
                    options={
                        'db_table': 'feedback_needrootcause',
                        'indexes': [models.Index(fields=['root_cause', 'set_at'], name='feedback_ne_root_ca_26c340_idx')],
                    },
                ),
            ],
        ),
    ]
