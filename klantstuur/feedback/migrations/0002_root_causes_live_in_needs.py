# Root causes now live in needs (needs 0003), on the same tables: only the models
# change here, the database is not touched.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('feedback', '0001_initial'),
        ('needs', '0003_rootcause_needrootcause'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name='improvementitem',
                    name='root_cause',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='items', to='needs.rootcause'),
                ),
                migrations.DeleteModel(name='NeedRootCause'),
                migrations.DeleteModel(name='RootCause'),
            ],
        ),
    ]
