"""Schedule the fraud scan every 10 minutes (django-celery-beat: editable in admin).

Ten minutes matches the detectors' shortest window: a scan sees every window at least
once while it is fresh, and a rescan of unchanged votes writes nothing.
"""

from django.db import migrations

TASK = "voting.tasks_fraud.fraud_scan_open"
NAME = "Scan campaigns for fraud signals"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_10_minutes, _ = IntervalSchedule.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name=NAME, defaults={"task": TASK, "interval": every_10_minutes, "enabled": True}
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("voting", "0004_fraudflag"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
