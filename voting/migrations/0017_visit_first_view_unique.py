"""Visits: one row per first view of a visitor, target and kind (the reports count
distinct visitors, so the repeats removed here change no figure). Buffered visits are
then written with "insert, ignore what exists" (voting/services/traffic.py)."""

import django.db.models.functions.comparison
from django.db import migrations, models
from django.db.models import Min


def keep_first_views(apps, schema_editor):
    Visit = apps.get_model("voting", "Visit")
    first = (
        Visit.objects.values("campaign_id", "kind", "visitor_id", "entry_id")
        .annotate(first_id=Min("id"))
        .values("first_id")
    )
    Visit.objects.exclude(pk__in=first).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0011_import_jobs_sweep_schedule"),
        ("voting", "0016_fraud_scan_state"),
    ]

    operations = [
        # Repeats removed cannot come back: the reverse keeps the first views only.
        migrations.RunPython(keep_first_views, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="visit",
            constraint=models.UniqueConstraint(
                models.F("campaign"),
                models.F("kind"),
                models.F("visitor_id"),
                django.db.models.functions.comparison.Coalesce(
                    models.F("entry"), models.Value(0)
                ),
                name="visit_first_view_unique",
            ),
        ),
    ]
